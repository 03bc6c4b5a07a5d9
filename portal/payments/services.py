"""Payments: Kassenzeichen, events, the state they add up to, refunds, the export."""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import re
import secrets
from typing import Any

from flask_babel import format_currency
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from portal.applications.models import Application
from portal.catalog.text import ascii_text
from portal.core.db import utcnow
from portal.core.signals import emit, payment_settled, refund_recorded
from portal.extensions import db
from portal.identity.access import OfficeScope, in_scope
from portal.payments.models import Payment, PaymentEvent, PaymentState, Refund

log = logging.getLogger(__name__)

PURPOSE_LIMIT = 27  # ePayBL's Verwendungszweck
STATE_LABELS = {
    PaymentState.OPEN: _l("noch nicht bezahlt"),
    PaymentState.PAID: _l("bezahlt"),
    PaymentState.FAILED: _l("fehlgeschlagen"),
    PaymentState.CANCELLED: _l("abgebrochen"),
    PaymentState.REFUNDED: _l("erstattet"),
}


def state_label(state: PaymentState | None) -> str:
    """A payment's state in words for the screen (``None``: no payment started yet)."""
    return str(STATE_LABELS[state if state is not None else PaymentState.OPEN])


# "open": the provider was asked and has no outcome yet (kept raw, changes nothing).
def shown_kassenzeichen(payment: Payment) -> str:
    """The Kassenzeichen a citizen or clerk should quote. A payment service's own reference
    (XBezahldienste transactionReference) exists only once paid and then wins; before that an
    XBezahldienste payment shows none, since the Kasse does not know ours."""
    if payment.transaction_reference:
        return payment.transaction_reference
    if payment.provider.startswith("xbd:") and payment.state != PaymentState.PAID:
        return ""
    return payment.kassenzeichen


KINDS = ("paid", "failed", "cancelled", "open")


def luhn_digit(digits: str) -> str:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 0:
            value *= 2
            value = value - 9 if value > 9 else value
        total += value
    return str((10 - total % 10) % 10)


def new_kassenzeichen() -> str:
    """Twelve digits, the last a Luhn check digit (what cash systems commonly expect)."""
    body = str(secrets.randbelow(9 * 10**10) + 10**10)
    return body + luhn_digit(body)


def purpose_text(reference: str, title: str) -> str:
    """The Verwendungszweck: the Aktenzeichen (unique, one payment per application), then as
    many whole words of ``title`` as fit, at most 27 characters of A–Z, a–z, 0–9, space and
    hyphen (what XBezahldienste and ePayBL accept; umlauts are spelt out)."""
    head = reference if len(reference) <= PURPOSE_LIMIT else reference.split("-", 1)[-1]
    head = re.sub(r"[^A-Za-z0-9-]", "-", head)[:PURPOSE_LIMIT]
    text = head
    for word in re.sub(r"[^A-Za-z0-9 -]", " ", ascii_text(title)).split():
        if len(text) + 1 + len(word) > PURPOSE_LIMIT:
            break
        text = f"{text} {word}"
    return text


def payment_for(application: Application) -> Payment | None:
    found: Payment | None = db.session.scalar(
        select(Payment).where(Payment.application_id == application.id)
    )
    return found


def states_of(application_ids: list[int]) -> dict[int, PaymentState]:
    """The payment state of each of these applications that has a payment (one query)."""
    if not application_ids:
        return {}
    rows = db.session.execute(
        select(Payment.application_id, Payment.state).where(
            Payment.application_id.in_(application_ids)
        )
    )
    return {int(application_id): PaymentState(state) for application_id, state in rows}


def open_payment(application: Application, purpose: str, provider: str) -> Payment:
    """The application's payment, made on first use (one per application)."""
    existing = payment_for(application)
    if existing is not None:
        return existing
    payment = Payment(
        public_id=secrets.token_hex(16),
        updated_at=utcnow(),
        application_id=application.id,
        kassenzeichen=new_kassenzeichen(),
        purpose=purpose_text(application.reference or "", purpose),
        amount_cents=application.fee_cents,
        currency="EUR",
        provider=provider,
        state=PaymentState.OPEN,
    )
    db.session.add(payment)
    db.session.flush()
    return payment


