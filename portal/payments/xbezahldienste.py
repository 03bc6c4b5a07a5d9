"""The municipality's own payment service over XBezahldienste 1.0.0.

The portal sends a PaymentRequest (``POST /paymenttransaction/{originatorId}/{endPointId}``),
keeps the transaction's id, status address and pay page, and sends the citizen there. What the
citizen's return says is never believed: only the status query (``GET`` on the transaction)
decides, authenticated with an OAuth 2.0 client-credentials token (Authlib renews it when it
expires, and once more when the service refuses it early). Problems come as RFC 9457 problem
details with a ``functionalCode``; each becomes ``PaymentProblemError`` for the caller to put
into words. XBezahldienste 1.0.0 has no refund operation: refunds go to the Kasse.

Services are configured by name in ``PORTAL_XBEZAHLDIENSTE`` (JSON); each is the provider
``xbd:<name>``. Outside production ``xbd:testdienst`` is the built-in stand-in
(``xbd_standin``), reached in-process, its pay page mounted under ``/testdienst/xbezahldienste``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.requests_client import OAuth2Session
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from werkzeug.test import Client

from portal.config import ConfigError
from portal.payments.providers import (
    Checkout,
    Order,
    ProviderEvent,
    ProviderUnavailableError,
    RefundNotOfferedError,
    WebhookRejectedError,
)

if TYPE_CHECKING:
    from flask import Flask

    from portal.payments.models import Payment

log = logging.getLogger(__name__)

TIMEOUT = 10  # seconds per call: a citizen waits for it
ID = re.compile(r"^[\w\d-]{1,36}$", re.ASCII)
REQUIRED = ("base_url", "token_url", "client_id", "client_secret", "originator_id", "endpoint_id")
OPTIONAL = ("pay_origin", "refund_email", "scope")
KINDS = {"PAYED": "paid", "FAILED": "failed", "CANCELED": "cancelled", "INITIAL": "open"}
PROBLEM_CODES = frozenset(
    {
        "NO_VALID_ORIGINATOR_OR_DESTINATION",
        "NO_VALID_ORIGINATOR_OR_ENDPOINT",
        "PAYMENT_EXISTS",
        "CALCULATION_ERROR",
        "BOOKING_DATA_MISSING",
        "VALIDATION_ERROR",
        "FORBIDDEN",
        "UNSPECIFIED",
    }
)
TESTDIENST = "testdienst"
TESTDIENST_HOST = "http://xbezahldienste-testdienst.invalid"
TESTDIENST_MOUNT = "/testdienst/xbezahldienste"


class PaymentProblemError(ProviderUnavailableError):
    """The payment service answered with a problem (its ``functionalCode``, or UNSPECIFIED);
    ``text`` is the service's own explanation (``functionalText``, else ``detail``), for the
    operator's alert, never for the citizen."""

    def __init__(self, code: str, status: int, detail: str = "") -> None:
        super().__init__(f"{code} ({status}) {detail}".strip())
        self.code = code if code in PROBLEM_CODES else "UNSPECIFIED"
        self.status = status
        self.text = detail


@dataclass(frozen=True)
class XbdService:
    name: str
    base_url: str
    token_url: str
    client_id: str
    client_secret: str
    originator_id: str
    endpoint_id: str
    pay_origin: str = ""  # where the pay page lives, if not at base_url's origin
    refund_email: str = ""  # the Kasse's address for refund requests
    scope: str = ""  # the OAuth scope some payment services require for the token


