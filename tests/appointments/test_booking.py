"""Booking, cancelling and moving an appointment over HTTP, without an account."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
import vobject
from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar as ICalendar
from itsdangerous import URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session, scoped_session

from portal.appointments import services
from portal.appointments.models import Booking, BookingState, Calendar, Offer
from portal.core.mail import FolderMailer
from portal.extensions import db
from tests.appointments.support import World, book, build, csrf
from tests.factories import make_person
from tests.support.auth import login_as
from tests.support.jobs import run_rq_jobs

pytestmark = pytest.mark.usefixtures("db_session")
LINK = re.compile(r"https?://\S+/termine/buchung/\S+")


def _mails(app: Flask, folder: Path, address: str) -> list[object]:
    run_rq_jobs(app)
    return [m for m in FolderMailer(folder).sent() if m["To"] == address]


def _bookings(world: World) -> list[Booking]:
    db.session.expire_all()
    return list(
        db.session.scalars(select(Booking).where(Booking.calendar_id == _calendar_id(world)))
    )


def _calendar_id(world: World) -> int:
    found = db.session.get(Offer, world.offer_id)
    assert found is not None
    return found.calendar_id


def test_a_citizen_finds_books_and_gets_a_confirmation_with_a_calendar_file(
    app: Flask, client: FlaskClient, mail_folder: Path
) -> None:
    world = build(app)
    service_page = client.get(f"/leistungen/{world.service_id}/{world.service_slug}")
    assert f'href="/termine/{world.offer_id}"' in service_page.get_data(as_text=True)
    days = client.get(f"/termine/{world.offer_id}").get_data(as_text=True)
    assert f"/termine/{world.offer_id}/{world.day}" in days
    day_page = client.get(f"/termine/{world.offer_id}/{world.day}").get_data(as_text=True)
    assert all(f'value="{time}"' in day_page for time in world.times)

    status, location, _page = book(client, world, world.times[1], email="bucht@example.org")
    assert status == 303
    assert location.startswith("/termine/buchung/")
    manage = client.get(location)
    assert manage.headers["Cache-Control"] == "private, no-store"
    page = manage.get_data(as_text=True)
    assert 'data-booking="gebucht"' in page
    assert f"{world.times[1]} Uhr" in page

    hold, mail = _mails(app, mail_folder, "bucht@example.org")
    asked = hold.get_body(("plain",)).get_content()  # type: ignore[attr-defined]
    assert "Bitte bestätigen Sie Ihren Termin" in hold["Subject"]  # type: ignore[index]
    assert "/termine/bestaetigen/" in asked
    assert "Erika" not in asked  # an unconfirmed address is sent no text the booker typed
    body = mail.get_body(("plain",)).get_content()  # type: ignore[attr-defined]
    assert "Personalausweis beantragen" in body
    assert "Rathausplatz 1, 12345 Musterstadt" in body
    assert LINK.search(body).group(0).endswith(location)  # type: ignore[union-attr]
    [ics] = [p for p in mail.iter_attachments() if p.get_content_type() == "text/calendar"]  # type: ignore[attr-defined]
    event = ICalendar.from_ical(ics.get_content()).walk("VEVENT")[0]
    [stored] = _bookings(world)
    assert event.decoded("dtstart") == stored.starts_at
    assert str(event["uid"]).startswith(stored.reference)
    assert client.get(location + "/termin.ics").data.startswith(b"BEGIN:VCALENDAR")


def test_bad_input_is_refused_with_german_errors_and_books_nothing(
    app: Flask, client: FlaskClient
) -> None:
    world = build(app)
    path = f"/termine/{world.offer_id}/{world.day}"
    token = csrf(client, path)
    cases = [
        ({}, ["Bitte wählen Sie eine Uhrzeit.", "Bitte geben Sie Ihren Namen ein.",
              "Bitte geben Sie Ihre E-Mail-Adresse ein."]),
        ({"time": "25:99", "name": "A", "email": "a@example.org"},
         ["Diese Uhrzeit ist nicht mehr frei."]),
        ({"time": world.times[0], "name": "x" * 201, "email": "a@example.org"},
         ["Ihr Name darf höchstens 200 Zeichen lang sein."]),
        ({"time": world.times[0], "name": "A", "email": "kein-at-zeichen"},
         ["im Format name@beispiel.de"]),
    ]  # fmt: skip
    for data, errors in cases:
        response = client.post(path, data={"csrf_token": token, **data})
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        for error in errors:
            assert error in page, (data, error)
    assert client.post(path, data={"time": world.times[0], "name": "A",
                                   "email": "a@example.org"}).status_code == 400  # fmt: skip
    assert _bookings(world) == []


def _same_event_for_two_parsers(mail: Any, method: str, status: str) -> None:
    """Issue 31, 18: each file names its ORGANIZER (Outlook ignores a cancellation without one)
    and the e-mail's calendar part names its method; icalendar and vobject read the same."""
    [part] = [p for p in mail.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert part.get_param("method") == method
    data = part.get_content()
    text = data.decode() if isinstance(data, bytes) else data
    first = ICalendar.from_ical(text)
    event = first.walk("VEVENT")[0]
    assert str(first["method"]) == method
    assert str(event["organizer"]).startswith("mailto:")
    assert str(event["status"]) == status
    second = vobject.readOne(text)
    assert second.method.value == method
    assert second.vevent.organizer.value == str(event["organizer"])
    assert second.vevent.uid.value == str(event["uid"])
    assert second.vevent.dtstart.value == event.decoded("dtstart")


def test_a_taken_time_is_refused_and_bookable_again_once_cancelled(
    app: Flask, client: FlaskClient, mail_folder: Path
) -> None:
    world = build(app)
    status, location, _page = book(client, world, world.times[0], email="erste@example.org")
    assert status == 303
    status, _location, page = book(client, world, world.times[0])
    assert status == 200
    assert "Diese Uhrzeit ist nicht mehr frei" in page
    day_page = client.get(f"/termine/{world.offer_id}/{world.day}").get_data(as_text=True)
    assert f'value="{world.times[0]}"' not in day_page

    token = csrf(client, location)
    assert client.post(location + "/absagen", data={"csrf_token": token}).status_code == 303
    assert 'data-booking="abgesagt"' in client.get(location).get_data(as_text=True)
    booked, cancelled = _mails(app, mail_folder, "erste@example.org")[-2:]
    assert "abgesagt" in str(cancelled["Subject"])  # type: ignore[index]
    for mail, method, status in (
        (booked, "PUBLISH", "CONFIRMED"),
        (cancelled, "CANCEL", "CANCELLED"),
    ):
        _same_event_for_two_parsers(mail, method, status)
    client.post(location + "/absagen", data={"csrf_token": token})  # twice: nothing more
    assert len(_mails(app, mail_folder, "erste@example.org")) == 3  # asked, booked, cancelled

    status, _location, _page = book(client, world, world.times[0], email="zweite@example.org")
    assert status == 303
    states = sorted(b.state for b in _bookings(world))
    assert states == [BookingState.CANCELLED, BookingState.BOOKED]


def test_a_second_counter_takes_a_second_booking_at_the_same_time(
    app: Flask, client: FlaskClient
) -> None:
    world = build(app, counters=2)
    assert book(client, world, world.times[0])[0] == 303
    assert book(client, world, world.times[0])[0] == 303
    assert book(client, world, world.times[0])[0] == 200
    assert sorted(b.counter for b in _bookings(world)) == [1, 2]


def test_the_signed_link_opens_one_booking_and_nothing_else(
    app: Flask, client: FlaskClient
) -> None:
    world = build(app)
    assert book(client, world, world.times[0])[0] == 303
    location = book(client, world, world.times[2])[1]
    token = location.rsplit("/", 1)[1]
    assert client.get(location).status_code == 200
    payload, signature = token.split(".")
    flipped = ("y" if signature[0] == "x" else "x") + signature[1:]  # another first character
    for forged in (f"{payload}.{flipped}", "WzEsIngiXQ." + signature, "kaputt", "a.b"):
        assert client.get(f"/termine/buchung/{forged}").status_code == 404, forged
        assert client.get(f"/termine/buchung/{forged}/termin.ics").status_code == 404
        answer = client.post(f"/termine/buchung/{forged}/absagen",
                             data={"csrf_token": csrf(client, location)})  # fmt: skip
        assert answer.status_code == 404
    with app.test_request_context("/"):
        [first, second] = sorted(_bookings(world), key=lambda b: b.starts_at)
        assert services.booking_for_token(token) is not None
        assert services.booking_for_token(token).id == second.id  # type: ignore[union-attr]
        other = URLSafeSerializer(app.config["SECRET_KEY"], salt="anderer-zweck")
        assert services.booking_for_token(other.dumps([first.id, first.token_nonce])) is None
        assert services.booking_for_token(services.manage_token(first)) == first


def test_moving_books_the_new_time_and_cancels_the_old_one_in_one_step(
    app: Flask, client: FlaskClient, mail_folder: Path
) -> None:
    world = build(app)
    old = book(client, world, world.times[0], email="umzug@example.org")[1]
    token = old.rsplit("/", 1)[1]
    manage = client.get(old).get_data(as_text=True)
    assert f"/termine/{world.offer_id}?verschieben={token}" in manage
    days = client.get(f"/termine/{world.offer_id}?verschieben={token}").get_data(as_text=True)
    assert "data-moving" in days
    day = client.get(f"/termine/{world.offer_id}/{world.day}?verschieben={token}")
    assert 'value="umzug@example.org"' in day.get_data(as_text=True)  # prefilled
    status, new, _page = book(client, world, world.times[2], email="umzug@example.org",
                              query=f"?verschieben={token}")  # fmt: skip
    assert status == 303
    assert new != old
    [before, after] = sorted(_bookings(world), key=lambda b: b.id)
    assert before.state == BookingState.CANCELLED
    assert before.rebooked_as_id == after.id
    assert after.state == BookingState.BOOKED
    assert 'data-booking="abgesagt"' in client.get(old).get_data(as_text=True)
    subjects = [str(m["Subject"]) for m in _mails(app, mail_folder, "umzug@example.org")]  # type: ignore[index]
    # asked to confirm, booked; the move from the confirmed link books at once; the old one
    assert len(subjects) == 4
    assert "bestätigen" in subjects[0]
    assert "abgesagt" in subjects[-1]
    # The old link cannot move anything any more.
    again = client.get(f"/termine/{world.offer_id}?verschieben={token}").get_data(as_text=True)
    assert "data-moving" not in again


def test_a_logged_in_citizen_is_prefilled_and_the_booking_is_theirs(
    app: Flask, client: FlaskClient, db_session: scoped_session[Session]
) -> None:
    world = build(app)
    with app.test_request_context("/"):
        person = make_person(given_name="Lea", family_name="Lang", email="lea@example.org")
        login_as(client, person)
        person_id = person.id
        db.session.commit()
    page = client.get(f"/termine/{world.offer_id}/{world.day}").get_data(as_text=True)
    assert 'value="Lea Lang"' in page
    assert 'value="lea@example.org"' in page
    assert book(client, world, world.times[0], name="Lea Lang", email="lea@example.org")[0] == 303
    [booking] = _bookings(world)
    assert booking.person_id == person_id
    with app.test_request_context("/"):
        manage = f"/termine/buchung/{services.manage_token(booking)}"
    account = client.get("/konto").get_data(as_text=True)
    assert "data-account-appointments" in account
    assert manage in account
    export = client.get("/konto/export").get_json(force=True)
    assert [item["terminnummer"] for item in export["termine"]] == [booking.reference]
    client.post(f"{manage}/absagen", data={"csrf_token": csrf(client, manage)})
    assert "data-account-appointments" not in client.get("/konto").get_data(as_text=True)


def test_unknown_or_switched_off_calendars_and_bad_days_are_not_found(
    app: Flask, client: FlaskClient
) -> None:
    world = build(app)
    assert client.get(f"/termine/{world.offer_id}/2026-02-30").status_code == 404
    assert client.get(f"/termine/{world.offer_id}/morgen").status_code == 404
    assert client.get("/termine/999999").status_code == 404
    far = (dt.date.fromisoformat(world.day) + dt.timedelta(days=400)).isoformat()
    assert "data-no-times" in client.get(f"/termine/{world.offer_id}/{far}").get_data(as_text=True)
    assert client.get(f"/termine/{world.offer_id}?ab=kein-datum").status_code == 200
    with app.test_request_context("/"):
        calendar = db.session.get(Calendar, _calendar_id(world))
        assert calendar is not None
        calendar.active = False
        db.session.commit()
    assert client.get(f"/termine/{world.offer_id}").status_code == 404
    service = client.get(f"/leistungen/{world.service_id}/{world.service_slug}")
    assert f"/termine/{world.offer_id}" not in service.get_data(as_text=True)


def test_a_move_that_loses_the_race_leaves_the_old_booking_as_it_was(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The new time was free when read and taken before the claim (as on PostgreSQL under a
    race): the old appointment must still be booked, with its time held."""
    world = build(app)
    assert book(client, world, world.times[0], email="bleibt@example.org")[0] == 303
    assert book(client, world, world.times[2], email="schneller@example.org")[0] == 303
    with app.test_request_context("/"):
        offer = db.session.get(Offer, world.offer_id)
        assert offer is not None
        mine = next(b for b in _bookings(world) if b.email == "bleibt@example.org")
        taken = next(b for b in _bookings(world) if b.email == "schneller@example.org")
        stale = services.slots_on(offer, dt.date.fromisoformat(world.day))
        stale.append(services.Slot(taken.starts_at, taken.ends_at, 1))
        monkeypatch.setattr(services, "slots_on", lambda *_args, **_kw: stale)
        with pytest.raises(services.SlotTakenError):
            services.book(offer, taken.starts_at, name="X", email="bleibt@example.org",
                          replacing=mine)  # fmt: skip
        db.session.commit()
        db.session.expire_all()
        assert mine.state == BookingState.BOOKED
        assert mine.rebooked_as_id is None
        assert len(_bookings(world)) == 2
    monkeypatch.undo()
    assert book(client, world, world.times[0])[0] == 200  # the old time is still held
