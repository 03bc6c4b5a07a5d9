"""OpenID Connect relying party for the three logins: citizen, Organisationskonto and staff.

Authlib runs the protocol (discovery, authorization code with PKCE, state and nonce kept in the
session, token request, userinfo). The ID token is checked here, not with the algorithms the
provider advertises: signature against the provider's JWKS with an allow-list of algorithms
(``PORTAL_OIDC_ALGORITHMS``; ``none`` is never accepted), then issuer, audience, expiry, issue
time, nonce and ``at_hash``.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass, field
from typing import Any

from authlib.integrations.flask_client import FlaskOAuth2App, OAuth
from authlib.oidc.core import CodeIDToken, UserInfo
from flask import Flask, current_app
from flask_babel import gettext as _
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from portal.config import ConfigError, Settings
from portal.core.urls import absolute_url
from portal.identity.models import TrustLevel

log = logging.getLogger(__name__)
CITIZEN, ORGANISATION, STAFF = "buerger", "organisation", "verwaltung"
TEST_CLIENT_ID = "serviceportal"
NEVER = frozenset({"none", "HS256", "HS384", "HS512"})  # no unsigned or shared-secret tokens

DEFAULT_CLAIMS = {
    "given_name": "given_name",
    "family_name": "family_name",
    "birth_name": "birth_family_name",
    "birth_date": "birthdate",
    "birth_place": "place_of_birth",
    "nationality": "nationality",
    "street": "address.street_address",
    "postal_code": "address.postal_code",
    "locality": "address.locality",
    "country": "address.country",
    "email": "email",
    "phone": "phone_number",
}
DEFAULT_ORG_CLAIMS = {
    **DEFAULT_CLAIMS,
    "organisation_id": "organisation.id",
    "organisation_name": "organisation.name",
    "organisation_street": "organisation.address.street_address",
    "organisation_postal_code": "organisation.address.postal_code",
    "organisation_locality": "organisation.address.locality",
    "organisation_country": "organisation.address.country",
    "organisation_role": "organisation.role",
}


class LoginError(Exception):
    """A login that must not succeed; the message is shown to the person (German)."""


def _pairs(raw: str, what: str) -> dict[str, str]:
    result = {}
    for part in raw.split(","):
        if not part.strip():
            continue
        if "=" not in part:
            raise ConfigError(f"{what}: „{part.strip()}“ hat nicht die Form name=wert.")
        key, value = (item.strip() for item in part.split("=", 1))
        result[key] = value
    return result


@dataclass(frozen=True)
class Provider:
    """One login's provider settings. ``issuer`` empty: the built-in test provider."""

    name: str
    issuer: str
    client_id: str
    client_secret: str
    scope: str
    trust_claim: str
    trust_values: dict[str, TrustLevel]
    claims: dict[str, str]
    algorithms: tuple[str, ...]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def builtin(self) -> bool:
        return not self.issuer

    def resolved_issuer(self) -> str:
        if self.issuer:
            return self.issuer.rstrip("/")
        return absolute_url("testidp.root").rstrip("/")

    def secret(self) -> str:
        if self.client_secret or not self.builtin:
            return self.client_secret
        return builtin_client_secret(current_app.config["SECRET_KEY"])

    def client_id_for(self) -> str:
        return self.client_id or (TEST_CLIENT_ID if self.builtin else "")

    def trust_level(self, claims: dict[str, Any]) -> TrustLevel:
        """The login's trust level; no claim (or an unknown value) counts as basisregistrierung."""
        value = claim(claims, self.trust_claim)
        if isinstance(value, list):  # some providers send acr as a list
            levels = [self.trust_values[item] for item in value if item in self.trust_values]
            return max(levels, default=TrustLevel.BASISREGISTRIERUNG)
        return self.trust_values.get(str(value), TrustLevel.BASISREGISTRIERUNG)

    def acr_for(self, level: TrustLevel) -> str:
        """The ``acr_values`` asking the provider for at least ``level`` (step-up)."""
        wanted = [acr for acr, value in self.trust_values.items() if value >= level]
        return " ".join(sorted(wanted, key=lambda acr: self.trust_values[acr]))


def builtin_client_secret(secret_key: str) -> str:
    return hmac.new(secret_key.encode(), b"test-idp-client", hashlib.sha256).hexdigest()