def services_from(spec: str) -> dict[str, XbdService]:
    """``PORTAL_XBEZAHLDIENSTE``: checked at start-up, every problem named."""
    if not spec.strip():
        return {}
    try:
        raw = json.loads(spec)
    except json.JSONDecodeError as error:
        raise ConfigError(f"PORTAL_XBEZAHLDIENSTE ist kein gültiges JSON: {error}.") from None
    if not isinstance(raw, dict):
        raise ConfigError("PORTAL_XBEZAHLDIENSTE: ein JSON-Objekt {Name: Einstellungen}.")
    services: dict[str, XbdService] = {}
    for name, values in raw.items():
        where = f"PORTAL_XBEZAHLDIENSTE „{name}“"
        if not re.fullmatch(r"[a-z0-9-]{1,30}", name) or name == TESTDIENST:
            raise ConfigError(f"{where}: Namen aus a–z, 0–9 und -, nicht „{TESTDIENST}“.")
        if not isinstance(values, dict):
            raise ConfigError(f"{where}: die Einstellungen als JSON-Objekt.")
        unknown = set(values) - set(REQUIRED) - set(OPTIONAL)
        missing = [key for key in REQUIRED if not str(values.get(key, "")).strip()]
        if unknown or missing:
            raise ConfigError(
                f"{where}: fehlt {', '.join(missing) or '–'}; unbekannt "
                f"{', '.join(sorted(unknown)) or '–'}."
            )
        for key in ("originator_id", "endpoint_id"):
            if not ID.match(str(values[key])):
                raise ConfigError(f"{where}: {key} höchstens 36 Zeichen aus A–Z, 0–9, _ und -.")
        for key in ("base_url", "token_url"):
            if urlsplit(str(values[key])).scheme not in ("https", "http"):
                raise ConfigError(f"{where}: {key} muss mit https:// beginnen.")
        services[name] = XbdService(name=name, **{k: str(v).strip() for k, v in values.items()})
    return services


def description_text(value: str, limit: int = 250) -> str:
    """A description in XBezahldienste's allowed characters, cut at a word."""
    cleaned = re.sub(r"[^\w\s,.\u00C0-\u017F-]", " ", value)
    cleaned = " ".join(cleaned.split())
    if len(cleaned) > limit:
        cleaned = cleaned[:limit].rsplit(" ", 1)[0]
    return cleaned or "Gebuehr"


def _amount(cents: int) -> float:
    return round(cents / 100, 2)


def payment_request(payment: Payment, order: Order, redirect_url: str) -> dict[str, Any]:
    """The PaymentRequest: one item, the fee, with the Aktenzeichen in its booking data."""
    amount = _amount(payment.amount_cents)
    booking = {"aktenzeichen": order.reference, "kassenzeichen": payment.kassenzeichen}
    if order.service_key:
        booking["leistungsschluessel"] = order.service_key
    return {
        "requestId": f"{payment.public_id[:26]}-{payment.attempts}",
        "requestTimestamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "currency": payment.currency,
        "grosAmount": amount,
        "purpose": payment.purpose,
        "description": description_text(order.title),
        "redirectUrl": redirect_url,
        "items": [
            {
                "id": "1",
                "reference": re.sub(r"[^\w-]", "-", order.reference, flags=re.ASCII)[:36],
                "description": description_text(order.title),
                "taxRate": 0,
                "quantity": 1,
                "totalNetAmount": amount,
                "totalTaxAmount": 0,
                "singleNetAmount": amount,
                "singleTaxAmount": 0,
                "bookingData": booking,
            }
        ],
    }


