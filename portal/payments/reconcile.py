"""No payment stuck: the portal asks the provider until each payment is final.

A webhook may never arrive and a citizen may never come back from the pay page, so every
payment that is not final (bezahlt, erstattet) is asked about with back-off (1, 2, 5 … minutes,
then every six hours) until ``PORTAL_PAYMENT_CHECK_HOURS`` after its attempt started. Failed and
cancelled payments are asked about too: payment services sometimes report a capture after a
failure, and money that arrived counts (``services.derive_state``). A payment still open at the
end is recorded as expired. A payment open longer than ``PORTAL_PAYMENT_STUCK_MINUTES`` is
stuck: staff see it with a button to ask now, and the operator gets one e-mail for it.

``flask --app wsgi payments reconcile`` runs it (cron every minute, or ``--loop``).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterator

from flask import current_app
from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import Select, func, select

from portal.core.db import utcnow
from portal.core.jobs import dispatch_pending, enqueue
from portal.core.mail import send_mail
from portal.extensions import db
from portal.payments.models import Payment, PaymentState
from portal.payments.providers import ProviderUnavailableError, provider_named
from portal.payments.services import record_event
from portal.payments.xbezahldienste import PaymentProblemError

log = logging.getLogger(__name__)

BACKOFF_MINUTES = (1, 2, 5, 10, 20, 30, 60, 120, 240, 360)
FINAL = (PaymentState.PAID, PaymentState.REFUNDED)
UNAVAILABLE = "UNAVAILABLE"
NOT_CONFIGURED = "NOT_CONFIGURED"


def started(payment: Payment, now: dt.datetime | None = None) -> None:
    """A new attempt went to the provider: ask about it from a minute on."""
    now = now or utcnow()
    payment.attempt_started_at = now
    payment.checks = 0
    payment.stuck_alerted_at = None
    payment.next_check_at = now + dt.timedelta(minutes=BACKOFF_MINUTES[0])


def _schedule(payment: Payment, now: dt.datetime) -> None:
    hours = current_app.config["PORTAL"].payment_check_hours
    begun = payment.attempt_started_at or payment.created_at
    if payment.state in FINAL:
        payment.next_check_at = None
    elif now - begun >= dt.timedelta(hours=hours):
        payment.next_check_at = None
        if payment.state == PaymentState.OPEN:
            record_event(
                payment,
                provider=payment.provider,
                event_id=f"expired:{payment.public_id}:{payment.attempts}",
                kind="cancelled",
                source="reconcile",
                data={"attempt": payment.attempts, "expired": True},
            )
            log.warning("Zahlung %s ohne Ergebnis abgelaufen", payment.public_id)
    else:
        step = BACKOFF_MINUTES[min(payment.checks, len(BACKOFF_MINUTES) - 1)]
        payment.next_check_at = now + dt.timedelta(minutes=step)


def check(payment: Payment, source: str, now: dt.datetime | None = None) -> str:
    """Ask the payment's provider now and record what it says. Returns "" when the provider
    answered, else the problem (its code, or UNAVAILABLE); the next check is scheduled."""
    now = now or utcnow()
    asked = provider_named(payment.provider)
    problem = explanation = ""
    if asked is None:
        problem = NOT_CONFIGURED
    else:
        try:
            events = asked.status(payment)
        except PaymentProblemError as error:
            problem, explanation = error.code, error.text
        except ProviderUnavailableError:
            problem = UNAVAILABLE
        else:
            for event in events:
                new = record_event(
                    payment,
                    provider=asked.name,
                    event_id=event.event_id,
                    kind=event.kind,
                    source=source,
                    data={"attempt": payment.attempts, **event.data},
                )
                if new and event.kind == "paid":
                    _paid_twice(payment)
    if problem and problem != payment.last_problem:
        alert(
            f"Zahlungsstatus nicht abrufbar: {payment.kassenzeichen}",
            f"Der Zahlungsanbieter {payment.provider} hat auf die Statusabfrage der Zahlung "
            f"mit dem Kassenzeichen {payment.kassenzeichen} mit „{problem}“ geantwortet.\n"
            + (f"Erklärung des Zahlungsanbieters: {explanation}\n" if explanation else "")
            + "Das Portal fragt weiter nach. Bleibt es dabei, bitte den Bezahldienst prüfen.",
        )
    payment.last_problem = problem
    payment.checks += 1
    _schedule(payment, now)
    payment.updated_at = now
    db.session.flush()
    return problem


def _paid_twice(payment: Payment) -> None:
    """Two attempts' transactions both paid: the Kasse holds the fee twice and must pay one
    back. The operator hears of it with both references."""
    paid = sorted(
        {
            str(event.data.get("transaction_reference") or event.data.get("transaction") or "")
            for event in payment.events
            if event.kind == "paid"
        }
    )
    if len(paid) < 2:
        return
    log.error("Zahlung %s zweimal bezahlt: %s", payment.public_id, ", ".join(paid))
    alert(
        f"Gebühr zweimal bezahlt: {payment.kassenzeichen}",
        f"Für die Zahlung mit der Zahlungsnummer {payment.kassenzeichen} (Verwendungszweck "
        f"{payment.purpose}) sind mehrere Zahlungen eingegangen: {', '.join(paid)}.\n"
        "Bitte erstatten Sie den doppelt gezahlten Betrag über die Kasse.",
    )


def due(now: dt.datetime, limit: int) -> Select[Payment]:
    return (
        select(Payment)
        .where(Payment.next_check_at.is_not(None), Payment.next_check_at <= now)
        .order_by(Payment.next_check_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


def _stuck_before(now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(minutes=current_app.config["PORTAL"].payment_stuck_minutes)


def stuck(now: dt.datetime) -> Select[Payment]:
    """Payments still open although their attempt began longer ago than the stuck limit."""
    return select(Payment).where(
        Payment.state == PaymentState.OPEN,
        Payment.attempts > 0,
        Payment.attempt_started_at < _stuck_before(now),
    )


def payment_figures() -> Iterator[Metric]:
    """For /metrics: payments open longer than the stuck limit (the same rule staff see)."""
    count = db.session.scalar(select(func.count()).select_from(stuck(utcnow()).subquery()))
    gauge = GaugeMetricFamily(
        "portal_payments_stuck", "Payments still without result after the stuck limit"
    )
    gauge.add_metric([], int(count or 0))
    yield gauge


def is_stuck(payment: Payment, now: dt.datetime) -> bool:
    """``stuck`` for one payment at hand."""
    return (
        payment.state == PaymentState.OPEN
        and payment.attempts > 0
        and payment.attempt_started_at is not None
        and payment.attempt_started_at < _stuck_before(now)
    )


def run_due(now: dt.datetime | None = None, limit: int = 200) -> int:
    """One reconciliation run: ask about every payment due, then tell the operator about
    payments newly stuck. Commits once; returns how many payments were asked about."""
    now = now or utcnow()
    payments = list(db.session.scalars(due(now, limit)))
    for payment in payments:
        check(payment, "reconcile", now)
    newly = list(db.session.scalars(stuck(now).where(Payment.stuck_alerted_at.is_(None))))
    if newly:
        lines = "\n".join(
            f"- Kassenzeichen {payment.kassenzeichen} ({payment.provider}), seit "
            f"{payment.attempt_started_at:%d.%m.%Y %H:%M} UTC"
            for payment in newly
            if payment.attempt_started_at
        )
        alert(
            f"{len(newly)} Zahlung(en) ohne Ergebnis",
            "Diese Zahlungen haben noch kein Ergebnis des Zahlungsanbieters:\n"
            f"{lines}\n\nDas Portal fragt weiter nach. In der Verwaltung unter „Zahlungen“ "
            "lässt sich der Stand jeder Zahlung sofort prüfen.",
        )
        for payment in newly:
            payment.stuck_alerted_at = now
    db.session.commit()
    dispatch_pending()  # the alerts, now that what they report is stored
    return len(payments)


READY_SECONDS = 30


def services_ready() -> bool:
    """Readiness: every configured XBezahldienste service answers its status endpoint (asked
    at most every 30 seconds per process, so a load balancer's probes do not flood it)."""
    cache: dict[str, tuple[float, bool]] = current_app.extensions.setdefault("payment_ready", {})
    ready = True
    for name, provider in current_app.extensions["payment_providers"].items():
        if not name.startswith("xbd:") or provider.is_test:
            continue
        asked_at, answer = cache.get(name, (0.0, True))
        if time.monotonic() - asked_at > READY_SECONDS:
            answer = provider.health()
            cache[name] = (time.monotonic(), answer)
        ready = ready and answer
    return ready


def alert(subject: str, body: str) -> None:
    """Tell the operator (``PORTAL_PAYMENT_ALERT_EMAIL``) after the unit of work commits."""
    settings = current_app.config["PORTAL"]
    log.warning("Zahlungen: %s", subject)
    write_to(settings.payment_alert_email or settings.mail_from, subject, body)


def write_to(address: str, subject: str, body: str) -> None:
    """An e-mail to an office (the Kasse, the operator), sent after the unit of work commits."""
    enqueue(send_alert, address, subject, body)


def send_alert(to: str, subject: str, body: str) -> None:
    send_mail(to, subject, body)
