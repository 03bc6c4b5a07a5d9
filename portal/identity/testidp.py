"""The built-in test identity provider for the embedded default — never in production.

A real OpenID Connect provider made with Authlib's authorization server: discovery, JWKS,
authorization code with PKCE (required) and nonce, RS256 ID tokens, userinfo, end-session. The
login page offers fixed personas (a citizen at each trust level, a business representative, a
clerk and an administrator) and says plainly that it is a test login. Codes and access tokens
live in the database, so several processes can serve it; the signing key is made once into the
instance folder.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, grants
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from authlib.oidc.core.models import AuthorizationCodeMixin
from flask import Blueprint, Flask, current_app, jsonify, redirect, render_template, request
from flask_babel import gettext as _
from joserfc.jwk import RSAKey
from sqlalchemy import String, delete, select
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.wrappers import Response

from portal.core.db import JSONType, UTCDateTime, utcnow
from portal.extensions import csrf, db
from portal.identity.oidc import TEST_CLIENT_ID, builtin_client_secret

PREFIX = "/test-idp"
bp = Blueprint("testidp", __name__, url_prefix=PREFIX, template_folder="templates")
CALLBACKS = ("/anmelden/callback", "/anmelden/organisation/callback")
STAFF_CALLBACK = "/verwaltung/anmelden/callback"
CODE_SECONDS, TOKEN_SECONDS = 300, 3600
ACR = {
    "basis": "STORK-QAA-Level-1",
    "substanziell": "STORK-QAA-Level-3",
    "hoch": "STORK-QAA-Level-4",
}


@dataclass(frozen=True)
class Persona:
    key: str
    label: str
    level: str  # basis / substanziell / hoch
    claims: dict[str, Any]
    staff: bool = False
    organisation: dict[str, Any] = field(default_factory=dict)


def _address(street: str, code: str, town: str) -> dict[str, str]:
    return {"street_address": street, "postal_code": code, "locality": town, "country": "DE"}


PERSONAS = [
    Persona(
        "anna",
        "Anna Muster – Bürgerin, Basisregistrierung (Benutzername und Passwort)",
        "basis",
        {"given_name": "Anna", "family_name": "Muster", "email": "anna.muster@example.org"},
    ),
    Persona(
        "bernd",
        "Bernd Beispiel – Bürger, substanziell (ELSTER-Zertifikat)",
        "substanziell",
        {
            "given_name": "Bernd",
            "family_name": "Beispiel",
            "birthdate": "1979-03-14",
            "place_of_birth": "Musterstadt",
            "nationality": "DE",
            "address": _address("Lindenweg 3", "12345", "Musterstadt"),
            "email": "bernd.beispiel@example.org",
            "phone_number": "+49 30 1234567",
        },
    ),
    Persona(
        "clara",
        "Clara Hoch – Bürgerin, hoch (Online-Ausweis)",
        "hoch",
        {
            "given_name": "Clara",
            "family_name": "Hoch",
            "birth_family_name": "Tief",
            "birthdate": "1990-11-02",
            "place_of_birth": "Beispielstadt",
            "nationality": "DE",
            "address": _address("Am Markt 1", "12345", "Musterstadt"),
            "email": "clara.hoch@example.org",
        },
    ),
    Persona(
        "firma",
        "Frieda Firma – handelt für die Musterbau GmbH (Organisationskonto, substanziell)",
        "substanziell",
        {"given_name": "Frieda", "family_name": "Firma", "email": "frieda@musterbau.example"},
        organisation={
            "id": "DE-UK-4711",
            "name": "Musterbau GmbH",
            "role": "administration",
            "address": _address("Industriestraße 7", "12345", "Musterstadt"),
        },
    ),
    Persona(
        "kollege",
        "Max Mitarbeiter – Mitglied der Musterbau GmbH (Organisationskonto, substanziell)",
        "substanziell",
        {"given_name": "Max", "family_name": "Mitarbeiter", "email": "max@musterbau.example"},
        organisation={
            "id": "DE-UK-4711",
            "name": "Musterbau GmbH",
            "role": "mitglied",
            "address": _address("Industriestraße 7", "12345", "Musterstadt"),
        },
    ),
    Persona(
        "sachbearbeitung",
        "Sven Sachbearbeiter – Verwaltung, Sachbearbeitung im Bürgerbüro und Ordnungsamt",
        "substanziell",
        {
            "given_name": "Sven",
            "family_name": "Sachbearbeiter",
            "email": "sven@musterstadt.example",
        },
        staff=True,
    ),
    Persona(
        "formularredaktion",
        "Frieda Formular – Verwaltung, Formularredaktion im Bürgerbüro und Ordnungsamt",
        "substanziell",
        {
            "given_name": "Frieda",
            "family_name": "Formular",
            "email": "frieda@musterstadt.example",
        },
        staff=True,
    ),
    Persona(
        "admin",
        "Ada Admin – Verwaltung, Administration",
        "substanziell",
        {"given_name": "Ada", "family_name": "Admin", "email": "admin@musterstadt.example"},
        staff=True,
    ),
]
PERSONA_BY_KEY = {persona.key: persona for persona in PERSONAS}


class TestIdpGrant(db.Model):  # type: ignore[name-defined,misc]
    """An authorization code or access token of the test provider."""

    __tablename__ = "testidp_grant"

    value: Mapped[str] = mapped_column(String(128), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # code / token
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Client(ClientMixin):  # type: ignore[misc]
    """The portal itself, the only client; its callbacks are on the provider's own host."""

    def get_client_id(self) -> str:
        return TEST_CLIENT_ID

    def get_default_redirect_uri(self) -> str:
        return request.host_url.rstrip("/") + CALLBACKS[0]

    def get_allowed_scope(self, scope: str) -> str:
        allowed = {"openid", "profile", "email", "address", "phone", "organisation"}
        return " ".join(part for part in scope.split() if part in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        parts = urlsplit(redirect_uri)
        return f"{parts.scheme}://{parts.netloc}/" == request.host_url and parts.path in (
            *CALLBACKS,
            STAFF_CALLBACK,
        )

    def check_client_secret(self, client_secret: str) -> bool:
        expected = builtin_client_secret(current_app.config["SECRET_KEY"])
        return secrets.compare_digest(client_secret, expected)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:  # noqa: ARG002 - Authlib's signature
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


class Code(AuthorizationCodeMixin):  # type: ignore[misc]
    def __init__(self, value: str, data: dict[str, Any]) -> None:
        self.code = value
        self.data = data
        self.code_challenge = data.get("code_challenge")
        self.code_challenge_method = data.get("code_challenge_method")

    def get_redirect_uri(self) -> str:
        return str(self.data["redirect_uri"])

    def get_scope(self) -> str:
        return str(self.data["scope"])

    def get_nonce(self) -> str | None:
        return self.data.get("nonce")

    def get_auth_time(self) -> int:
        return int(self.data["auth_time"])

    def get_acr(self) -> str:
        return ACR[PERSONA_BY_KEY[self.data["persona"]].level]

    def get_amr(self) -> list[str]:
        return ["pwd"]


class CodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]  # noqa: RUF012

    def save_authorization_code(self, code: str, request: Any) -> None:
        payload = request.payload
        data = {
            "redirect_uri": payload.redirect_uri,
            "scope": payload.scope,
            "nonce": payload.data.get("nonce"),
            "code_challenge": payload.data.get("code_challenge"),
            "code_challenge_method": payload.data.get("code_challenge_method"),
            "persona": request.user.key,
            "auth_time": int(time.time()),
        }
        # Expired codes and tokens go at each new login: the table stays small.
        db.session.execute(delete(TestIdpGrant).where(TestIdpGrant.expires_at <= utcnow()))
        db.session.add(
            TestIdpGrant(
                value=code,
                kind="code",
                data=data,
                expires_at=utcnow() + dt.timedelta(seconds=CODE_SECONDS),
            )
        )
        db.session.flush()

    def query_authorization_code(self, code: str, client: Client) -> Code | None:  # noqa: ARG002 - Authlib's signature
        row = db.session.get(TestIdpGrant, code)
        if row is None or row.kind != "code" or row.expires_at <= utcnow():
            return None
        return Code(row.value, row.data)

    def delete_authorization_code(self, authorization_code: Code) -> None:
        db.session.execute(
            delete(TestIdpGrant).where(TestIdpGrant.value == authorization_code.code)
        )

    def authenticate_user(self, authorization_code: Code) -> Persona:
        return PERSONA_BY_KEY[authorization_code.data["persona"]]


