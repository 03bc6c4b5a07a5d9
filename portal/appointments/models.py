"""Appointment calendars of an office, the services they offer, and the bookings.

A calendar is a grid of cells (``slot_minutes`` long) on the office's weekly opening windows,
times ``counters`` desks working in parallel. A booking claims every cell it covers at one
counter; the unique key on (calendar, counter, cell) is what makes a double booking impossible,
on SQLite and PostgreSQL alike, however many requests race for the same time. Cancelling
deletes the claims, so the time is free again at once.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    Boolean,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import UTCDateTime, created_at, intpk
from portal.extensions import db


class BookingState(enum.StrEnum):
    # Held until the citizen confirms from the e-mailed link (double opt-in); an unconfirmed
    # hold is released after PORTAL_APPOINTMENT_HOLD_MINUTES and becomes "abgesagt".
    HELD = "vorgemerkt"
    BOOKED = "gebucht"
    CANCELLED = "abgesagt"
    NO_SHOW = "nicht_erschienen"
    ATTENDED = "erschienen"


class Calendar(db.Model):  # type: ignore[name-defined,misc]
    """One office's appointment calendar (a Bürgerbüro may have one per location)."""

    __tablename__ = "appointment_calendar"

    id: Mapped[intpk]
    created_at: Mapped[created_at]
    office_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_office.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    counters: Mapped[int] = mapped_column(Integer, default=1)  # desks serving in parallel
    slot_minutes: Mapped[int] = mapped_column(Integer, default=15)  # the grid
    lead_hours: Mapped[int] = mapped_column(Integer, default=2)  # earliest: now + lead time
    horizon_days: Mapped[int] = mapped_column(Integer, default=42)  # latest: today + horizon
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    windows: Mapped[list[OpeningWindow]] = relationship(
        cascade="all, delete-orphan", order_by="(OpeningWindow.weekday, OpeningWindow.starts)"
    )
    closures: Mapped[list[Closure]] = relationship(
        cascade="all, delete-orphan", order_by="Closure.day"
    )
    offers: Mapped[list[Offer]] = relationship(
        back_populates="calendar", cascade="all, delete-orphan", order_by="Offer.id"
    )


class OpeningWindow(db.Model):  # type: ignore[name-defined,misc]
    """A weekly window with appointments, e.g. Tuesday 08:00–12:00 (Berlin time)."""

    __tablename__ = "appointment_window"

    id: Mapped[intpk]
    calendar_id: Mapped[int] = mapped_column(
        ForeignKey("appointment_calendar.id", ondelete="CASCADE"), index=True
    )
    weekday: Mapped[int] = mapped_column(Integer)  # 0 Monday … 6 Sunday
    starts: Mapped[dt.time] = mapped_column(Time())
    ends: Mapped[dt.time] = mapped_column(Time())


class Closure(db.Model):  # type: ignore[name-defined,misc]
    """A day without appointments besides the public holidays (Betriebsausflug, Brückentag)."""

    __tablename__ = "appointment_closure"
    __table_args__ = (UniqueConstraint("calendar_id", "day"),)

    id: Mapped[intpk]
    calendar_id: Mapped[int] = mapped_column(
        ForeignKey("appointment_calendar.id", ondelete="CASCADE"), index=True
    )
    day: Mapped[dt.date] = mapped_column(Date())
    reason: Mapped[str] = mapped_column(String(200), default="")


class Offer(db.Model):  # type: ignore[name-defined,misc]
    """A service bookable in a calendar, with how long its appointment takes."""

    __tablename__ = "appointment_offer"
    __table_args__ = (UniqueConstraint("calendar_id", "leistung_id"),)

    id: Mapped[intpk]
    calendar_id: Mapped[int] = mapped_column(
        ForeignKey("appointment_calendar.id", ondelete="CASCADE"), index=True
    )
    leistung_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_leistung.id", ondelete="CASCADE"), index=True
    )
    duration_minutes: Mapped[int] = mapped_column(Integer, default=15)

    calendar: Mapped[Calendar] = relationship(back_populates="offers")


class Booking(db.Model):  # type: ignore[name-defined,misc]
    """One appointment. Name and e-mail are all we ask; a logged-in citizen's account is linked
    so that it can be listed for them (and unlinked when the account is deleted)."""

    __tablename__ = "appointment_booking"
    __table_args__ = (Index("ix_appointment_booking_calendar_email", "calendar_id", "email_key"),)

    id: Mapped[intpk]
    created_at: Mapped[created_at]
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    calendar_id: Mapped[int] = mapped_column(
        ForeignKey("appointment_calendar.id", ondelete="CASCADE"), index=True
    )
    office_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_office.id", ondelete="CASCADE"), index=True
    )
    leistung_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalog_leistung.id", ondelete="SET NULL")
    )
    service_name: Mapped[str] = mapped_column(String(500))  # as booked
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    counter: Mapped[int] = mapped_column(Integer)
    state: Mapped[BookingState] = mapped_column(
        Enum(
            BookingState,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=BookingState.BOOKED,
    )
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    # The address as compared (lower case): the cap of open appointments per address counts it.
    email_key: Mapped[str] = mapped_column(String(320), default="", server_default="")
    # A keyed hash of the client's address (never the address): staff see who holds many.
    client_key: Mapped[str] = mapped_column(String(16), default="", server_default="")
    hold_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    locale: Mapped[str] = mapped_column(String(10), default="de")
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    # Part of the signed link: a new nonce (or a cancelled booking) makes old links useless.
    token_nonce: Mapped[str] = mapped_column(String(32))
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    reminded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    rebooked_as_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointment_booking.id", ondelete="SET NULL")
    )


class SlotClaim(db.Model):  # type: ignore[name-defined,misc]
    """One grid cell at one counter, held by a booking. The unique key forbids a second."""

    __tablename__ = "appointment_claim"
    __table_args__ = (UniqueConstraint("calendar_id", "counter", "starts_at"),)

    id: Mapped[intpk]
    calendar_id: Mapped[int] = mapped_column(
        ForeignKey("appointment_calendar.id", ondelete="CASCADE")
    )
    counter: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    booking_id: Mapped[int] = mapped_column(
        ForeignKey("appointment_booking.id", ondelete="CASCADE"), index=True
    )
