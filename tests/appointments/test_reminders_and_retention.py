"""The reminder the day before (once), the deletion after the period, and what deleting an
account does to its appointments; the settings checked at start-up."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session, scoped_session

from portal import create_app
from portal.appointments.models import Booking, BookingState, Offer
from portal.appointments.notify import send_reminders
from portal.appointments.slots import BERLIN
from portal.config import ConfigError
from portal.core.db import utcnow
from portal.core.mail import FolderMailer
from portal.extensions import db
from portal.identity.services import delete_person
from portal.retention import services as retention
from tests.factories import (
    berlin,
    make_booking,
    make_calendar,
    make_office,
    make_person,
    make_service,
)

pytestmark = pytest.mark.usefixtures("app_context")


def _offer() -> Offer:
    office = make_office(name="Bürgerbüro Nord")
    return make_calendar(office, make_service(office)).offers[0]


def _to(folder: Path, address: str) -> list[str]:
    return [str(m["Subject"]) for m in FolderMailer(folder).sent() if m["To"] == address]


def test_the_reminder_goes_once_the_day_before_and_not_for_cancelled_ones(
    mail_folder: Path,
) -> None:
    offer = _offer()
    now = utcnow()
    today = now.astimezone(BERLIN).date()
    tomorrow = today + dt.timedelta(days=1)
    due = make_booking(offer, berlin(tomorrow, 9), email="morgen@example.org")
    make_booking(offer, berlin(tomorrow, 10), email="abgesagt@example.org",
                 state=BookingState.CANCELLED)  # fmt: skip
    make_booking(offer, berlin(today + dt.timedelta(days=2), 9), email="spaeter@example.org")
    sent = send_reminders(now)
    assert sent == 1
    assert due.reminded_at == now
    [subject] = _to(mail_folder, "morgen@example.org")
    assert subject.startswith("Serviceportal")
    assert "Erinnerung" in subject
    assert _to(mail_folder, "abgesagt@example.org") == []
    assert _to(mail_folder, "spaeter@example.org") == []
    assert send_reminders(now) == 0  # the same day again: nothing twice
    body = FolderMailer(mail_folder).sent()[-1].get_body(("plain",)).get_content()
    assert "/termine/buchung/" in body


def test_the_reminder_is_in_the_language_the_citizen_booked_in(mail_folder: Path) -> None:
    offer = _offer()
    now = utcnow()
    tomorrow = now.astimezone(BERLIN).date() + dt.timedelta(days=1)
    make_booking(offer, berlin(tomorrow, 11), email="en@example.org", locale="en")
    send_reminders(now)
    [subject] = _to(mail_folder, "en@example.org")
    assert "Reminder: your appointment tomorrow" in subject


def test_appointments_go_after_the_retention_period(app: Flask) -> None:
    offer = _offer()
    days = app.config["PORTAL"].retention_appointment_days
    now = utcnow()
    old = make_booking(offer, now - dt.timedelta(days=days + 1), name="Alt")
    recent = make_booking(offer, now - dt.timedelta(days=days - 1), name="Neu")
    old_id, recent_id = old.id, recent.id
    report = retention.run(now)
    assert report.appointments >= 1
    assert db.session.get(Booking, old_id) is None
    assert db.session.get(Booking, recent_id) is not None
    assert "vergangene Termine gelöscht" in str(report)


def test_deleting_an_account_removes_its_past_appointments_and_unlinks_the_coming_ones() -> None:
    offer = _offer()
    person = make_person()
    now = utcnow()
    past = make_booking(offer, now - dt.timedelta(days=2), person_id=person.id)
    coming = make_booking(offer, now + dt.timedelta(days=2), person_id=person.id)
    someone_else = make_booking(offer, now - dt.timedelta(days=2, hours=1))
    past_id = past.id
    delete_person(person)
    db.session.flush()
    assert db.session.get(Booking, past_id) is None
    assert coming.person_id is None
    assert coming.state == BookingState.BOOKED  # still cancellable through the e-mailed link
    assert db.session.get(Booking, someone_else.id) is not None
    assert list(db.session.scalars(select(Booking).where(Booking.person_id == person.id))) == []


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("appointment_holidays", "XY", "PORTAL_APPOINTMENT_HOLIDAYS"),
        ("appointment_providers", "buergerbuero=tevis:https://x", "unbekannte Art"),
        ("appointment_providers", "buergerbuero=link:http://unsicher", "keine https-Adresse"),
        ("appointment_providers", "buergerbuero", "amt=art:ziel"),
    ],
)
def test_bad_settings_stop_the_start(
    settings_for: object, setting: str, value: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        create_app(settings_for(**{setting: value}))  # type: ignore[operator]


def test_an_office_with_its_own_booking_system_is_linked_not_booked_here(
    make_app: object, db_session: scoped_session[Session]
) -> None:
    office = make_office(name="Bürgerbüro Süd")
    service = make_service(office)
    offer_id = make_calendar(office, service).offers[0].id
    service_id, slug, reference = service.id, service.slug, office.source_id
    db.session.commit()
    app = make_app(  # type: ignore[operator]
        appointment_providers=f"{reference}=link:https://termine.example/{{leistung}}"
    )
    client = app.test_client()
    page = client.get(f"/leistungen/{service_id}/{slug}").get_data(as_text=True)
    assert f'href="https://termine.example/{service_id}"' in page
    assert f"/termine/{offer_id}" not in page
    assert client.get(f"/termine/{offer_id}").status_code == 404