def _claims_for(persona: Persona, scope: str) -> dict[str, Any]:
    # The test provider vouches for its personas' addresses, as a real one would once checked.
    claims = {"sub": f"test-{persona.key}", **persona.claims}
    if "email" in claims:
        claims["email_verified"] = True
    if persona.organisation and "organisation" in scope.split():
        claims["organisation"] = persona.organisation
    return claims


class IdToken(OpenIDCode):  # type: ignore[misc]
    def exists_nonce(self, nonce: str, request: Any) -> bool:  # noqa: ARG002 - Authlib's signature
        rows = db.session.scalars(select(TestIdpGrant).where(TestIdpGrant.kind == "code"))
        return any(row.data.get("nonce") == nonce for row in rows)

    def resolve_client_private_key(self, client: Client) -> RSAKey:  # noqa: ARG002 - Authlib's signature
        return signing_key()

    def get_client_algorithm(self, client: Client) -> str:  # noqa: ARG002 - Authlib's signature
        return "RS256"

    def get_encode_header(self, client: Client) -> dict[str, str]:  # noqa: ARG002 - Authlib's signature
        return {"alg": "RS256", "kid": str(signing_key().kid)}

    def get_client_claims(self, client: Client) -> dict[str, Any]:  # noqa: ARG002 - Authlib's signature
        return {"iss": issuer(), "aud": [TEST_CLIENT_ID], "exp": int(time.time()) + 600}

    def generate_user_info(self, user: Persona, scope: str) -> UserInfo:
        return UserInfo(_claims_for(user, scope))


