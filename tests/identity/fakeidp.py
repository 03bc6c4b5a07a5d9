"""A deliberately faulty OpenID provider for negative tests: it answers each login correctly
except for the one fault a test asks for (wrong issuer, wrong audience, bad signature, …)."""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from typing import Any
from urllib.parse import urlencode

from joserfc import jwt
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

FAULTS = {"", "iss", "aud", "signature", "expired", "none", "nonce", "state", "no_acr"}


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


class FaultyProvider:
    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
        self.impostor = RSAKey.generate_key(2048, parameters={"kid": "k1"})  # same kid
        self.fault = ""
        self.acr = "STORK-QAA-Level-1"
        self.codes: dict[str, dict[str, str]] = {}
        self.server = make_server("127.0.0.1", 0, self, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def start(self) -> FaultyProvider:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        handler = {
            "/.well-known/openid-configuration": self.discovery,
            "/jwks": self.jwks,
            "/authorize": self.authorize,
            "/token": self.token,
            "/userinfo": self.userinfo,
        }.get(request.path)
        response = handler(request) if handler else Response("not found", 404)
        return response(environ, start_response)

    def _json(self, data: dict[str, Any], status: int = 200) -> Response:
        return Response(json.dumps(data), status, mimetype="application/json")

    def discovery(self, _request: Request) -> Response:
        return self._json(
            {
                "issuer": self.url,
                "authorization_endpoint": f"{self.url}/authorize",
                "token_endpoint": f"{self.url}/token",
                "userinfo_endpoint": f"{self.url}/userinfo",
                "jwks_uri": f"{self.url}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
            }
        )

    def jwks(self, _request: Request) -> Response:
        return self._json({"keys": [self.key.as_dict(private=False)]})

    def authorize(self, request: Request) -> Response:
        code = secrets.token_urlsafe(16)
        self.codes[code] = {
            "nonce": request.args.get("nonce", ""),
            "client_id": request.args.get("client_id", ""),
        }
        state = request.args.get("state", "")
        if self.fault == "state":
            state = secrets.token_urlsafe(16)
        query = urlencode({"code": code, "state": state})
        return Response("", 302, {"Location": f"{request.args['redirect_uri']}?{query}"})

    def token(self, request: Request) -> Response:
        grant = self.codes.pop(request.form.get("code", ""), None)
        if grant is None:
            return self._json({"error": "invalid_grant"}, 400)
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.url,
            "sub": "fake-person-1",
            "aud": grant["client_id"],
            "iat": now,
            "exp": now + 300,
            "nonce": grant["nonce"],
            "acr": self.acr,
            "given_name": "Fritz",
            "family_name": "Fehler",
        }
        if self.fault == "iss":
            claims["iss"] = "https://falscher-anbieter.example"
        elif self.fault == "aud":
            claims["aud"] = "ein-anderer-dienst"
        elif self.fault == "expired":
            claims["iat"], claims["exp"] = now - 7200, now - 3600
        elif self.fault == "nonce":
            claims["nonce"] = "nicht-die-richtige-nonce"
        elif self.fault == "no_acr":
            del claims["acr"]
        if self.fault == "none":
            id_token = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
        else:
            key = self.impostor if self.fault == "signature" else self.key
            id_token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)
        return self._json(
            {
                "access_token": secrets.token_urlsafe(16),
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": id_token,
            }
        )

    def userinfo(self, _request: Request) -> Response:
        return self._json({"sub": "fake-person-1", "email": "fritz@example.org"})
