"""A stand-in for FIT-Connect's Submission API that the tests start on loopback.

It is the receiving side as the public documentation describes it: a token endpoint (client
credentials), a destination with its encryption key, submissions that announce attachments,
JWE uploads, submit, an event log of signed Security Event Tokens and the JWKS to check them.
On submit it decrypts every part with the destination's private key and checks each part's
SHA-512 against the metadata; only then is the submission delivered (once per submission).
Tests can take it down for a number of requests, or publish a key that does not fit.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from joserfc import jwe, jwt
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey
from werkzeug.routing import Map, Rule
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

ENCRYPTION = ["RSA-OAEP-256", "A256GCM"]


@dataclass
class Submission:
    destination_id: str
    case_id: str
    announced: list[str]
    attachments: dict[str, str] = field(default_factory=dict)  # id -> JWE
    submitted: bool = False


class SubmissionApiStandIn:
    def __init__(self, client_id: str, client_secret: str) -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.destination_id = str(uuid.uuid4())
        self.key = RSAKey.generate_key(
            2048, parameters={"kid": "enc-1", "alg": "RSA-OAEP-256", "use": "enc"}
        )
        self.published = self.key  # what the destination hands out as its public key
        self.signing = RSAKey.generate_key(2048, parameters={"kid": "set-1", "alg": "PS512"})
        self.tokens: set[str] = set()
        self.submissions: dict[str, Submission] = {}
        self.delivered: dict[str, dict[str, Any]] = {}  # submission id -> decrypted parts
        self.events: dict[str, list[str]] = {}  # case id -> SETs
        self.created = 0
        self.down_for = 0
        self.fail_once: set[str] = set()  # endpoints that answer 503 the next time
        self.lock = threading.Lock()
        self.routes = Map(
            [
                Rule("/token", endpoint="token", methods=["POST"]),
                Rule("/.well-known/jwks.json", endpoint="jwks"),
                Rule("/v1/destinations/<destination>", endpoint="destination"),
                Rule("/v1/destinations/<destination>/keys/<kid>", endpoint="public_key"),
                Rule("/v1/submissions", endpoint="create", methods=["POST"]),
                Rule("/v1/submissions/<sid>/attachments/<aid>", endpoint="upload", methods=["PUT"]),
                Rule("/v1/submissions/<sid>", endpoint="submit", methods=["PUT"]),
                Rule("/v1/cases/<case>/events", endpoint="events"),
            ]
        )
        self.server = make_server("127.0.0.1", 0, self, threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def publish_wrong_key(self) -> None:
        """The destination hands out a key whose private half it does not hold."""
        self.published = RSAKey.generate_key(
            2048, parameters={"kid": "enc-1", "alg": "RSA-OAEP-256", "use": "enc"}
        )

    # --- WSGI ----------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        with self.lock:
            if self.down_for > 0:
                self.down_for -= 1
                return Response("Wartung", 503)(environ, start_response)
            endpoint, values = self.routes.bind_to_environ(environ).match()
            if endpoint in self.fail_once:
                self.fail_once.discard(endpoint)
                return Response("Wartung", 503)(environ, start_response)
            if endpoint not in ("token", "jwks") and not self._authorised(request):
                return self._json({"error": "unauthorized"}, 401)(environ, start_response)
            response = getattr(self, f"_{endpoint}")(request, **values)
        return response(environ, start_response)

    @staticmethod
    def _json(body: Any, status: int = 200) -> Response:
        return Response(json.dumps(body), status, content_type="application/json")

    def _authorised(self, request: Request) -> bool:
        header = request.headers.get("Authorization", "")
        return header.startswith("Bearer ") and header[7:] in self.tokens

    def _token(self, request: Request) -> Response:
        basic = request.authorization
        client = (basic.username, basic.password) if basic else (
            request.form.get("client_id"), request.form.get("client_secret"),
        )  # fmt: skip
        if client != (self.client_id, self.client_secret):
            return self._json({"error": "invalid_client"}, 401)
        if request.form.get("grant_type") != "client_credentials":
            return self._json({"error": "unsupported_grant_type"}, 400)
        token = secrets.token_urlsafe(24)
        self.tokens.add(token)
        return self._json({"access_token": token, "token_type": "Bearer", "expires_in": 1800})

    def _jwks(self, _request: Request) -> Response:
        return self._json({"keys": [self.signing.as_dict(private=False)]})

    def _destination(self, _request: Request, destination: str) -> Response:
        if destination != self.destination_id:
            return self._json({"detail": "unknown destination"}, 404)
        return self._json(
            {"destinationId": destination, "status": "active", "encryptionKid": "enc-1"}
        )

    def _public_key(self, _request: Request, destination: str, kid: str) -> Response:
        if destination != self.destination_id or kid != "enc-1":
            return self._json({"detail": "unknown key"}, 404)
        public = self.published.as_dict(private=False)
        return self._json({**public, "key_ops": ["wrapKey"]})

    def _create(self, request: Request) -> Response:
        body = request.get_json()
        if body.get("destinationId") != self.destination_id:
            return self._json({"detail": "unknown destination"}, 422)
        sid, case = str(uuid.uuid4()), str(uuid.uuid4())
        self.submissions[sid] = Submission(self.destination_id, case, body["announcedAttachments"])
        self.created += 1
        return self._json(
            {"destinationId": self.destination_id, "submissionId": sid, "caseId": case}, 201
        )

    def _upload(self, request: Request, sid: str, aid: str) -> Response:
        submission = self.submissions.get(sid)
        if submission is None or aid not in submission.announced:
            return self._json({"detail": "not announced"}, 404)
        if submission.submitted:
            return self._json({"detail": "already submitted"}, 409)
        submission.attachments[aid] = request.get_data(as_text=True)
        return Response(status=204)

    def _decrypt(self, token: str) -> bytes:
        content: bytes = jwe.decrypt_compact(token, self.key, algorithms=ENCRYPTION).plaintext
        return content

    def _submit(self, request: Request, sid: str) -> Response:  # noqa: PLR0911 - one per refusal
        submission = self.submissions.get(sid)
        if submission is None:
            return self._json({"detail": "unknown submission"}, 404)
        if submission.submitted:
            return self._json({"detail": "already submitted"}, 409)
        if set(submission.attachments) != set(submission.announced):
            return self._json({"detail": "attachments missing"}, 422)
        body = request.get_json()
        try:
            metadata = json.loads(self._decrypt(body["encryptedMetadata"]))
            data = self._decrypt(body["encryptedData"])
            files = {aid: self._decrypt(t) for aid, t in submission.attachments.items()}
        except (JoseError, ValueError, KeyError):
            return self._json({"detail": "cannot decrypt with the destination's key"}, 422)
        structure = metadata["contentStructure"]
        if hashlib.sha512(data).hexdigest() != structure["data"]["hash"]["content"]:
            return self._json({"detail": "data hash mismatch"}, 422)
        for listed in structure["attachments"]:
            content = files.get(listed["attachmentId"])
            if content is None or hashlib.sha512(content).hexdigest() != listed["hash"]["content"]:
                return self._json({"detail": f"hash mismatch {listed['attachmentId']}"}, 422)
        submission.submitted = True
        self.delivered[sid] = {"metadata": metadata, "data": data, "attachments": files}
        self.events.setdefault(submission.case_id, []).append(self._event(sid, submission))
        return self._json(
            {
                "destinationId": self.destination_id,
                "submissionId": sid,
                "caseId": submission.case_id,
            }
        )

    def _event(self, sid: str, submission: Submission) -> str:
        claims = {
            "iss": "https://submission-api.stand-in",
            "iat": int(time.time()),
            "jti": str(uuid.uuid4()),
            "sub": f"submission:{sid}",
            "txn": f"case:{submission.case_id}",
            "events": {"https://schema.fitko.de/fit-connect/events/submit-submission": {}},
        }
        header = {"alg": "PS512", "kid": "set-1", "typ": "secevent+jwt"}
        token: str = jwt.encode(header, claims, self.signing, algorithms=["PS512"])
        return token

    def _events(self, _request: Request, case: str) -> Response:
        return self._json({"eventLog": self.events.get(case, [])})
