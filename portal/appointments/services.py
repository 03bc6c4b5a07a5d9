"""Booking, cancelling and moving appointments, and what a citizen or a clerk sees of them."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import ColumnElement, and_, delete, func, select
from sqlalchemy.exc import IntegrityError

from portal.appointments.models import Booking, BookingState, Calendar, Offer, SlotClaim
from portal.appointments.providers import office_systems
from portal.appointments.slots import (
    BERLIN,
    Slot,
    Taken,
    cells,
    day_bounds,
    days_between,
    first_and_last_day,
    free_slots,
)
from portal.catalog.models import Leistung, Office, Zustaendigkeit
from portal.core.db import utcnow
from portal.core.pagecache import bump_revision
from portal.extensions import db

TOKEN_PURPOSE = "appointment-manage"  # noqa: S105 - the salt: a manage link opens nothing else
CONFIRM_PURPOSE = "appointment-confirm"  # only in the e-mail: proves the address is the citizen's
OPEN_STATES = (BookingState.HELD, BookingState.BOOKED)
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class SlotTakenError(RuntimeError):
    """The time was free when shown and is taken now (or was never offered)."""


class TooManyOpenError(RuntimeError):
    """The address already holds the most open appointments a calendar allows."""


class HoldExpiredError(RuntimeError):
    """The held time was not confirmed in time and has been given to others."""


class CancelledBookingError(RuntimeError):
    """A cancelled appointment cannot be marked as attended or missed."""


@dataclass(frozen=True)
class BookingPlace:
    """Where a service can be booked: the office and the address of its booking page."""

    office_name: str
    url: str
    external: bool
    office_id: int = 0


def holiday_land() -> str:
    land: str = current_app.config["PORTAL"].appointment_holidays
    return land


def places_for(leistung_id: int, own_url: Callable[[int], str]) -> list[BookingPlace]:
    """Where ``leistung_id`` can be booked: the portal's active calendars offering it (their
    page is ``own_url(offer id)``) and the systems of the offices responsible for it."""
    systems = office_systems()
    rows = db.session.execute(
        select(Offer.id, Office.id, Office.name)
        .join(Calendar, Calendar.id == Offer.calendar_id)
        .join(Office, Office.id == Calendar.office_id)
        .where(Offer.leistung_id == leistung_id, Calendar.active)
        .order_by(Office.name, Calendar.name)
    ).all()
    places = [
        BookingPlace(name, own_url(offer_id), False, office_id)
        for offer_id, office_id, name in rows
        if office_id not in systems
    ]
    responsible = db.session.execute(
        select(Office.id, Office.name)
        .join(Zustaendigkeit, Zustaendigkeit.office_id == Office.id)
        .where(Zustaendigkeit.leistung_id == leistung_id, Office.id.in_(list(systems)))
        .distinct()
    ).all()
    for office_id, name in responsible:
        url = systems[office_id].booking_url(leistung_id)
        if url:
            places.append(BookingPlace(name, url, True, office_id))
    return places


def bookable_offer(offer_id: int) -> Offer | None:
    offer = db.session.get(Offer, offer_id)
    if offer is None or not offer.calendar.active:
        return None
    if offer.calendar.office_id in office_systems():
        return None  # booked in the office's own system
    return offer


def _lapsed(moment: dt.datetime) -> ColumnElement[bool]:
    """Holds not confirmed in time: their times count as free (``book`` releases them)."""
    return and_(Booking.state == BookingState.HELD, Booking.hold_until <= moment)


def _taken(calendar: Calendar, start: dt.datetime, end: dt.datetime, moment: dt.datetime) -> Taken:
    rows = db.session.execute(
        select(SlotClaim.counter, SlotClaim.starts_at)
        .join(Booking, Booking.id == SlotClaim.booking_id)
        .where(
            SlotClaim.calendar_id == calendar.id,
            SlotClaim.starts_at >= start,
            SlotClaim.starts_at < end,
            ~_lapsed(moment),
        )
    ).all()
    return {(counter, moment) for counter, moment in rows}


def slots_on(offer: Offer, day: dt.date, now: dt.datetime | None = None) -> list[Slot]:
    moment = now or utcnow()
    start, end = day_bounds(day)
    taken = _taken(offer.calendar, start, end, moment)
    return free_slots(
        offer.calendar, offer.duration_minutes, day, taken, now=moment, land=holiday_land()
    )


def days_with_slots(
    offer: Offer, first: dt.date, count: int, now: dt.datetime | None = None
) -> list[tuple[dt.date, int]]:
    """The next days from ``first`` (at most ``count`` of them) with free times, and how many."""
    moment = now or utcnow()
    calendar = offer.calendar
    _earliest, last = first_and_last_day(calendar, moment)
    first = max(first, moment.astimezone(BERLIN).date())
    if first > last:
        return []
    taken = _taken(calendar, day_bounds(first)[0], day_bounds(last)[1], moment)
    found = []
    for day in days_between(first, last):
        slots = free_slots(
            calendar, offer.duration_minutes, day, taken, now=moment, land=holiday_land()
        )
        if slots:
            found.append((day, len(slots)))
            if len(found) == count:
                break
    return found


def _new_reference() -> str:
    code = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"T-{code[:4]}-{code[4:]}"


def email_key(email: str) -> str:
    return email.strip().lower()


def still_open(calendar_id: int, moment: dt.datetime) -> ColumnElement[bool]:
    """SQL: the calendar's appointments still to come, held or booked."""
    return and_(
        Booking.calendar_id == calendar_id,
        Booking.state.in_(OPEN_STATES),
        Booking.ends_at > moment,
    )