def derive_state(payment: Payment) -> PaymentState:
    """The state all recorded events add up to, whatever order they came in.

    A success counts whenever it arrives (a success after a failure ends as bezahlt); without
    one, the newest attempt's failure or cancellation counts; refunds of the full amount end
    as erstattet — refunds that went back, not those the Kasse is only asked for.
    """
    events = payment.events
    if any(event.kind == "paid" for event in events):
        if payment.refunded_cents and refunded_done(payment) >= payment.amount_cents:
            return PaymentState.REFUNDED
        return PaymentState.PAID
    latest = [e for e in events if e.data.get("attempt") == payment.attempts]
    kinds = {event.kind for event in latest}
    if "failed" in kinds:
        return PaymentState.FAILED
    if "cancelled" in kinds:
        return PaymentState.CANCELLED
    return PaymentState.OPEN


def record_event(
    payment: Payment,
    *,
    provider: str,
    event_id: str,
    kind: str,
    source: str,
    data: dict[str, Any] | None = None,
) -> bool:
    """Record a verified event once; ``False`` for a repeat. Recomputes the state."""
    if kind not in KINDS:
        raise ValueError(kind)
    try:
        with db.session.begin_nested():
            event = PaymentEvent(
                payment_id=payment.id,
                provider=provider,
                event_id=event_id,
                kind=kind,
                source=source,
                data=data or {},
            )
            db.session.add(event)
            db.session.flush()
    except IntegrityError:
        return False
    db.session.refresh(payment)
    if data and data.get("payment_intent") and not payment.provider_payment:
        payment.provider_payment = str(data["payment_intent"])
    if kind == "paid" and data and data.get("transaction_reference"):
        payment.transaction_reference = str(data["transaction_reference"])[:100]
    before = payment.state
    payment.state = derive_state(payment)
    if kind == "paid" and before in (PaymentState.FAILED, PaymentState.CANCELLED):
        # Payment services sometimes capture after reporting a failure: money counts.
        log.warning(
            "Zahlung %s: Eingang nach „%s“ gemeldet, gilt als bezahlt", payment.public_id, before
        )
    if payment.state == PaymentState.PAID and payment.paid_at is None:
        payment.paid_at = utcnow()
        db.session.flush()
        # late: the citizen was told it failed or was cancelled; the Postfach tells them now
        emit(payment_settled, payment=payment,
             late=before in (PaymentState.FAILED, PaymentState.CANCELLED))  # fmt: skip
    if payment.state != before:
        payment.updated_at = utcnow()
    db.session.flush()
    return True


def refund_by_key(key: str) -> Refund | None:
    found: Refund | None = db.session.scalar(select(Refund).where(Refund.idempotency_key == key))
    return found


def add_refund(
    payment: Payment,
    amount_cents: int,
    provider_ref: str,
    reason: str,
    staff_id: int | None,
    *,
    key: str,
    by_kasse: bool = False,
) -> Refund:
    """Book a refund the provider accepted (or, ``by_kasse``, that the Kasse is asked to pay
    back). The caller holds the payment's row lock and has checked the amount; ``key`` is
    unique, so the same request never books twice."""
    refund = Refund(
        idempotency_key=key,
        by_kasse=by_kasse,
        amount_cents=amount_cents,
        provider_ref=provider_ref,
        reason=reason,
        staff_id=staff_id,
        completed_at=None if by_kasse else utcnow(),
    )
    payment.refunds.append(refund)
    # Counts what is refunded or asked for, so nothing is refunded twice.
    payment.refunded_cents += amount_cents
    payment.state = derive_state(payment)
    payment.updated_at = utcnow()
    db.session.flush()
    emit(refund_recorded, payment=payment, amount_cents=amount_cents, done=refund.done)
    return refund


def refunded_done(payment: Payment) -> int:
    """What went back to the payer (the Kasse's refunds once a clerk recorded them)."""
    return sum(refund.amount_cents for refund in payment.refunds if refund.done)


