"""No double booking when requests race: many browsers post the same time at once to a live
portal (threads, real commits; SQLite here, PostgreSQL in CI's second run)."""

from __future__ import annotations

import threading

import requests
from sqlalchemy import select

from portal.appointments.models import Booking, BookingState, SlotClaim
from portal.extensions import db
from tests.appointments.support import CSRF, build
from tests.support.live import Portal

RACERS = 8


def _browser(portal: Portal, path: str) -> tuple[requests.Session, str]:
    browser = requests.Session()
    page = browser.get(portal.url + path, timeout=30).text
    token = CSRF.search(page)
    assert token, page[:300]
    return browser, token.group(1)


def test_racing_bookings_of_one_time_fill_the_counters_and_no_more(portal: Portal) -> None:
    world = build(portal.app, counters=2)
    path = f"/termine/{world.offer_id}/{world.day}"
    browsers = [_browser(portal, path) for _ in range(RACERS)]
    barrier = threading.Barrier(RACERS)
    results: list[tuple[int, str, str]] = []

    def race(index: int, browser: requests.Session, token: str) -> None:
        barrier.wait()
        answer = browser.post(
            portal.url + path,
            data={"csrf_token": token, "time": world.times[0], "name": f"Person {index}",
                  "email": f"person{index}@example.org"},
            allow_redirects=False, timeout=60,
        )  # fmt: skip
        results.append((answer.status_code, answer.headers.get("Location", ""), answer.text))

    workers = [
        threading.Thread(target=race, args=(index, *browser))
        for index, browser in enumerate(browsers)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)

    booked = [location for status, location, _text in results if status == 303
              and location.startswith("/termine/buchung/")]  # fmt: skip
    assert len(booked) == 2
    # The others were told: a form error when the time was already gone as they posted
    # (SQLite serialises writers), or, when they lost the race for the counter inside the
    # transaction (PostgreSQL), the day again with "gerade vergeben".
    refused = [(status, location, text) for status, location, text in results
               if not location.startswith("/termine/buchung/")]  # fmt: skip
    assert len(refused) == RACERS - 2
    for status, location, text in refused:
        assert (status == 200 and "Diese Uhrzeit ist nicht mehr frei" in text) or (
            status == 303 and location == path
        ), (status, location)
    with portal.app.app_context():
        from portal.appointments.models import Offer

        offer = db.session.get(Offer, world.offer_id)
        assert offer is not None
        bookings = list(
            db.session.scalars(select(Booking).filter_by(calendar_id=offer.calendar_id))
        )
        assert sorted(b.counter for b in bookings) == [1, 2]
        assert all(b.state == BookingState.HELD for b in bookings)  # until confirmed
        claims = list(
            db.session.scalars(select(SlotClaim).filter_by(calendar_id=offer.calendar_id))
        )
        assert len(claims) == 4  # 30 minutes on a 15-minute grid, at each of two counters