def open_count(calendar_id: int, key: str, moment: dt.datetime, *, besides: int | None) -> int:
    """How many appointments still to come ``key`` holds in the calendar (held or booked)."""
    query = select(func.count(Booking.id)).where(
        still_open(calendar_id, moment), Booking.email_key == key, ~_lapsed(moment)
    )
    if besides is not None:
        query = query.where(Booking.id != besides)
    return int(db.session.scalar(query) or 0)


def release_lapsed(moment: dt.datetime, calendar_id: int | None = None) -> int:
    """Give holds not confirmed in time back: "abgesagt", claims deleted. Idempotent; flushes.
    Returns how many were released."""
    query = select(Booking).where(_lapsed(moment))
    if calendar_id is not None:
        query = query.where(Booking.calendar_id == calendar_id)
    lapsed = list(db.session.scalars(query))
    for booking in lapsed:
        booking.state = BookingState.CANCELLED
        booking.cancelled_at = moment
    if lapsed:
        db.session.execute(
            delete(SlotClaim).where(SlotClaim.booking_id.in_([b.id for b in lapsed]))
        )
        db.session.flush()
    return len(lapsed)


def book(
    offer: Offer,
    starts_at: dt.datetime,
    *,
    name: str,
    email: str,
    locale: str = "de",
    person_id: int | None = None,
    replacing: Booking | None = None,
    confirmed: bool = True,
    client_key: str = "",
    now: dt.datetime | None = None,
) -> Booking:
    """Book ``starts_at`` if it is offered and a counter is free for the whole appointment.

    ``confirmed=False`` (an address nobody has shown to be the citizen's) only holds the time
    until ``hold_until``; ``confirm`` books it. At most ``PORTAL_APPOINTMENT_MAX_OPEN`` open
    appointments per address and calendar (``TooManyOpenError``).

    Each counter is tried in a savepoint: the claims' unique key refuses a cell another booking
    holds (on PostgreSQL after waiting for a racing transaction), and the next counter is tried.
    With ``replacing`` the old booking is cancelled in the same unit of work (rebooking).
    Raises ``SlotTakenError`` when no counter is free.
    """
    moment = now or utcnow()
    calendar = offer.calendar
    settings = current_app.config["PORTAL"]
    key = email_key(email)
    besides = replacing.id if replacing is not None else None
    if open_count(calendar.id, key, moment, besides=besides) >= settings.appointment_max_open:
        raise TooManyOpenError(key)
    release_lapsed(moment, calendar.id)
    offered = {
        slot.starts_at for slot in slots_on(offer, starts_at.astimezone(BERLIN).date(), moment)
    }
    if starts_at not in offered:
        raise SlotTakenError(starts_at.isoformat())
    needed = cells(starts_at, offer.duration_minutes, calendar.slot_minutes)
    leistung = db.session.get(Leistung, offer.leistung_id)
    attempt = db.session.begin_nested()  # a failed move leaves the old booking as it was
    if replacing is not None:
        cancel(replacing, moment)
    for counter in range(1, calendar.counters + 1):
        booking = Booking(
            reference=_new_reference(),
            calendar_id=calendar.id,
            office_id=calendar.office_id,
            leistung_id=offer.leistung_id,
            service_name=leistung.name if leistung is not None else "",
            starts_at=starts_at,
            ends_at=starts_at + dt.timedelta(minutes=offer.duration_minutes),
            counter=counter,
            name=name,
            email=email,
            email_key=key,
            client_key=client_key,
            state=BookingState.BOOKED if confirmed else BookingState.HELD,
            hold_until=None
            if confirmed
            else moment + dt.timedelta(minutes=settings.appointment_hold_minutes),
            confirmed_at=moment if confirmed else None,
            locale=locale,
            person_id=person_id,
            token_nonce=secrets.token_hex(8),
        )
        try:
            with db.session.begin_nested():
                db.session.add(booking)
                db.session.flush()
                db.session.add_all(
                    SlotClaim(
                        calendar_id=calendar.id,
                        counter=counter,
                        starts_at=cell,
                        booking_id=booking.id,
                    )
                    for cell in needed
                )
                db.session.flush()
        except IntegrityError:
            continue  # this counter is taken for at least one cell
        if replacing is not None:
            replacing.rebooked_as_id = booking.id
        attempt.commit()
        return booking
    attempt.rollback()
    raise SlotTakenError(starts_at.isoformat())


