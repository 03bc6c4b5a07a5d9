"""Nobody can empty the calendar: the review's flood replayed against a live portal, holds
until the e-mailed link is followed, the cap per address, rate limits, and the staff's view of
who holds many."""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, scoped_session

from portal.appointments import abuse, services
from portal.appointments.models import Booking, BookingState, Offer
from portal.catalog.models import Office
from portal.core.db import utcnow
from portal.core.mail import FolderMailer
from portal.extensions import db
from portal.identity.models import StaffAccount, StaffRole
from tests.appointments.support import CSRF, World, book, build, confirm_link, csrf
from tests.factories import make_office, make_person, make_staff
from tests.support.auth import login_as, staff_login_as
from tests.support.jobs import run_rq_jobs
from tests.support.live import Portal, serve

LIMITS = {"appointment_rate_limit": "12 per hour", "appointment_email_rate_limit": "4 per hour",
          "trusted_proxies": 1}  # fmt: skip


@pytest.fixture
def limited_portal(app: Flask, make_app: Callable[..., Flask]) -> Iterator[Portal]:
    """A live portal with the production limits' shape (small numbers, to keep it quick)."""
    with serve(make_app(**LIMITS)) as live:
        yield live


def _mails_to(app: Flask, address: str) -> int:
    run_rq_jobs(app)
    folder = Path(app.config["PORTAL"].instance_path) / "mail"
    return sum(1 for m in FolderMailer(folder).sent() if m["To"] == address)


def _bookings(app: Flask, world: World) -> list[Booking]:
    with app.app_context():
        offer = db.session.get(Offer, world.offer_id)
        assert offer is not None
        found = list(db.session.scalars(select(Booking).filter_by(calendar_id=offer.calendar_id)))
        db.session.expunge_all()
        return found


def test_the_reviews_flood_holds_two_times_and_leaves_the_calendar_to_citizens(
    limited_portal: Portal,
) -> None:
    """Four sessions try every free time of the first days for one address, then with a new
    address each time: two holds, then plain refusals and 429s; the calendar still offers times
    and at most two e-mails reach the victim."""
    portal = limited_portal
    world = build(portal.app, counters=2)
    victim = f"opfer-{secrets.token_hex(3)}@example.org"
    client = f"198.51.100.{secrets.randbelow(250) + 1}"
    sessions = [requests.Session() for _ in range(4)]
    outcomes: list[int] = []
    refused_texts: list[str] = []
    retry_after: list[str] = []
    for attempt, time in enumerate(world.times * 3):
        browser = sessions[attempt % 4]
        path = f"/termine/{world.offer_id}/{world.day}"
        headers = {"X-Forwarded-For": client}
        page = browser.get(portal.url + path, headers=headers, timeout=30).text
        token = CSRF.search(page)
        assert token, page[:300]
        answer = browser.post(portal.url + path, headers=headers, allow_redirects=False,
                              timeout=30, data={"csrf_token": token.group(1), "time": time,
                                                "name": "Flut", "email": victim})  # fmt: skip
        outcomes.append(answer.status_code)
        if answer.status_code == 200:
            refused_texts.append(answer.text)
        if answer.status_code == 429:
            retry_after.append(answer.headers.get("Retry-After", ""))
    assert outcomes.count(303) == 2  # PORTAL_APPOINTMENT_MAX_OPEN
    assert all("schon 2 Termine" in text for text in refused_texts)
    assert 429 in outcomes  # the per-address limit (4 per hour) stops the rest
    assert retry_after
    assert all(value.isdigit() and int(value) > 0 for value in retry_after)
    assert _mails_to(portal.app, victim) <= 2
    held = [b for b in _bookings(portal.app, world) if b.state != BookingState.CANCELLED]
    assert len(held) == 2
    assert all(b.state == BookingState.HELD for b in held)  # nothing booked without the link

    # The same client with a new address each time: the per-client limit (12 per hour).
    other = requests.Session()
    statuses = []
    for number in range(16):
        path = f"/termine/{world.offer_id}/{world.day}"
        headers = {"X-Forwarded-For": client}
        page = other.get(portal.url + path, headers=headers, timeout=30).text
        found = CSRF.search(page)
        assert found
        times = re.findall(r'name="time"[^>]*value="([^"]+)"', page)
        assert times, "the calendar must still offer times"
        data = {"csrf_token": found.group(1), "time": times[0], "name": "Flut",
                "email": f"x{number}@example.org"}  # fmt: skip
        answer = other.post(portal.url + path, headers=headers, allow_redirects=False,
                            timeout=30, data=data)  # fmt: skip
        statuses.append(answer.status_code)
    assert statuses.count(429) >= 4
    # A citizen from elsewhere still finds free times and books.
    citizen = requests.Session()
    page = citizen.get(portal.url + f"/termine/{world.offer_id}/{world.day}", timeout=30).text
    assert re.search(r'name="time"[^>]*value="', page)


