"""Back office: setting up a calendar, the day list per counter, no-shows, the printed list."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select

from portal.appointments.models import Booking, BookingState, Calendar
from portal.appointments.slots import BERLIN
from portal.catalog.models import Office
from portal.core.db import utcnow
from portal.extensions import db
from portal.identity.models import StaffRole
from tests.factories import (
    make_booking,
    make_calendar,
    make_office,
    make_service,
    make_staff,
)
from tests.support.auth import staff_login_as

pytestmark = pytest.mark.usefixtures("db_session")
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _staff_client(app: Flask, role: StaffRole, office_id: int) -> tuple[FlaskClient, str]:
    client = app.test_client()
    with app.test_request_context("/"):
        staff_login_as(client, make_staff((role, db.session.get(Office, office_id))))
        db.session.commit()
    token = CSRF.search(client.get("/verwaltung/").get_data(as_text=True))
    assert token
    return client, token.group(1)


def test_the_office_lead_sets_up_a_calendar_and_the_service_becomes_bookable(
    app: Flask, client: FlaskClient
) -> None:
    with app.test_request_context("/"):
        office = make_office(name="Bürgerbüro West")
        service = make_service(office, name="Reisepass beantragen")
        office_id, service_id, slug = office.id, service.id, service.slug
        db.session.commit()
    staff, token = _staff_client(app, StaffRole.AMTSLEITUNG, office_id)
    before = client.get(f"/leistungen/{service_id}/{slug}").get_data(as_text=True)
    assert "data-booking-places" not in before
    empty = staff.post("/verwaltung/termine/neu", data={"csrf_token": token})
    page = empty.get_data(as_text=True)
    assert empty.status_code == 200
    for message in ("Bitte wählen Sie das Amt, dem der Kalender gehört.",
                    "Bitte geben Sie den Namen des Kalenders ein.",
                    "Bitte geben Sie mindestens eine Sprechzeit an."):  # fmt: skip
        assert message in page
    form = {"csrf_token": token, "office": str(office_id), "name": "Pass und Ausweis",
            "counters": "2", "slot_minutes": "15", "lead_hours": "0", "horizon_days": "30",
            "windows": "Mo 08:00-12:00\nDienstag 8 bis 12"}  # fmt: skip
    bad = staff.post("/verwaltung/termine/neu", data=form).get_data(as_text=True)
    assert "Zeile 2 hat nicht die Form" in bad
    form["windows"] = "\n".join(f"{d} 08:00-12:00" for d in ("Mo", "Di", "Mi", "Do", "Fr",
                                                              "Sa", "So"))  # fmt: skip
    made = staff.post("/verwaltung/termine/neu", data=form)
    assert made.status_code == 303
    settings = made.headers["Location"]
    calendar_id = int(settings.split("/")[-2])
    assert db.session.get(Calendar, calendar_id).counters == 2  # type: ignore[union-attr]

    page = staff.get(settings).get_data(as_text=True)
    assert f'value="{service_id}"' in page  # the office's services to choose from
    added = staff.post(f"/verwaltung/termine/{calendar_id}/leistungen",
                       data={"csrf_token": token, "angebot-leistung": str(service_id),
                             "angebot-duration": "20"})  # fmt: skip
    assert added.status_code == 303
    service_page = client.get(f"/leistungen/{service_id}/{slug}").get_data(as_text=True)
    assert "data-booking-places" in service_page  # the cached page was renewed

    closed = (utcnow().astimezone(BERLIN).date() + dt.timedelta(days=3)).isoformat()
    assert staff.post(f"/verwaltung/termine/{calendar_id}/schliesstage",
                      data={"csrf_token": token, "day": closed,
                            "reason": "Betriebsausflug"}).status_code == 303  # fmt: skip
    bad_day = staff.post(f"/verwaltung/termine/{calendar_id}/schliesstage",
                         data={"csrf_token": token, "day": "31.02."})  # fmt: skip
    assert "Bitte geben Sie den Tag als Datum ein, zum Beispiel" in bad_day.get_data(as_text=True)
    offer_id = db.session.get(Calendar, calendar_id).offers[0].id  # type: ignore[union-attr]
    days = client.get(f"/termine/{offer_id}").get_data(as_text=True)
    assert f"/termine/{offer_id}/{closed}" not in days
    assert f"/termine/{offer_id}/" in days


def test_a_clerk_sees_the_day_per_counter_marks_who_did_not_come_and_prints_the_list(
    app: Flask,
) -> None:
    with app.test_request_context("/"):
        office = make_office(name="Bürgerbüro Ost")
        calendar = make_calendar(office, make_service(office), counters=2)
        offer = calendar.offers[0]
        now = utcnow()
        started = make_booking(offer, now - dt.timedelta(minutes=30), name="Karl Kommtnicht")
        other = make_booking(offer, now - dt.timedelta(minutes=30), counter=2, name="Zoe Zwei")
        coming = make_booking(offer, now + dt.timedelta(hours=2), name="Frieda Frueh")
        ids = (calendar.id, started.id, other.id, coming.id, office.id)
        day = started.starts_at.astimezone(BERLIN).date().isoformat()
        db.session.commit()
    calendar_id, started_id, _other_id, coming_id, office_id = ids
    clerk, token = _staff_client(app, StaffRole.SACHBEARBEITUNG, office_id)
    page = clerk.get(f"/verwaltung/termine/{calendar_id}?datum={day}").get_data(as_text=True)
    assert 'data-counter="1"' in page
    assert 'data-counter="2"' in page
    assert "Karl Kommtnicht" in page
    assert "Zoe Zwei" in page

    marked = clerk.post(f"/verwaltung/termine/buchungen/{started_id}/nicht_erschienen",
                        data={"csrf_token": token})  # fmt: skip
    assert marked.status_code == 303
    early = clerk.post(f"/verwaltung/termine/buchungen/{coming_id}/nicht_erschienen",
                       data={"csrf_token": token}, follow_redirects=True)  # fmt: skip
    assert "Erst wenn der Termin begonnen hat" in early.get_data(as_text=True)
    db.session.expire_all()
    states = {b.id: b.state for b in db.session.scalars(select(Booking).filter_by(
        calendar_id=calendar_id))}  # fmt: skip
    assert states[started_id] == BookingState.NO_SHOW
    assert states[coming_id] == BookingState.BOOKED

    pdf = clerk.get(f"/verwaltung/termine/{calendar_id}/tagesliste.pdf?datum={day}")
    assert pdf.mimetype == "application/pdf"
    pages = PdfReader(io.BytesIO(pdf.data)).pages
    text = " ".join("".join(p.extract_text() for p in pages).split())  # cells wrap lines
    assert "Karl Kommtnicht" in text
    assert "nicht erschienen" in text
    assert "Schalter 2" in text

    assert clerk.get(f"/verwaltung/termine/{calendar_id}/einstellungen").status_code == 403


def test_an_unreadable_day_is_named_and_today_is_shown(app: Flask) -> None:
    with app.test_request_context("/"):
        office = make_office()
        calendar_id, office_id = make_calendar(office).id, office.id
        db.session.commit()
    clerk, _token = _staff_client(app, StaffRole.SACHBEARBEITUNG, office_id)
    answer = clerk.get(f"/verwaltung/termine/{calendar_id}?datum=kaputt")
    assert answer.status_code == 200
    assert "Bitte geben Sie den Tag als Datum ein, zum Beispiel" in answer.get_data(as_text=True)
    today = utcnow().astimezone(BERLIN).date().isoformat()
    plain = clerk.get(f"/verwaltung/termine/{calendar_id}").get_data(as_text=True)
    assert f'value="{today}"' in plain


def test_a_cancelled_appointment_cannot_be_marked(app: Flask) -> None:
    with app.test_request_context("/"):
        office = make_office()
        offer = make_calendar(office, make_service(office)).offers[0]
        cancelled = make_booking(offer, utcnow() - dt.timedelta(hours=1),
                                 state=BookingState.CANCELLED)  # fmt: skip
        ids = (cancelled.id, office.id)
        db.session.commit()
    booking_id, office_id = ids
    clerk, token = _staff_client(app, StaffRole.SACHBEARBEITUNG, office_id)
    answer = clerk.post(f"/verwaltung/termine/buchungen/{booking_id}/erschienen",
                        data={"csrf_token": token})  # fmt: skip
    assert answer.status_code == 409
    db.session.expire_all()
    assert db.session.get(Booking, booking_id).state == BookingState.CANCELLED  # type: ignore[union-attr]
