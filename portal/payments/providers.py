"""Payment providers behind one small interface.

``StripeProvider`` uses the real ``stripe`` library (Checkout Sessions, idempotency keys,
webhooks verified with ``stripe.Webhook.construct_event``); ``PORTAL_STRIPE_API_BASE`` points it
at a local stand-in in tests. ``TestProvider`` is the embedded default: a page of our own,
plainly labelled, where the person chooses the outcome; no money moves. The municipality's own
payment services speak XBezahldienste (``xbezahldienste.py``); which provider takes which
office's or form's fees is ``routing.py``.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import stripe
from flask import Flask, current_app, url_for

from portal.config import ConfigError
from portal.payments.models import Payment

log = logging.getLogger(__name__)


class WebhookRejectedError(ValueError):
    """Signature, timestamp or payload not acceptable."""


class ProviderUnavailableError(RuntimeError):
    """The provider could not be reached or refused the request."""


class RefundNotOfferedError(RuntimeError):
    """The payment service cannot refund: the Kasse pays back (its address, if known)."""


@dataclass(frozen=True)
class Checkout:
    url: str
    ref: str
    status_url: str = ""
    # The pay page leads to the same open transaction when the citizen presses "pay" again.
    reusable: bool = False


@dataclass(frozen=True)
class Order:
    """What is paid for, as the payment service books it."""

    reference: str  # the Aktenzeichen
    title: str
    service_key: str = ""


@dataclass(frozen=True)
class ProviderEvent:
    """A verified fact from the provider about one of our payments."""

    event_id: str
    kind: str  # paid, failed, cancelled
    payment_id: str = ""  # our public id, when the provider echoes it
    ref: str = ""  # the provider's checkout reference
    data: dict[str, Any] = field(default_factory=dict)


class PaymentProvider(Protocol):
    name: str
    is_test: bool
    offers_refunds: bool

    def start(
        self,
        payment: Payment,
        *,
        success_url: str,
        cancel_url: str,
        idempotency_key: str,
        order: Order,
    ) -> Checkout: ...

    def status(self, payment: Payment) -> list[ProviderEvent]:
        """What the provider says now (verified: we asked it). Raises
        ``ProviderUnavailableError`` when it cannot be asked."""
        ...

    def health(self) -> bool: ...

    def refund(self, payment: Payment, amount_cents: int, idempotency_key: str) -> str: ...

    def webhook_events(self, body: bytes, signature: str) -> list[ProviderEvent]: ...


class TestProvider:
    """The embedded default: our own checkout page says that it is a test."""

    name = "test"
    is_test = True
    offers_refunds = True

    def start(
        self,
        payment: Payment,
        *,
        success_url: str,  # noqa: ARG002 - the test page knows where to return
        cancel_url: str,  # noqa: ARG002
        idempotency_key: str,  # noqa: ARG002
        order: Order,  # noqa: ARG002
    ) -> Checkout:
        url = url_for(
            "payments.test_checkout", public_id=payment.public_id, attempt=payment.attempts
        )
        return Checkout(url=url, ref=f"test-{payment.public_id}-{payment.attempts}")

    def status(self, payment: Payment) -> list[ProviderEvent]:  # noqa: ARG002
        return []  # the test page records its events itself

    def health(self) -> bool:
        return True

    def refund(self, payment: Payment, amount_cents: int, idempotency_key: str) -> str:  # noqa: ARG002
        return f"test-refund-{secrets.token_hex(6)}"

    def webhook_events(self, body: bytes, signature: str) -> list[ProviderEvent]:  # noqa: ARG002
        raise WebhookRejectedError("the test provider sends no webhooks")


STRIPE_KINDS = {
    "checkout.session.async_payment_succeeded": "paid",
    "checkout.session.async_payment_failed": "failed",
    "checkout.session.expired": "cancelled",
}


class StripeProvider:
    name = "stripe"
    is_test = False
    offers_refunds = True

    def __init__(self, secret_key: str, webhook_secret: str, api_base: str) -> None:
        self.client = stripe.StripeClient(
            secret_key, base_addresses={"api": api_base}, max_network_retries=2
        )
        self.webhook_secret = webhook_secret

    def start(
        self,
        payment: Payment,
        *,
        success_url: str,
        cancel_url: str,
        idempotency_key: str,
        order: Order,
    ) -> Checkout:
        metadata = {
            "payment": payment.public_id,
            "kassenzeichen": payment.kassenzeichen,
            "aktenzeichen": order.reference,
        }
        try:
            session = self.client.v1.checkout.sessions.create(
                params={
                    "mode": "payment",
                    "line_items": [
                        {
                            "quantity": 1,
                            "price_data": {
                                "currency": payment.currency.lower(),
                                "unit_amount": payment.amount_cents,
                                "product_data": {"name": payment.purpose},
                            },
                        }
                    ],
                    "success_url": success_url + "?session_id={CHECKOUT_SESSION_ID}",
                    "cancel_url": cancel_url,
                    "client_reference_id": payment.public_id,
                    "metadata": metadata,
                    "payment_intent_data": {"description": payment.purpose, "metadata": metadata},
                    "locale": "de",
                },
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as error:
            log.error("stripe checkout failed: %s", error)
            raise ProviderUnavailableError(str(error)) from None
        return Checkout(url=str(session.url), ref=str(session.id))

    def _from_session(self, raw: Any, event_id: str) -> ProviderEvent | None:
        session = _plain(raw)
        data = {"payment_intent": session.get("payment_intent") or "", "raw": session}
        meta = session.get("metadata") or {}
        payment_id = str(meta.get("payment") or session.get("client_reference_id") or "")
        ref = str(session.get("id") or "")
        if session.get("payment_status") in ("paid", "no_payment_required"):
            kind = "paid"
        elif session.get("status") == "expired":
            kind = "cancelled"
        else:
            return None
        return ProviderEvent(event_id, kind, payment_id=payment_id, ref=ref, data=data)

    def status(self, payment: Payment) -> list[ProviderEvent]:
        """Ask Stripe (authenticated by our key, so verified) how the checkout ended."""
        if not payment.provider_ref:
            return []
        try:
            session = self.client.v1.checkout.sessions.retrieve(payment.provider_ref)
        except stripe.StripeError as error:
            log.warning("stripe status unavailable: %s", error)
            raise ProviderUnavailableError(str(error)) from None
        plain = _plain(session)
        found = self._from_session(plain, f"session:{plain['id']}:{plain.get('payment_status')}")
        return [found] if found else []

    def health(self) -> bool:
        return True  # Stripe's availability is Stripe's; a failed call is retried

    def refund(self, payment: Payment, amount_cents: int, idempotency_key: str) -> str:
        try:
            refund = self.client.v1.refunds.create(
                params={"payment_intent": payment.provider_payment, "amount": amount_cents},
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as error:
            log.error("stripe refund failed: %s", error)
            raise ProviderUnavailableError(str(error)) from None
        return str(refund.id)

    def webhook_events(self, body: bytes, signature: str) -> list[ProviderEvent]:
        try:
            event = stripe.Webhook.construct_event(body, signature, self.webhook_secret)
        except (ValueError, stripe.SignatureVerificationError) as error:
            raise WebhookRejectedError(str(error)) from None
        session = _plain(event.data.object)
        if event.type == "checkout.session.completed":
            found = self._from_session(session, event.id)
            return [found] if found else []
        kind = STRIPE_KINDS.get(event.type)
        if kind is None or session.get("object") != "checkout.session":
            return []
        meta = session.get("metadata") or {}
        return [
            ProviderEvent(
                event_id=event.id,
                kind=kind,
                payment_id=str(meta.get("payment") or session.get("client_reference_id") or ""),
                ref=str(session.get("id") or ""),
                data={"payment_intent": session.get("payment_intent") or "", "raw": session},
            )
        ]


def _plain(value: Any) -> dict[str, Any]:
    """Stripe objects as plain dicts (recent versions of the library drop ``.get``)."""
    if hasattr(value, "to_dict"):
        plain: dict[str, Any] = value.to_dict()
        return plain
    return dict(value or {})


ProviderFactory = Callable[[Flask], PaymentProvider]
PAYMENT_PROVIDERS: dict[str, ProviderFactory] = {}


def payment_provider(name: str) -> Callable[[ProviderFactory], ProviderFactory]:
    """Register a kind of payment provider under the name ``PORTAL_PAYMENT_PROVIDER`` uses."""

    def decorator(factory: ProviderFactory) -> ProviderFactory:
        PAYMENT_PROVIDERS[name] = factory
        return factory

    return decorator


@payment_provider("test")
def _test_provider(_app: Flask) -> PaymentProvider:
    return TestProvider()


@payment_provider("stripe")
def _stripe_provider(app: Flask) -> PaymentProvider:
    settings = app.config["PORTAL"]
    if not settings.stripe_secret_key:
        raise ConfigError("PORTAL_STRIPE_SECRET_KEY fehlt für den Zahlungsanbieter stripe.")
    if not settings.stripe_webhook_secret:
        raise ConfigError(
            "PORTAL_STRIPE_WEBHOOK_SECRET fehlt: ohne geprüfte Webhooks gilt keine Zahlung."
        )
    app.config["CSP_FORM_TARGETS"].append(settings.stripe_checkout_origin)
    return StripeProvider(
        settings.stripe_secret_key, settings.stripe_webhook_secret, settings.stripe_api_base
    )


def provider() -> PaymentProvider:
    """The provider new payments go to (``PORTAL_PAYMENT_PROVIDER``)."""
    chosen: PaymentProvider = current_app.extensions["payment_provider"]
    return chosen


def provider_named(name: str) -> PaymentProvider | None:
    """A configured provider by name: where a payment started is where it is refunded and
    asked about, even after the portal moved new payments elsewhere."""
    found: PaymentProvider | None = current_app.extensions["payment_providers"].get(name)
    return found