@pytest.mark.usefixtures("db_session")
def test_a_held_time_is_not_offered_is_freed_when_it_lapses_and_opening_the_link_books_nothing(
    app: Flask, client: FlaskClient
) -> None:
    world = build(app)
    status, location, _page = book(client, world, world.times[0], email="halt@example.org",
                                   confirm=False)  # fmt: skip
    assert status == 303
    held_page = client.get(location).get_data(as_text=True)
    assert "data-held" in held_page
    assert "Bitte bestätigen Sie Ihren Termin" in held_page
    day = client.get(f"/termine/{world.offer_id}/{world.day}").get_data(as_text=True)
    assert f'value="{world.times[0]}"' not in day  # held for the citizen
    link = confirm_link(app, "halt@example.org")
    assert 'data-booking="vorgemerkt"' in client.get(link).get_data(as_text=True)
    [booking] = _bookings(app, world)
    assert booking.state == BookingState.HELD  # a mail scanner opening the link books nothing

    later = utcnow() + dt.timedelta(minutes=21)
    with app.test_request_context("/"):
        offer = db.session.get(Offer, world.offer_id)
        assert offer is not None
        assert any(s.key == world.times[0] for s in services.slots_on(offer, booking_day(world),
                                                                       later))  # fmt: skip
        assert services.release_lapsed(later, offer.calendar_id) == 1
        db.session.commit()
    assert "data-lapsed" in client.get(link).get_data(as_text=True)
    token = csrf(client, f"/termine/{world.offer_id}/{world.day}")
    answer = client.post(link, data={"csrf_token": token})
    assert answer.status_code == 200
    assert "data-lapsed" in answer.get_data(as_text=True)
    [booking] = _bookings(app, world)
    assert booking.state == BookingState.CANCELLED
    assert booking.confirmed_at is None


def booking_day(world: World) -> dt.date:
    return dt.date.fromisoformat(world.day)


@pytest.mark.usefixtures("db_session")
def test_a_confirmed_link_books_once_and_a_forged_confirm_link_is_not_found(
    app: Flask, client: FlaskClient
) -> None:
    world = build(app)
    book(client, world, world.times[0], email="einmal@example.org", confirm=False)
    link = confirm_link(app, "einmal@example.org")
    token = csrf(client, link)
    first = client.post(link, data={"csrf_token": token})
    assert first.status_code == 303
    second = client.post(link, data={"csrf_token": token})
    assert second.status_code == 303
    run_rq_jobs(app)
    assert _mails_to(app, "einmal@example.org") == 2  # asked once, confirmed once
    # The manage link (which the browser saw) does not confirm: another salt.
    manage = first.headers["Location"].rsplit("/", 1)[1]
    assert client.get(f"/termine/bestaetigen/{manage}").status_code == 404
    assert client.get("/termine/bestaetigen/kaputt").status_code == 404


@pytest.mark.usefixtures("db_session")
def test_the_cap_counts_open_appointments_per_address_whatever_its_spelling(
    app: Flask, client: FlaskClient
) -> None:
    world = build(app)
    assert book(client, world, world.times[0], email="Viel@Example.org")[0] == 303
    assert book(client, world, world.times[2], email="viel@example.org", confirm=False)[0] == 303
    status, _location, page = book(client, world, world.times[4], email="VIEL@example.org")
    assert status == 200
    assert "Unter dieser E-Mail-Adresse sind schon 2 Termine" in page
    assert len(_bookings(app, world)) == 2


@pytest.mark.usefixtures("db_session")
def test_a_logged_in_citizen_with_the_accounts_address_books_at_once_another_address_is_held(
    app: Flask, client: FlaskClient
) -> None:
    world = build(app)
    with app.test_request_context("/"):
        person = make_person(given_name="Lea", family_name="Lang", email="lea@example.org")
        person.sources = {"email": {"claim": "email", "issuer": "test"}}
        login_as(client, person)
        db.session.commit()
    status, location, _page = book(client, world, world.times[0], name="Lea Lang",
                                   email="lea@example.org", confirm=False)  # fmt: skip
    assert status == 303
    assert 'data-booking="gebucht"' in client.get(location).get_data(as_text=True)
    book(client, world, world.times[2], name="Lea Lang", email="andere@example.org",
         confirm=False)  # fmt: skip
    states = {b.email: b.state for b in _bookings(app, world)}
    assert states == {"lea@example.org": BookingState.BOOKED,
                      "andere@example.org": BookingState.HELD}  # fmt: skip