def claim(claims: dict[str, Any], path: str) -> Any:
    """A claim by dotted path (``address.locality``); ``None`` when absent."""
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def providers_from(settings: Settings) -> dict[str, Provider]:
    trust_values = {
        acr: TrustLevel.from_code(level)
        for acr, level in _pairs(settings.oidc_trust_values, "PORTAL_OIDC_TRUST_VALUES").items()
    }
    algorithms = tuple(a.strip() for a in settings.oidc_algorithms.split(",") if a.strip())
    if not algorithms or NEVER.intersection(algorithms):
        raise ConfigError(
            "PORTAL_OIDC_ALGORITHMS darf nur asymmetrische Verfahren nennen (z. B. RS256, ES256)."
        )
    claims = {**DEFAULT_CLAIMS, **_pairs(settings.oidc_claims, "PORTAL_OIDC_CLAIMS")}
    citizen = Provider(
        CITIZEN,
        settings.oidc_issuer,
        settings.oidc_client_id,
        settings.oidc_client_secret,
        settings.oidc_scope,
        settings.oidc_trust_claim,
        trust_values,
        claims,
        algorithms,
    )
    org_claims = {
        **DEFAULT_ORG_CLAIMS,
        **_pairs(settings.org_oidc_claims, "PORTAL_ORG_OIDC_CLAIMS"),
    }
    own_org = bool(settings.org_oidc_issuer)
    organisation = Provider(
        ORGANISATION,
        settings.org_oidc_issuer if own_org else settings.oidc_issuer,
        settings.org_oidc_client_id if own_org else settings.oidc_client_id,
        settings.org_oidc_client_secret if own_org else settings.oidc_client_secret,
        settings.org_oidc_scope,
        settings.oidc_trust_claim,
        trust_values,
        org_claims,
        algorithms,
    )
    staff = Provider(
        STAFF,
        settings.staff_oidc_issuer,
        settings.staff_oidc_client_id,
        settings.staff_oidc_client_secret,
        settings.staff_oidc_scope,
        settings.oidc_trust_claim,
        trust_values,
        dict(DEFAULT_CLAIMS),
        algorithms,
    )
    return {p.name: p for p in (citizen, organisation, staff)}


class PortalOAuth2App(FlaskOAuth2App):  # type: ignore[misc]
    """Authlib's client with our own ID-token check (see the module docstring)."""

    algorithms: tuple[str, ...] = ()

    def parse_id_token(
        self,
        token: dict[str, Any],
        nonce: str,
        claims_options: dict[str, Any] | None = None,
        claims_cls: Any = None,  # noqa: ARG002 - Authlib's signature
        leeway: int = 60,
    ) -> UserInfo:
        metadata = self.load_server_metadata()
        try:
            key_set = KeySet.import_key_set(self.fetch_jwk_set())
            registry = JWSRegistry(algorithms=list(self.algorithms))
            try:
                decoded = jwt.decode(token["id_token"], key_set, registry=registry)
            except JoseError as error:
                if "kid" not in str(error).lower():
                    raise
                key_set = KeySet.import_key_set(self.fetch_jwk_set(force=True))
                decoded = jwt.decode(token["id_token"], key_set, registry=registry)
        except (JoseError, ValueError) as error:
            log.info("ID token signature rejected: %s", error)
            raise LoginError(_("Die Anmeldebestätigung ist nicht gültig signiert.")) from None
        options = claims_options or {"iss": {"essential": True, "value": metadata.get("issuer")}}
        claims = CodeIDToken(
            decoded.claims,
            decoded.header,
            options,
            {
                "nonce": nonce,
                "client_id": self.client_id,
                "access_token": token.get("access_token"),
            },
        )
        try:
            claims.validate(leeway=leeway)
        except Exception as error:  # Authlib raises several JoseError kinds
            log.info("ID token claims rejected: %s", error)
            raise LoginError(_("Die Anmeldebestätigung wurde abgelehnt.")) from None
        return UserInfo(claims)


class PortalOAuth(OAuth):  # type: ignore[misc]
    oauth2_client_cls = PortalOAuth2App


def client_for(provider: Provider) -> PortalOAuth2App:
    """The Authlib client for a provider, registered on first use (per issuer)."""
    oauth: PortalOAuth = current_app.extensions["portal_oauth"]
    issuer = provider.resolved_issuer()
    name = f"{provider.name}-{hashlib.sha256(issuer.encode()).hexdigest()[:12]}"
    existing = oauth._registry.get(name)
    if existing is None:
        oauth.register(
            name,
            client_id=provider.client_id_for(),
            client_secret=provider.secret(),
            server_metadata_url=f"{issuer}/.well-known/openid-configuration",
            client_kwargs={
                "scope": provider.scope,
                "code_challenge_method": "S256",
                "token_endpoint_auth_method": "client_secret_basic",
                "timeout": 10,
            },
        )
    client: PortalOAuth2App = getattr(oauth, name)
    client.algorithms = provider.algorithms
    return client


def init_oidc(app: Flask) -> None:
    app.extensions["portal_oauth"] = PortalOAuth(app)
    app.extensions["identity_providers"] = providers_from(app.config["PORTAL"])
