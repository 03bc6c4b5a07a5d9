"""A local stand-in for the few Stripe endpoints the portal uses, so the real ``stripe``
library can be tested without the network; webhooks are signed with Stripe's real scheme."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


def _nest(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's form encoding (``a[b][0][c]=v``) back into a dict."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        node = result
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return result


class StripeStandIn:
    def __init__(self) -> None:
        self.sessions: dict[str, dict[str, Any]] = {}
        self.refunds: list[dict[str, Any]] = []
        self.idempotent: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str, dict[str, Any], str]] = []
        self.server = make_server("127.0.0.1", 0, self, threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        body = _nest(parse_qsl(request.get_data(as_text=True)))
        key = request.headers.get("Idempotency-Key", "")
        self.requests.append((request.method, request.path, body, key))
        if key and key in self.idempotent:
            return self._json(self.idempotent[key])(environ, start_response)
        if request.method == "POST" and request.path == "/v1/checkout/sessions":
            answer = self.create_session(body)
        elif request.method == "GET" and request.path.startswith("/v1/checkout/sessions/"):
            found = self.sessions.get(request.path.rsplit("/", 1)[1])
            if found is None:
                return self._json({"error": {"message": "No such session"}}, 404)(
                    environ, start_response
                )
            answer = found
        elif request.method == "POST" and request.path == "/v1/refunds":
            answer = {
                "id": f"re_{secrets.token_hex(8)}",
                "object": "refund",
                "amount": int(body["amount"]),
                "payment_intent": body["payment_intent"],
                "status": "succeeded",
            }
            self.refunds.append(answer)
        else:
            return self._json({"error": {"message": "unknown"}}, 404)(environ, start_response)
        if key:
            self.idempotent[key] = answer
        return self._json(answer)(environ, start_response)

    def _json(self, data: dict[str, Any], status: int = 200) -> Response:
        return Response(json.dumps(data), status, mimetype="application/json")

    def create_session(self, body: dict[str, Any]) -> dict[str, Any]:
        ident = f"cs_test_{secrets.token_hex(8)}"
        item = body["line_items"]["0"]["price_data"]
        session = {
            "id": ident,
            "object": "checkout.session",
            "url": f"{self.url}/pay/{ident}",
            "status": "open",
            "payment_status": "unpaid",
            "amount_total": int(item["unit_amount"]),
            "currency": item["currency"],
            "client_reference_id": body.get("client_reference_id"),
            "metadata": body.get("metadata", {}),
            "payment_intent": None,
            "success_url": body["success_url"],
            "cancel_url": body["cancel_url"],
            "product": item["product_data"]["name"],
        }
        self.sessions[ident] = session
        return session

    def pay(self, ident: str) -> dict[str, Any]:
        session = self.sessions[ident]
        session.update(status="complete", payment_status="paid", payment_intent=f"pi_{ident[8:]}")
        return session

    def expire(self, ident: str) -> dict[str, Any]:
        session = self.sessions[ident]
        session.update(status="expired")
        return session


def signed_event(
    secret: str, kind: str, session: dict[str, Any], *, age: int = 0, event_id: str = ""
) -> tuple[bytes, str]:
    """A webhook body and its ``Stripe-Signature`` header, made as Stripe makes them."""
    payload = json.dumps(
        {
            "id": event_id or f"evt_{secrets.token_hex(8)}",
            "object": "event",
            "type": kind,
            "created": int(time.time()) - age,
            "data": {"object": dict(session)},
        }
    ).encode()
    timestamp = int(time.time()) - age
    signature = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256
    ).hexdigest()
    return payload, f"t={timestamp},v1={signature}"