def confirm(booking: Booking, now: dt.datetime | None = None) -> bool:
    """Book a held time (the citizen followed the e-mailed link). Returns whether it changed
    anything (a second confirm does not). A hold already released raises ``HoldExpiredError``;
    one past its time but not yet released is still the citizen's and is booked."""
    if booking.state == BookingState.BOOKED:
        return False
    if booking.state != BookingState.HELD:
        raise HoldExpiredError(booking.reference)
    booking.state = BookingState.BOOKED
    booking.confirmed_at = now or utcnow()
    booking.hold_until = None
    db.session.flush()
    return True


def cancel(booking: Booking, now: dt.datetime | None = None) -> None:
    """Cancel and free the time at once; a second cancel changes nothing."""
    if booking.state not in OPEN_STATES:
        return
    booking.state = BookingState.CANCELLED
    booking.cancelled_at = now or utcnow()
    db.session.execute(delete(SlotClaim).where(SlotClaim.booking_id == booking.id))
    db.session.flush()


def is_upcoming(booking: Booking, now: dt.datetime | None = None) -> bool:
    return booking.state == BookingState.BOOKED and booking.starts_at > (now or utcnow())


def manage_token(booking: Booking) -> str:
    serializer = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_PURPOSE)
    return str(serializer.dumps([booking.id, booking.token_nonce]))


def confirm_token(booking: Booking) -> str:
    serializer = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=CONFIRM_PURPOSE)
    return str(serializer.dumps([booking.id, booking.token_nonce]))


def booking_for_token(token: str, purpose: str = TOKEN_PURPOSE) -> Booking | None:
    """The booking a manage (or confirm) link is for; ``None`` for a forged, altered or
    outdated link."""
    serializer = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=purpose)
    try:
        booking_id, nonce = serializer.loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    booking = db.session.get(Booking, booking_id) if isinstance(booking_id, int) else None
    if booking is None or not secrets.compare_digest(booking.token_nonce, str(nonce)):
        return None
    return booking


def bookings_of_person(person_id: int, now: dt.datetime | None = None) -> list[Booking]:
    """A logged-in citizen's appointments still to come."""
    return list(
        db.session.scalars(
            select(Booking)
            .where(
                Booking.person_id == person_id,
                Booking.state == BookingState.BOOKED,
                Booking.ends_at > (now or utcnow()),
            )
            .order_by(Booking.starts_at)
        )
    )


def day_list(calendar: Calendar, day: dt.date) -> list[Booking]:
    """The day's appointments of a calendar, by time and counter, cancelled ones left out."""
    start, end = day_bounds(day)
    return list(
        db.session.scalars(
            select(Booking)
            .where(
                Booking.calendar_id == calendar.id,
                Booking.starts_at >= start,
                Booking.starts_at < end,
                Booking.state != BookingState.CANCELLED,
            )
            .order_by(Booking.starts_at, Booking.counter)
        )
    )


def mark(booking: Booking, state: BookingState) -> None:
    """A clerk records whether the citizen came. Only for appointments that have begun."""
    if booking.state == BookingState.CANCELLED:
        raise CancelledBookingError(booking.reference)
    booking.state = state


def calendar_changed() -> None:
    """Service pages show where to book: a calendar change must reach cached pages."""
    bump_revision()


def expire(moment: dt.datetime) -> int:
    """Retention: appointments go ``PORTAL_RETENTION_APPOINTMENT_DAYS`` after their day."""
    days = current_app.config["PORTAL"].retention_appointment_days
    result = db.session.execute(
        delete(Booking).where(Booking.ends_at < moment - dt.timedelta(days=days))
    )
    return int(getattr(result, "rowcount", 0) or 0)


def forget_account(person_id: int, now: dt.datetime | None = None) -> None:
    """An account is deleted: its past appointments go now; those to come stay bookings by name
    and e-mail (the e-mailed link still cancels them) but are no longer tied to the account."""
    moment = now or utcnow()
    db.session.execute(
        delete(Booking).where(
            Booking.person_id == person_id,
            ~and_(Booking.state == BookingState.BOOKED, Booking.ends_at > moment),
        )
    )
    for booking in db.session.scalars(select(Booking).where(Booking.person_id == person_id)):
        booking.person_id = None
    db.session.flush()


def export_of(person: Any) -> list[dict[str, Any]]:
    """The person's appointments, for the export of everything the portal keeps about them."""
    rows = db.session.scalars(
        select(Booking).where(Booking.person_id == person.id).order_by(Booking.starts_at)
    )
    return [
        {
            "terminnummer": row.reference,
            "leistung": row.service_name,
            "beginn": row.starts_at.isoformat(),
            "ende": row.ends_at.isoformat(),
            "stand": row.state.value,
            "name": row.name,
            "email": row.email,
        }
        for row in rows
    ]
