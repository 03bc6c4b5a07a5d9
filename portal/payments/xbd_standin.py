"""A local XBezahldienste payment service: the embedded default's stand-in and the tests'.

Written from the public description of XBezahldienste 1.0.0 (our copy of the parts we use is
``openapi/xbezahldienste-1.0.0.json``): an OAuth 2.0 token endpoint (client credentials), the
payment transaction (create, read), the status endpoint, and a pay page that says plainly that
no money moves. Its buttons end a transaction as paid, cancelled or failed, leave it open
(``INITIAL``), or fail it now and report a capture later, as real payment services sometimes
do. Tests can also inject every problem code, let tokens expire or take the service down.

It is its own small WSGI application: the portal never imports it to serve citizens. The
embedded default mounts it under ``/testdienst/xbezahldienste`` and reaches its API in-process
(see ``xbezahldienste.InProcessTransport``); tests serve it on a loopback port.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, redirect, render_template_string, request
from jsonschema import Draft202012Validator
from werkzeug.wrappers import Response as BaseResponse

SPEC = Path(__file__).with_name("openapi") / "xbezahldienste-1.0.0.json"
PROBLEM_STATUS = {
    "NO_VALID_ORIGINATOR_OR_ENDPOINT": 403,
    "PAYMENT_EXISTS": 409,
    "CALCULATION_ERROR": 422,
    "BOOKING_DATA_MISSING": 422,
    "VALIDATION_ERROR": 400,
    "FORBIDDEN": 403,
    "UNSPECIFIED": 500,
}


@cache
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SPEC.read_text("utf-8"))
    return loaded


def schema_validator(name: str) -> Draft202012Validator:
    """A validator for one of the document's schemas (references resolved in the document)."""
    document = spec()
    return Draft202012Validator({"$ref": f"#/components/schemas/{name}", **document})


@dataclass
class StandInState:
    """What the stand-in knows; shared by every request (a lock guards it)."""

    client_id: str = "serviceportal"
    client_secret: str = "testdienst-geheim"  # noqa: S105 - a stand-in's published test secret
    originator_id: str = "serviceportal"
    endpoint_ids: set[str] = field(default_factory=lambda: {"testdienst"})
    public_url: str = ""  # where citizens' browsers reach the pay page; set by the host
    token_lifetime: int = 300
    tokens: dict[str, dt.datetime] = field(default_factory=dict)
    transactions: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_request: dict[str, str] = field(default_factory=dict)
    # Tests: the next write answers with this problem code; down: everything answers 503.
    inject: list[str] = field(default_factory=list)
    down: bool = False
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    tokens_issued: int = 0
    # Tests: what other implementations do — a 200 instead of 201 to the POST, transaction ids
    # of up to 44 characters, a token only for a required OAuth scope.
    create_status: int = 201
    id_length: int = 24
    required_scope: str = ""
    lock: threading.RLock = field(default_factory=threading.RLock)

    def set_status(self, transaction_id: str, status: str) -> None:
        with self.lock:
            info = self.transactions[transaction_id]["paymentInformation"]
            info["status"] = status
            info["transactionTimestamp"] = _now()
            if status == "PAYED":
                info.setdefault("transactionReference", _kassenzeichen())
                info["paymentMethod"] = "CREDITCARD"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _kassenzeichen() -> str:
    return "KZ" + "".join(secrets.choice("0123456789") for _ in range(10))


def _problem(code: str, detail: str, status: int | None = None) -> Response:
    status = status or PROBLEM_STATUS[code]
    body = {
        "type": "https://docs.fitko.de/xbezahldienste/",
        "status": status,
        "title": "Payment service problem" if code != "PAYMENT_EXISTS" else "Conflict",
        "detail": detail,
        "functionalCode": code,
        "functionalText": f"Erklärung des Bezahldienstes: {detail}",
    }
    return Response(json.dumps(body), status=status, mimetype="application/problem+json")


