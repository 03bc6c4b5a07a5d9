"""A Fachverfahren stand-in for the webhook target: checks the signature and the hashes,
processes each idempotency key once, and can be told to be down for a while."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Callable
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


class Receiver:
    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.down_for = 0  # answer 503 to the next n requests
        self.posts: list[str] = []  # idempotency keys of every request that arrived
        self.processed: dict[str, dict[str, Any]] = {}  # key -> package, once per key
        self.events: dict[str, dict[str, Any]] = {}  # key -> event (nachricht, unterlagen, …)
        # Called with the key after a package was processed, before the answer goes back.
        self.after_processing: Callable[[str], None] | None = None
        self.server = make_server("127.0.0.1", 0, self, threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/eingang"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        body = request.get_data()
        key = request.headers.get("Idempotency-Key", "")
        self.posts.append(key)
        if self.down_for > 0:
            self.down_for -= 1
            return Response("wartung", 503)(environ, start_response)
        fields = dict(
            part.split("=", 1) for part in request.headers["X-Serviceportal-Signature"].split(",")
        )
        expected = hmac.new(
            self.secret.encode(), f"{fields['t']}.".encode() + body, hashlib.sha256
        ).hexdigest()
        if not hmac.compare_digest(expected, fields["v1"]):
            return Response("bad signature", 401)(environ, start_response)
        if request.headers.get("X-Serviceportal-Event", "antrag") != "antrag":
            self.events.setdefault(key, json.loads(body))  # a repeat changes nothing
            return Response("", 204)(environ, start_response)
        package = json.loads(body)
        structure = package["metadata"]["contentStructure"]
        data = base64.b64decode(package["data"])
        assert hashlib.sha512(data).hexdigest() == structure["data"]["hash"]["content"]
        for item, listed in zip(package["attachments"], structure["attachments"], strict=True):
            content = base64.b64decode(item["content"])
            assert hashlib.sha512(content).hexdigest() == listed["hash"]["content"]
        self.processed.setdefault(key, package)  # a repeat changes nothing
        if self.after_processing is not None:
            self.after_processing(key)
        return Response("ok", 200)(environ, start_response)