def issuer() -> str:
    return request.host_url.rstrip("/") + PREFIX


def signing_key() -> RSAKey:
    path = Path(current_app.instance_path) / "testidp_key.json"
    cached: RSAKey | None = current_app.extensions.get("testidp_key")
    if cached is not None:
        return cached
    if path.exists():
        key = RSAKey.import_key(json.loads(path.read_text("utf-8")))
    else:
        key = RSAKey.generate_key(2048, parameters={"use": "sig", "alg": "RS256"})
        key.ensure_kid()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(json.dumps(key.as_dict(private=True)), "utf-8")
    current_app.extensions["testidp_key"] = key
    return key


def _save_token(token: dict[str, Any], oauth_request: Any) -> None:
    db.session.add(
        TestIdpGrant(
            value=token["access_token"],
            kind="token",
            data={"persona": oauth_request.user.key, "scope": token.get("scope", "")},
            expires_at=utcnow() + dt.timedelta(seconds=TOKEN_SECONDS),
        )
    )


def _query_client(client_id: str) -> Client | None:
    return Client() if client_id == TEST_CLIENT_ID else None


def server() -> AuthorizationServer:
    found: AuthorizationServer = current_app.extensions["testidp_server"]
    return found


@bp.get("/", strict_slashes=False)
def root() -> Response:
    return redirect(issuer() + "/.well-known/openid-configuration")


