"""OAuth 2.0 client credentials (Authlib's authorization server) and bearer-token checks.

``POST /api/office/v1/token`` issues a token for ten minutes with the scopes the client holds
(or fewer, as asked). Every API view runs under ``require(scope)``: no or a bad token is a 401
with ``WWW-Authenticate``, a token without the scope a 403, both as problem details.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6750 import BearerTokenValidator
from flask import Flask, g
from werkzeug.wrappers import Response

from portal.core.errors import problem
from portal.identity import clients
from portal.identity.clients import ApiClient, ApiToken

P = ParamSpec("P")
R = TypeVar("R")

server = AuthorizationServer()
protector = ResourceProtector()

ERRORS = {
    "missing_authorization": (401, "Anmeldung fehlt", "Bitte senden Sie ein Bearer-Token."),
    "invalid_token": (
        401,
        "Token ungültig",
        "Das Token ist unbekannt, abgelaufen oder widerrufen. Bitte holen Sie ein neues.",
    ),
    "insufficient_scope": (
        403,
        "Keine Berechtigung",
        "Das Token erlaubt diese Aktion nicht (Scope fehlt).",
    ),
}


class _Tokens(BearerTokenValidator):  # type: ignore[misc]
    def authenticate_token(self, token_string: str) -> ApiToken | None:
        return clients.token_for(token_string)


def _save_token(token: dict[str, Any], request: Any) -> None:
    clients.save_token(request.client, token)


def init_auth(app: Flask) -> None:
    app.config.setdefault(
        "OAUTH2_TOKEN_EXPIRES_IN",
        {"client_credentials": int(clients.TOKEN_LIFETIME.total_seconds())},
    )
    app.config.setdefault("OAUTH2_SCOPES_SUPPORTED", sorted(clients.SCOPES))
    server.init_app(app, query_client=clients.client_by_client_id, save_token=_save_token)
    if not server._token_grants:  # module-level server: register once for all apps
        server.register_grant(grants.ClientCredentialsGrant)
    if "bearer" not in protector._token_validators:
        protector.register_token_validator(_Tokens())


def current_client() -> ApiClient:
    client: ApiClient = g.api_client
    return client


def require(scope: str) -> Callable[[Callable[P, R]], Callable[P, R | Response]]:
    """The view needs a live token holding ``scope``; its client is ``current_client()``."""

    def decorator(view: Callable[P, R]) -> Callable[P, R | Response]:
        @functools.wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R | Response:
            try:
                token: ApiToken = protector.acquire_token([scope])
            except OAuth2Error as error:
                status, title, detail = ERRORS.get(error.error, ERRORS["invalid_token"])
                answer = problem(status, title, detail)
                if status == 401:
                    answer.headers["WWW-Authenticate"] = (
                        f'Bearer realm="office-api", error="{error.error}"'
                    )
                return answer
            g.api_client = token.client
            return view(*args, **kwargs)

        return wrapped

    return decorator
