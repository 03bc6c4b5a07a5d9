"""The demo's appointment calendar: the Bürgerbüro books Personalausweis, Reisepass,
Kinderreisepass and Wohnsitzanmeldung at two counters, and has two appointments today."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from portal.appointments.models import (
    Booking,
    BookingState,
    Calendar,
    Offer,
    OpeningWindow,
    SlotClaim,
)
from portal.appointments.slots import BERLIN, cells
from portal.catalog.demo import DEMO_SOURCE
from portal.catalog.models import Leistung, Office
from portal.core.db import utcnow
from portal.core.demo import register_demo
from portal.extensions import db

OFFERS = {"personalausweis": 30, "reisepass": 30, "kinderreisepass": 15, "wohnsitz-anmelden": 15}
WINDOWS = [(day, dt.time(8), dt.time(12)) for day in range(5)] + [
    (1, dt.time(14), dt.time(18)),
    (3, dt.time(14), dt.time(18)),
]
TODAY = [("T-DEMO-0001", "Erika Mustermann", 9, "personalausweis"),
         ("T-DEMO-0002", "Max Beispiel", 10, "wohnsitz-anmelden")]  # fmt: skip


@register_demo("Terminkalender des Bürgerbüros")
def load_appointments_demo() -> str:
    office = db.session.scalar(
        select(Office).where(Office.source == DEMO_SOURCE, Office.source_id == "buergerbuero")
    )
    if office is None:
        return "kein Bürgerbüro im Katalog"
    calendar = db.session.scalar(select(Calendar).where(Calendar.office_id == office.id))
    if calendar is None:
        calendar = Calendar(
            office_id=office.id, name="Bürgerbüro – Termine", counters=2, slot_minutes=15
        )
        calendar.windows = [OpeningWindow(weekday=d, starts=s, ends=e) for d, s, e in WINDOWS]
        db.session.add(calendar)
    leistungen = {
        row.source_id: row
        for row in db.session.scalars(
            select(Leistung).where(Leistung.source == DEMO_SOURCE, Leistung.source_id.in_(OFFERS))
        )
    }
    offered = {offer.leistung_id for offer in calendar.offers}
    for key, minutes in OFFERS.items():
        if key in leistungen and leistungen[key].id not in offered:
            calendar.offers.append(Offer(leistung_id=leistungen[key].id, duration_minutes=minutes))
    db.session.flush()
    made = 0
    today = utcnow().astimezone(BERLIN).date()
    for reference, name, hour, key in TODAY:
        if key not in leistungen or db.session.scalar(
            select(Booking.id).where(Booking.reference == reference)
        ):
            continue
        starts = dt.datetime.combine(today, dt.time(hour), BERLIN).astimezone(dt.UTC)
        minutes = OFFERS[key]
        booking = Booking(
            reference=reference, calendar_id=calendar.id, office_id=office.id,
            leistung_id=leistungen[key].id, service_name=leistungen[key].name,
            starts_at=starts, ends_at=starts + dt.timedelta(minutes=minutes), counter=1,
            state=BookingState.BOOKED, name=name, email="demo@example.org",
            email_key="demo@example.org", confirmed_at=utcnow(),
            token_nonce=reference,
        )  # fmt: skip
        db.session.add(booking)
        db.session.flush()
        db.session.add_all(
            SlotClaim(calendar_id=calendar.id, counter=1, starts_at=cell, booking_id=booking.id)
            for cell in cells(starts, minutes, calendar.slot_minutes)
        )
        made += 1
    return f"1 Kalender, {len(calendar.offers)} buchbare Leistungen, {made} neue Termine heute"