class XBezahldiensteProvider:
    offers_refunds = False

    def __init__(self, service: XbdService, *, is_test: bool = False) -> None:
        self.name = f"xbd:{service.name}"
        self.service = service
        self.is_test = is_test
        self.lock = threading.Lock()
        self.adapters: dict[str, BaseAdapter] = {}
        self.session = self._new_session()

    def _new_session(self) -> OAuth2Session:
        session = OAuth2Session(
            self.service.client_id,
            self.service.client_secret,
            token_endpoint=self.service.token_url,
            grant_type="client_credentials",
            token_endpoint_auth_method="client_secret_basic",  # noqa: S106 - a method's name
            scope=self.service.scope or None,
        )
        for prefix, adapter in self.adapters.items():
            session.mount(prefix, adapter)
        return session

    def mount(self, prefix: str, adapter: BaseAdapter) -> None:
        self.adapters[prefix] = adapter
        self.session.mount(prefix, adapter)

    def _url(self, *parts: str) -> str:
        return "/".join(
            [self.service.base_url.rstrip("/"), *(quote(part, safe="") for part in parts)]
        )

    def _call(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """One authenticated call. A token refused before its time is fetched once more; a
        call that did not get through is tried once more (a repeated PaymentRequest carries
        the same requestId, so the service recognises it)."""
        renewed = retried = False
        with self.lock:
            while True:
                try:
                    if not self.session.token:
                        self.session.fetch_token(self.service.token_url)
                    response: requests.Response = self.session.request(
                        method, url, timeout=TIMEOUT, **kwargs
                    )
                except AuthlibBaseError as error:
                    log.error("%s: kein Zugangstoken: %s", self.name, error)
                    raise PaymentProblemError("FORBIDDEN", 401, "token") from None
                except requests.RequestException as error:
                    log.warning("%s nicht erreichbar: %s", self.name, error)
                    if retried:
                        raise ProviderUnavailableError(str(error)) from None
                    retried = True
                    time.sleep(0.2)
                    continue
                if response.status_code == 401 and not renewed:
                    renewed = True
                    self.session = self._new_session()
                    continue
                if response.status_code in (502, 503, 504):
                    log.warning("%s antwortet %d", self.name, response.status_code)
                    if retried:
                        raise ProviderUnavailableError(f"HTTP {response.status_code}")
                    retried = True
                    time.sleep(0.2)
                    continue
                return response

    @staticmethod
    def _problem(response: requests.Response) -> PaymentProblemError:
        try:
            body = response.json()
        except ValueError:
            body = {}
        code = str(body.get("functionalCode") or "") if isinstance(body, dict) else ""
        if not code:
            code = "FORBIDDEN" if response.status_code in (401, 403) else "UNSPECIFIED"
        detail = ""
        if isinstance(body, dict):
            detail = str(body.get("functionalText") or body.get("detail") or "")[:500]
        return PaymentProblemError(code, response.status_code, detail)

    def _transaction(self, payment: Payment) -> dict[str, Any]:
        return self._transaction_at(payment.provider_ref, payment.status_url)

    def _transaction_at(self, transaction_id: str, status_url: str) -> dict[str, Any]:
        url = status_url
        if not url.startswith(self.service.base_url.rstrip("/") + "/"):
            # Follow only addresses of the configured service; build the rest ourselves.
            url = self._url(
                "paymenttransaction",
                self.service.originator_id,
                self.service.endpoint_id,
                transaction_id,
            )
        response = self._call("GET", url)
        if response.status_code != 200:
            raise self._problem(response)
        found: dict[str, Any] = response.json()
        return found

    def _checkout(self, transaction: dict[str, Any]) -> Checkout:
        info = transaction.get("paymentInformation") or {}
        pay_url = str(info.get("transactionRedirectUrl") or "")
        if urlsplit(pay_url).scheme not in ("https", "http") and not pay_url.startswith("/"):
            raise PaymentProblemError("UNSPECIFIED", 502, "no pay page")
        return Checkout(
            url=pay_url,
            ref=str(info.get("transactionId") or ""),
            status_url=str(info.get("transactionUrl") or ""),
            reusable=True,  # the transaction stays payable until it has an outcome
        )

    def start(
        self,
        payment: Payment,
        *,
        success_url: str,
        cancel_url: str,  # noqa: ARG002 - XBezahldienste returns to one address
        idempotency_key: str,  # noqa: ARG002 - the requestId is the idempotency key
        order: Order,
    ) -> Checkout:
        url = self._url("paymenttransaction", self.service.originator_id, self.service.endpoint_id)
        response = self._call("POST", url, json=payment_request(payment, order, success_url))
        if response.status_code in (200, 201):
            return self._checkout(response.json())
        problem = self._problem(response)
        if problem.code == "PAYMENT_EXISTS" and payment.provider_ref:
            return self._checkout(self._transaction(payment))
        log.warning("%s lehnt die Zahlung %s ab: %s", self.name, payment.public_id, problem)
        raise problem

    def status(self, payment: Payment) -> list[ProviderEvent]:
        """The current attempt's transaction, and each earlier one not yet paid: money may
        arrive for an attempt the citizen gave up on (those are asked quietly)."""
        if not payment.provider_ref:
            return []
        found = [self._event(payment, payment.provider_ref, payment.status_url, payment.attempts)]
        paid = {e.data.get("transaction") for e in payment.events if e.kind == "paid"}
        for start in payment.events:
            earlier = str(start.data.get("transaction") or "")
            if (
                start.source != "start"
                or start.provider != self.name
                or not earlier
                or earlier == payment.provider_ref
                or earlier in paid
            ):
                continue
            try:
                found.append(
                    self._event(
                        payment,
                        earlier,
                        str(start.data.get("status_url") or ""),
                        int(start.data.get("attempt") or 0),
                    )
                )
            except ProviderUnavailableError as error:
                log.info("%s: früherer Versuch %s nicht abrufbar: %s", self.name, earlier, error)
        return found

    def _event(
        self, payment: Payment, transaction_id: str, status_url: str, attempt: int
    ) -> ProviderEvent:
        transaction = self._transaction_at(transaction_id, status_url)
        info = transaction.get("paymentInformation") or {}
        status = str(info.get("status") or "")
        if status not in KINDS:
            raise PaymentProblemError("UNSPECIFIED", 502, f"unknown status {status[:20]!r}")
        stamp = str(info.get("transactionTimestamp") or "")
        return ProviderEvent(
            event_id=f"xbd:{transaction_id}:{status}:{stamp}"[:200],
            kind=KINDS[status],
            payment_id=payment.public_id,
            ref=transaction_id,
            data={
                "status": status,
                "attempt": attempt,
                "transaction": transaction_id,
                "transaction_reference": str(info.get("transactionReference") or "")
                if status == "PAYED"
                else "",
                "raw": transaction,
            },
        )

    def refund(self, payment: Payment, amount_cents: int, idempotency_key: str) -> str:  # noqa: ARG002
        raise RefundNotOfferedError(self.service.refund_email)

    def webhook_events(self, body: bytes, signature: str) -> list[ProviderEvent]:  # noqa: ARG002
        raise WebhookRejectedError("XBezahldienste 1.0.0 sends no notifications")

    def health(self) -> bool:
        try:
            response = self._call(
                "GET", self._url("status", self.service.originator_id, self.service.endpoint_id)
            )
        except ProviderUnavailableError:
            return False
        return response.status_code == 200

    @property
    def form_origin(self) -> str:
        parts = urlsplit(self.service.pay_origin or self.service.base_url)
        return f"{parts.scheme}://{parts.netloc}"


class InProcessTransport(BaseAdapter):
    """``requests`` calls answered by a WSGI application in this process (the stand-in of
    the embedded default): no socket, so a single-threaded server cannot wait for itself."""

    def __init__(self, wsgi_app: Any) -> None:
        super().__init__()
        self.client = Client(wsgi_app)

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, **_: Any
    ) -> requests.Response:
        parts = urlsplit(request.url or "")
        body = request.body.encode() if isinstance(request.body, str) else request.body
        answer = self.client.open(
            parts.path,
            method=request.method or "GET",
            query_string=parts.query,
            headers=dict(request.headers),
            data=body or b"",
        )
        response = requests.Response()
        response.status_code = answer.status_code
        response._content = answer.get_data()  # how requests holds a body
        response.headers = CaseInsensitiveDict(dict(answer.headers))
        response.url = request.url or ""
        response.request = request
        response.encoding = "utf-8"
        return response

    def close(self) -> None:
        return None