@bp.get("/.well-known/openid-configuration")
def discovery() -> Response:
    base = issuer()
    return jsonify(
        issuer=base,
        authorization_endpoint=base + "/authorize",
        token_endpoint=base + "/token",
        userinfo_endpoint=base + "/userinfo",
        jwks_uri=base + "/jwks",
        end_session_endpoint=base + "/logout",
        response_types_supported=["code"],
        subject_types_supported=["pairwise"],
        id_token_signing_alg_values_supported=["RS256"],
        scopes_supported=["openid", "profile", "email", "address", "phone", "organisation"],
        token_endpoint_auth_methods_supported=["client_secret_basic", "client_secret_post"],
        code_challenge_methods_supported=["S256"],
        acr_values_supported=list(ACR.values()),
        claims_supported=["sub", "acr", "given_name", "family_name", "birthdate", "email"],
    )


@bp.get("/jwks")
def jwks() -> Response:
    return jsonify(keys=[signing_key().as_dict(private=False)])


def _wanted_level() -> str:
    """The lowest level the client asked for with ``acr_values`` (step-up), or basis."""
    asked = request.values.get("acr_values", "").split()
    by_acr = {acr: level for level, acr in ACR.items()}
    levels = [by_acr[acr] for acr in asked if acr in by_acr]
    order = list(ACR)
    return min(levels, key=order.index) if levels else "basis"


@bp.route("/authorize", methods=["GET", "POST"])
def authorize() -> Response | str:
    try:
        grant = server().get_consent_grant(end_user=None)
    except Exception as error:  # Authlib raises OAuth2Error subclasses
        return render_template("identity/testidp_error.html", error=str(error)), 400  # type: ignore[return-value]
    staff = grant.request.payload.redirect_uri.endswith(STAFF_CALLBACK)
    personas = [p for p in PERSONAS if p.staff == staff]
    if request.method == "POST":
        if request.form.get("action") == "abbrechen":
            return server().create_authorization_response(grant=grant, grant_user=None)  # type: ignore[no-any-return]
        persona = PERSONA_BY_KEY.get(request.form.get("persona", ""))
        if persona is None or persona not in personas:
            return render_template(  # type: ignore[return-value]
                "identity/testidp_login.html",
                personas=personas,
                wanted=_wanted_level(),
                error=_("Bitte wählen Sie eine Testperson aus."),
                acr=ACR,
            ), 422
        return server().create_authorization_response(grant=grant, grant_user=persona)  # type: ignore[no-any-return]
    return render_template(
        "identity/testidp_login.html", personas=personas, wanted=_wanted_level(), error="", acr=ACR
    )


@bp.post("/token")
def token() -> Response:
    return server().create_token_response()  # type: ignore[no-any-return]


@bp.route("/userinfo", methods=["GET", "POST"])
def userinfo() -> Response:
    header = request.headers.get("Authorization", "")
    value = header[7:] if header.lower().startswith("bearer ") else ""
    row = db.session.get(TestIdpGrant, value) if value else None
    if row is None or row.kind != "token" or row.expires_at <= utcnow():
        response = jsonify(error="invalid_token")
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        return response
    return jsonify(_claims_for(PERSONA_BY_KEY[row.data["persona"]], row.data["scope"]))


@bp.get("/logout")
def logout() -> Response | str:
    """End-session endpoint: the test provider keeps no session of its own, so it only returns."""
    back = request.args.get("post_logout_redirect_uri", "")
    if back and urlsplit(back).netloc == urlsplit(request.host_url).netloc:
        state = request.args.get("state")
        return redirect(back + (("?" + urlencode({"state": state})) if state else ""))
    return render_template("identity/testidp_logged_out.html")


def init_testidp(app: Flask) -> None:
    """Mount the test provider, except in production."""
    if app.config["PORTAL"].is_production:
        return
    authorization = AuthorizationServer(app, query_client=_query_client, save_token=_save_token)
    authorization.register_grant(
        CodeGrant, [IdToken(require_nonce=True), CodeChallenge(required=True)]
    )
    app.extensions["testidp_server"] = authorization
    csrf.exempt(token)
    csrf.exempt(userinfo)
    app.register_blueprint(bp)
