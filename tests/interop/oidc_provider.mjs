// npm's oidc-provider (a certified OpenID provider we did not write), configured like a
// BundID-style provider for the interop test. Usage: node oidc_provider.mjs (settings from env):
//   IDP_PORT        loopback port to listen on
//   PORTAL_URL      the portal under test (for redirect and logout URIs)
//   CLIENT_ID, CLIENT_SECRET
// The dev login form accepts any password; the login name picks the account below.
import Provider from "oidc-provider";

const port = Number(process.env.IDP_PORT);
const portal = process.env.PORTAL_URL;
const issuer = `http://127.0.0.1:${port}`;

const accounts = {
  erika: {
    given_name: "Erika",
    family_name: "Mustermann",
    birthdate: "1964-08-12",
    email: "erika@example.org",
    address: { street_address: "Heidestraße 17", postal_code: "51147", locality: "Köln", country: "DE" },
    vertrauensniveau: "substanziell",
  },
  friedrich: {
    given_name: "Friedrich",
    family_name: "Firmenich",
    email: "friedrich@holzbau.example",
    vertrauensniveau: "substanziell",
    // Organisation claims under names of this provider's own choosing: the portal maps them
    // through PORTAL_ORG_OIDC_CLAIMS.
    unternehmen_id: "DE-HRB-98765",
    unternehmen_name: "Holzbau Firmenich KG",
    unternehmen_ort: "Musterstadt",
  },
};

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: process.env.CLIENT_ID,
      client_secret: process.env.CLIENT_SECRET,
      redirect_uris: [`${portal}/anmelden/callback`, `${portal}/anmelden/organisation/callback`],
      post_logout_redirect_uris: [`${portal}/abgemeldet`],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
    },
  ],
  pkce: { required: () => true },
  claims: {
    openid: ["sub"],
    profile: ["given_name", "family_name", "birthdate"],
    email: ["email"],
    address: ["address"],
    vertrauen: ["vertrauensniveau"],
    unternehmen: ["unternehmen_id", "unternehmen_name", "unternehmen_ort"],
  },
  scopes: ["openid", "profile", "email", "address", "vertrauen", "unternehmen"],
  async findAccount(_ctx, id) {
    const account = accounts[id];
    if (!account) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...account }; } };
  },
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  cookies: { keys: ["interop-test-only"] },
});

provider.listen(port, "127.0.0.1", () => {
  process.stdout.write(`ready ${issuer}\n`);
});