PAGE = """<!doctype html>
<html lang="de"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Testdienst XBezahldienste – Bezahlen</title>
<link rel="stylesheet" href="{{ base }}/style.css"></head>
<body><main>
<p class="label">Testdienst: Hier wird kein Geld bewegt.</p>
<h1>Gebühr bezahlen</h1>
<p>Dies ist die Bezahlseite eines Test-Bezahldienstes nach XBezahldienste. Eine Stadtkasse
bindet hier ihren eigenen Bezahldienst an (zum Beispiel ePayBL oder pmPayment).</p>
<dl>
<dt>Verwendungszweck</dt><dd>{{ payment.purpose }}</dd>
<dt>Betrag</dt><dd>{{ amount }} Euro</dd>
</dl>
{% if status != "INITIAL" %}<p>Diese Zahlung ist bereits abgeschlossen.</p>
<p><a href="{{ payment.redirectUrl }}">Zurück zum Serviceportal</a></p>
{% else %}
<form method="post">
<fieldset><legend>Wie soll die Testzahlung ausgehen?</legend>
<button type="submit" name="ausgang" value="PAYED">Bezahlen</button>
<button type="submit" name="ausgang" value="CANCELED">Abbrechen</button>
<button type="submit" name="ausgang" value="FAILED">Zahlung scheitern lassen</button>
<button type="submit" name="ausgang" value="LATE">Scheitern, Zahlung kommt später an</button>
<button type="submit" name="ausgang" value="INITIAL">Ohne Ergebnis zurück</button>
</fieldset>
</form>
{% endif %}
</main></body></html>
"""

STYLE = """body{font-family:system-ui,sans-serif;margin:0;padding:1rem;line-height:1.5}
body{color:#1a1a1a}
main{max-width:40rem;margin:0 auto}h1{font-size:1.6rem}
.label{background:#fff3cd;border:2px solid #8a6d00;padding:.5rem;font-weight:bold}
dt{font-weight:bold}dd{margin:0 0 .5rem 0}fieldset{border:1px solid #555;padding:1rem}
button{display:block;width:100%;margin:.5rem 0;padding:.75rem;font-size:1rem;
border:2px solid #004b87;background:#fff;color:#004b87;border-radius:4px}
button:focus{outline:3px solid #1a1a1a;outline-offset:2px}a{color:#004b87}
"""


