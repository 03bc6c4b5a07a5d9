"""Keeping the calendar for citizens: who holds unusually many appointments, cancelling them in
bulk, and the signals for operators (a metric by outcome, a warning when a calendar is flooded).

A booking stores a keyed hash of the client's address, never the address: enough to see that one
client holds forty times, nothing to find the person behind it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
from dataclasses import dataclass

from flask import current_app, request
from prometheus_client import Counter
from sqlalchemy import func, select

from portal.appointments.models import Booking, BookingState
from portal.appointments.services import cancel, still_open
from portal.core.db import utcnow
from portal.extensions import db

log = logging.getLogger(__name__)
BURST_WINDOW = dt.timedelta(minutes=10)
BOOKINGS = Counter(
    "portal_appointment_bookings_total",
    "Booking attempts by outcome (vorgemerkt, gebucht, bestaetigt, vergeben, zu_viele)",
    ["outcome"],
)


def client_key() -> str:
    """A keyed hash of the requesting client's address (16 hex digits)."""
    secret = current_app.config["SECRET_KEY"].encode()
    address = (request.remote_addr or "").encode()
    return hmac.new(secret, b"appointment-client:" + address, hashlib.sha256).hexdigest()[:16]


def count_booking(outcome: str) -> None:
    BOOKINGS.labels(outcome).inc()


def watch_for_burst(calendar_id: int, now: dt.datetime | None = None) -> bool:
    """Warn in the log (for the operator's alerting) when the calendar has received
    ``PORTAL_APPOINTMENT_BURST_THRESHOLD`` holds in ten minutes; returns whether it did."""
    moment = now or utcnow()
    threshold: int = current_app.config["PORTAL"].appointment_burst_threshold
    recent = db.session.scalar(
        select(func.count(Booking.id)).where(
            Booking.calendar_id == calendar_id, Booking.created_at > moment - BURST_WINDOW
        )
    )
    if int(recent or 0) == threshold:  # once per burst, not on every booking after it
        log.warning(
            "Terminkalender %s: %s Buchungen in 10 Minuten – möglicherweise ein Angriff",
            calendar_id,
            threshold,
            extra={"alert": "appointment_burst", "calendar_id": calendar_id},
        )
        return True
    return False


@dataclass(frozen=True)
class Holder:
    """An e-mail address or a client holding many open appointments in one calendar."""

    kind: str  # "email" or "client"
    key: str
    count: int


def heavy_holders(calendar_id: int, now: dt.datetime | None = None) -> list[Holder]:
    """Addresses and clients with at least ``PORTAL_APPOINTMENT_ALERT_THRESHOLD`` open
    appointments in the calendar, most first."""
    moment = now or utcnow()
    threshold: int = current_app.config["PORTAL"].appointment_alert_threshold
    found: list[Holder] = []
    for kind, column in (("email", Booking.email_key), ("client", Booking.client_key)):
        rows = db.session.execute(
            select(column, func.count(Booking.id))
            .where(still_open(calendar_id, moment), column != "")
            .group_by(column)
            .having(func.count(Booking.id) >= threshold)
        ).all()
        found += [Holder(kind, key, count) for key, count in rows]
    return sorted(found, key=lambda holder: (-holder.count, holder.kind, holder.key))


def bookings_of_holder(
    calendar_id: int, kind: str, key: str, now: dt.datetime | None = None
) -> list[Booking]:
    column = Booking.email_key if kind == "email" else Booking.client_key
    return list(
        db.session.scalars(
            select(Booking)
            .where(still_open(calendar_id, now or utcnow()), column == key)
            .order_by(Booking.starts_at)
        )
    )


def cancel_all(bookings: list[Booking], now: dt.datetime | None = None) -> list[Booking]:
    """Cancel every open one (flushes); returns the confirmed ones, whose people are told.
    Holds never confirmed are released silently: their address is not known to be anyone's."""
    moment = now or utcnow()
    told = [b for b in bookings if b.state == BookingState.BOOKED and b.confirmed_at is not None]
    for booking in bookings:
        cancel(booking, moment)
    return told