def refund_requested(payment: Payment) -> int:
    """What the Kasse is asked to pay back and has not yet (as far as the portal knows)."""
    return sum(refund.amount_cents for refund in payment.refunds if not refund.done)


def complete_refund(payment: Payment, refund: Refund) -> bool:
    """Record that the Kasse paid ``refund`` back; ``False`` if that was recorded already.
    The caller holds the payment's row lock."""
    if refund.done:
        return False
    refund.completed_at = utcnow()
    payment.state = derive_state(payment)
    payment.updated_at = utcnow()
    db.session.flush()
    emit(refund_recorded, payment=payment, amount_cents=refund.amount_cents, done=True)
    return True


def _money(cents: int) -> str:
    return str(format_currency(cents / 100, "EUR"))


def refund_note(payment: Payment | None) -> str:
    """What became of refunds, for the screen: "" without any."""
    if payment is None or not payment.refunded_cents:
        return ""
    requested, done = refund_requested(payment), refunded_done(payment)
    parts = []
    if done and payment.state != PaymentState.REFUNDED:
        parts.append(_("teilweise erstattet: %(amount)s", amount=_money(done)))
    if requested:
        parts.append(
            _("Erstattung angefordert: %(amount)s (die Stadtkasse überweist)",
              amount=_money(requested))
        )  # fmt: skip
    return "; ".join(str(part) for part in parts)


def refundable(payment: Payment) -> int:
    if payment.state not in (PaymentState.PAID,):
        return 0
    return payment.amount_cents - payment.refunded_cents


EXPORT_COLUMNS = [
    "kassenzeichen",
    "aktenzeichen",
    "verwendungszweck",
    "betrag",
    "waehrung",
    "status",
    "bezahlt_am",
    "erstattet",
    "anbieter",
    "anbieter_referenz",
    "kassenzeichen_bezahldienst",
    "erstattung_durch_kasse",
    "erstattung_angefordert",
]


def _euro(cents: int) -> str:
    return f"{cents / 100:.2f}".replace(".", ",")


def export_csv(start: dt.date, end: dt.date, scope: OfficeScope) -> str:
    """Payments paid (or refunded) between ``start`` and ``end`` of the offices in ``scope``
    for the cash system (HKR): semicolon-separated, German decimal comma, UTF-8 with BOM so
    spreadsheets read it."""
    lower = dt.datetime.combine(start, dt.time.min, tzinfo=dt.UTC)
    upper = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
    rows = db.session.execute(
        select(Payment, Application.reference)
        .join(Application, Application.id == Payment.application_id)
        .where(
            Payment.paid_at >= lower,
            Payment.paid_at < upper,
            in_scope(Application.office_id, scope),
        )
        .order_by(Payment.paid_at)
        .options(selectinload(Payment.refunds))
    ).all()
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for payment, reference in rows:
        writer.writerow(
            [
                payment.kassenzeichen,
                reference,
                payment.purpose,
                _euro(payment.amount_cents),
                payment.currency,
                payment.state.value,
                payment.paid_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
                if payment.paid_at
                else "",
                _euro(refunded_done(payment)),
                payment.provider,
                payment.provider_payment or payment.provider_ref,
                payment.transaction_reference,
                _euro(sum(refund.amount_cents for refund in payment.refunds if refund.by_kasse)),
                _euro(refund_requested(payment)),
            ]
        )
    return buffer.getvalue()


def totals_by_office(scope: OfficeScope) -> dict[int, dict[PaymentState, tuple[int, int]]]:
    """Per office of ``scope``: per payment state, how many payments and how many cents
    (refunds are counted in ``refunded_cents``, not here). One grouped query; reads only."""
    totals: dict[int, dict[PaymentState, tuple[int, int]]] = {}
    rows = db.session.execute(
        select(Application.office_id, Payment.state, func.count(), func.sum(Payment.amount_cents))
        .join(Application, Application.id == Payment.application_id)
        .where(Application.office_id.is_not(None), in_scope(Application.office_id, scope))
        .group_by(Application.office_id, Payment.state)
    )
    for office_id, state, count, cents in rows:
        if office_id is not None:
            totals.setdefault(office_id, {})[state] = (int(count), int(cents or 0))
    return totals