def create_standin(state: StandInState) -> Flask:  # noqa: PLR0915 - one small API, kept together
    app = Flask("xbezahldienste_standin")
    app.config["STANDIN"] = state
    request_schema = schema_validator("PaymentRequest")

    def authorised() -> bool:
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip()
        with state.lock:
            expires = state.tokens.get(token)
        return expires is not None and expires > dt.datetime.now(dt.UTC)

    @app.before_request
    def record_and_refuse() -> Response | None:
        body = request.get_json(silent=True) if request.is_json else dict(request.form)
        state.requests.append((request.method, request.path, body))
        if state.down:
            return _problem("UNSPECIFIED", "Der Bezahldienst ist nicht erreichbar.", 503)
        return None

    @app.post("/oauth/token")
    def token() -> Response:
        auth = request.authorization
        client_id = auth.username if auth else request.form.get("client_id")
        secret = auth.password if auth else request.form.get("client_secret")
        if request.form.get("grant_type") != "client_credentials":
            return Response(json.dumps({"error": "unsupported_grant_type"}), 400)
        if (client_id, secret) != (state.client_id, state.client_secret):
            return Response(json.dumps({"error": "invalid_client"}), 401)
        if (
            state.required_scope
            and state.required_scope not in request.form.get("scope", "").split()
        ):
            return Response(json.dumps({"error": "invalid_scope"}), 400)
        value = secrets.token_urlsafe(24)
        with state.lock:
            state.tokens[value] = dt.datetime.now(dt.UTC) + dt.timedelta(
                seconds=state.token_lifetime
            )
            state.tokens_issued += 1
        body = {"access_token": value, "token_type": "Bearer", "expires_in": state.token_lifetime}
        return Response(json.dumps(body), mimetype="application/json")

    def known(originator: str, endpoint: str) -> bool:
        return originator == state.originator_id and endpoint in state.endpoint_ids

    @app.post("/paymenttransaction/<originator>/<endpoint>")
    def create(originator: str, endpoint: str) -> Response:  # noqa: PLR0911 - one per problem
        if not authorised():
            return _problem("FORBIDDEN", "Bitte melden Sie sich an.", 401)
        if not known(originator, endpoint):
            return _problem("NO_VALID_ORIGINATOR_OR_ENDPOINT", "Mandant unbekannt.")
        if state.inject:
            return _problem(state.inject.pop(0), "Eingestellter Testfehler.")
        body: dict[str, Any] | None = request.get_json(silent=True)
        if body is None or any(True for _error in request_schema.iter_errors(body)):
            return _problem("VALIDATION_ERROR", "Die Anfrage entspricht nicht dem Schema.")
        items = body["items"]
        total = sum(
            Decimal(str(item["totalNetAmount"])) + Decimal(str(item["totalTaxAmount"]))
            for item in items
        )
        if total != Decimal(str(body["grosAmount"])):
            return _problem("CALCULATION_ERROR", "Summe und Positionen passen nicht zusammen.")
        if not all((item.get("bookingData") or {}).get("aktenzeichen") for item in items):
            return _problem("BOOKING_DATA_MISSING", "Das Aktenzeichen fehlt in bookingData.")
        with state.lock:
            if body["requestId"] in state.by_request:
                return _problem("PAYMENT_EXISTS", "Diese requestId ist bereits vergeben.")
            transaction_id = secrets.token_hex(32)[: state.id_length]
            base = f"{request.host_url.rstrip('/')}{request.script_root}"
            state.transactions[transaction_id] = {
                "endpoint": endpoint,
                "paymentRequest": body,
                "paymentInformation": {
                    "transactionId": transaction_id,
                    "transactionUrl": f"{base}/paymenttransaction/{originator}/{endpoint}/"
                    f"{transaction_id}",
                    "transactionRedirectUrl": f"{state.public_url or base}/bezahlen/"
                    f"{transaction_id}",
                    "transactionTimestamp": _now(),
                    "status": "INITIAL",
                },
            }
            state.by_request[body["requestId"]] = transaction_id
        answer = _public(state.transactions[transaction_id])
        response = Response(json.dumps(answer), state.create_status, mimetype="application/json")
        response.headers["Location"] = answer["paymentInformation"]["transactionUrl"]
        return response

    @app.get("/paymenttransaction/<originator>/<endpoint>/<transaction_id>")
    def read(originator: str, endpoint: str, transaction_id: str) -> Response:
        if not authorised():
            return _problem("FORBIDDEN", "Bitte melden Sie sich an.", 401)
        found = state.transactions.get(transaction_id)
        if not known(originator, endpoint) or found is None or found["endpoint"] != endpoint:
            return _problem("UNSPECIFIED", "Unbekannte Transaktion.", 404)
        with state.lock:  # a capture after failing arrives with the second query
            if found.get("capture_later"):
                found["capture_later"] -= 1
                if not found["capture_later"]:
                    state.set_status(transaction_id, "PAYED")
        return Response(json.dumps(_public(found)), mimetype="application/json")

    @app.get("/status/<originator>/<endpoint>")
    def status(originator: str, endpoint: str) -> Response:
        if not authorised():
            return _problem("FORBIDDEN", "Bitte melden Sie sich an.", 401)
        if not known(originator, endpoint):
            return _problem("NO_VALID_ORIGINATOR_OR_ENDPOINT", "Mandant unbekannt.")
        return Response("{}", mimetype="application/json")

    @app.route("/bezahlen/<transaction_id>", methods=["GET", "POST"])
    def pay_page(transaction_id: str) -> BaseResponse | str:
        found = state.transactions.get(transaction_id)
        if found is None:
            abort(404)
        info = found["paymentInformation"]
        if request.method == "POST" and info["status"] == "INITIAL":
            outcome = request.form.get("ausgang", "")
            if outcome == "LATE":
                state.set_status(transaction_id, "FAILED")
                found["capture_later"] = 2
            elif outcome in ("PAYED", "CANCELED", "FAILED"):
                state.set_status(transaction_id, outcome)
            elif outcome != "INITIAL":
                abort(400)
            # Real services append their own view; the portal must ask, never believe this.
            return redirect(f"{found['paymentRequest']['redirectUrl']}?status={outcome}", 303)
        return render_template_string(
            PAGE,
            payment=found["paymentRequest"],
            amount=f"{Decimal(str(found['paymentRequest']['grosAmount'])):.2f}".replace(".", ","),
            status=info["status"],
            base=state.public_url or request.script_root,
        )

    @app.get("/style.css")
    def style() -> Response:
        return Response(STYLE, mimetype="text/css")

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'self'; form-action 'self' http: https:; "
            "frame-ancestors 'none'; base-uri 'none'"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    return app


def _public(transaction: dict[str, Any]) -> dict[str, Any]:
    return {
        "paymentRequest": transaction["paymentRequest"],
        "paymentInformation": dict(transaction["paymentInformation"]),
    }