@pytest.mark.usefixtures("db_session")
def test_names_with_line_breaks_or_bidi_controls_are_refused(
    app: Flask, client: FlaskClient
) -> None:
    world = build(app)
    for name in ("Erika\nKlicken Sie hier: http://x.example", "Erika \u202egnirts", "A\x00B"):
        status, _location, page = book(client, world, world.times[0], name=name)
        assert status == 200, name
        assert "Ihr Name: Bitte in einer Zeile eingeben" in page
    assert _bookings(app, world) == []


@pytest.mark.usefixtures("db_session")
def test_staff_see_who_holds_many_and_cancel_them_all_with_the_people_told(
    app: Flask, client: FlaskClient, db_session: scoped_session[Session]
) -> None:
    world = build(app, counters=4)
    with app.test_request_context("/"):
        offer = db.session.get(Offer, world.offer_id)
        assert offer is not None
        calendar_id = offer.calendar_id
        moment = utcnow()
        for index, slot in enumerate(services.slots_on(offer, booking_day(world))[:6]):
            made = services.book(offer, slot.starts_at, name="Viel", email=f"v{index}@example.org",
                                 confirmed=index < 2, client_key="feedc0ffee123456",
                                 now=moment)  # fmt: skip
            assert made.id
        office = db.session.get(Office, world.office_id)
        staff = make_staff((StaffRole.SACHBEARBEITUNG, office))
        staff_login_as(client, staff)
        outsider_id = make_staff((StaffRole.SACHBEARBEITUNG, make_office())).id
        db.session.commit()
    day = client.get(f"/verwaltung/termine/{calendar_id}").get_data(as_text=True)
    assert "data-holders" in day
    page = client.get(f"/verwaltung/termine/{calendar_id}/auffaellig").get_data(as_text=True)
    assert 'data-holder="client"' in page
    assert "feedc0ff" in page
    assert "6 Termine" in page
    token = csrf(client, f"/verwaltung/termine/{calendar_id}/auffaellig")
    data = {"csrf_token": token, "kind": "client", "key": "feedc0ffee123456"}
    answer = client.post(f"/verwaltung/termine/{calendar_id}/auffaellig/absagen", data=data)
    assert answer.status_code == 303
    states = [b.state for b in _bookings(app, world)]
    assert states == [BookingState.CANCELLED] * 6
    assert _mails_to(app, "v0@example.org") == 1  # confirmed: told
    assert _mails_to(app, "v5@example.org") == 0  # a hold nobody confirmed: no mail
    # Another office's member of staff does not see the calendar.
    with app.test_request_context("/"):
        outsider = db.session.get(StaffAccount, outsider_id)
        assert outsider is not None
        staff_login_as(client, outsider)
        db.session.commit()
    assert client.get(f"/verwaltung/termine/{calendar_id}/auffaellig").status_code == 404


@pytest.mark.usefixtures("db_session")
def test_a_burst_of_holds_is_reported_once(
    app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    world = build(app, counters=8)
    with app.test_request_context("/"):
        app.config["PORTAL"] = replace_setting(app, appointment_burst_threshold=3)
        try:
            offer = db.session.get(Offer, world.offer_id)
            assert offer is not None
            slots = services.slots_on(offer, booking_day(world))
            reported = []
            with caplog.at_level(logging.WARNING, logger="portal.appointments.abuse"):
                for index in range(5):
                    services.book(offer, slots[0].starts_at, name="B",
                                  email=f"b{index}@example.org", confirmed=False)  # fmt: skip
                    reported.append(abuse.watch_for_burst(offer.calendar_id))
        finally:
            app.config["PORTAL"] = replace_setting(app, appointment_burst_threshold=60)
    assert reported == [False, False, True, False, False]
    assert any(getattr(r, "alert", "") == "appointment_burst" for r in caplog.records)


def replace_setting(app: Flask, **changes: object) -> object:
    import dataclasses

    return dataclasses.replace(app.config["PORTAL"], **changes)


def test_only_the_embedded_default_offers_the_mailed_link_on_the_page(
    app: Flask, make_app: Callable[..., Flask]
) -> None:
    """Without SMTP the demo must be usable in the browser alone; with real mail the link
    stays in the mail, or the confirmation would prove nothing."""
    for application, offered in ((app, True), (make_app(smtp_url="smtp://127.0.0.1:1"), False)):
        client = application.test_client()
        world = build(application)
        email = f"demo-{secrets.token_hex(3)}@example.org"
        status, location, _page = book(client, world, world.times[0], confirm=False, email=email)
        assert status == 303
        page = client.get(location).get_data(as_text=True)
        assert ("data-demo-confirm" in page) is offered
        assert ("/termine/bestaetigen/" in page) is offered