def xbezahldienste_providers(app: Flask) -> dict[str, XBezahldiensteProvider]:
    """The configured services, and outside production the built-in stand-in."""
    settings = app.config["PORTAL"]
    providers: dict[str, XBezahldiensteProvider] = {}
    for service in services_from(settings.xbezahldienste).values():
        provider = XBezahldiensteProvider(service)
        providers[provider.name] = provider
        app.config["CSP_FORM_TARGETS"].append(provider.form_origin)
    if not settings.is_production:
        providers[f"xbd:{TESTDIENST}"] = _testdienst(app)
    return providers


def _testdienst(app: Flask) -> XBezahldiensteProvider:
    from werkzeug.middleware.dispatcher import DispatcherMiddleware  # noqa: PLC0415

    from portal.payments.xbd_standin import StandInState, create_standin  # noqa: PLC0415

    state = StandInState(public_url=TESTDIENST_MOUNT)
    standin = create_standin(state)
    app.extensions["xbd_testdienst"] = state
    app.wsgi_app = DispatcherMiddleware(  # type: ignore[method-assign]
        app.wsgi_app, {TESTDIENST_MOUNT: standin.wsgi_app}
    )
    service = XbdService(
        name=TESTDIENST,
        base_url=TESTDIENST_HOST,
        token_url=f"{TESTDIENST_HOST}/oauth/token",
        client_id=state.client_id,
        client_secret=state.client_secret,
        originator_id=state.originator_id,
        endpoint_id="testdienst",
    )
    provider = XBezahldiensteProvider(service, is_test=True)
    provider.mount(TESTDIENST_HOST + "/", InProcessTransport(standin.wsgi_app))
    return provider
