"""A calendar to book in, from the first free day on (tests do not depend on today's date)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from portal.appointments import services
from portal.appointments.models import Offer
from portal.appointments.slots import BERLIN
from portal.core.db import utcnow
from portal.core.mail import FolderMailer
from portal.extensions import db
from tests.factories import make_calendar, make_office, make_service
from tests.support.jobs import run_rq_jobs

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
CONFIRM_LINK = re.compile(r"https?://[^/\s]+(/termine/bestaetigen/\S+)")


@dataclass(frozen=True)
class World:
    offer_id: int
    service_id: int
    service_slug: str
    office_id: int
    day: str  # the first day with free times, ISO
    times: tuple[str, ...]  # its free times


def build(app: Flask, **calendar: object) -> World:
    """An office with a service, bookable for 30 minutes, committed (a savepoint in tests)."""
    with app.test_request_context("/"):
        office = make_office(street="Rathausplatz 1", postal_code="12345", city="Musterstadt")
        service = make_service(office, name="Personalausweis beantragen")
        offer = make_calendar(office, service, **calendar).offers[0]  # type: ignore[arg-type]
        # A day with enough times: late in the day, today may have only one or two left.
        first = next(day for day, count in services.days_with_slots(offer, _today(), 5)
                     if count >= 6)  # fmt: skip
        times = tuple(slot.key for slot in services.slots_on(offer, first))
        world = World(offer.id, service.id, service.slug, office.id, first.isoformat(), times)
        db.session.commit()
    return world


def _today() -> dt.date:
    return utcnow().astimezone(BERLIN).date()


def csrf(client: FlaskClient, path: str) -> str:
    found = CSRF.search(client.get(path).get_data(as_text=True))
    assert found, path
    return found.group(1)


def book(
    client: FlaskClient,
    world: World,
    time: str,
    *,
    name: str = "Erika Mustermann",
    email: str = "erika@example.org",
    query: str = "",
    confirm: bool = True,
) -> tuple[int, str, str]:
    """POST a booking and, with ``confirm``, follow the e-mailed link to confirm a held time,
    as the citizen would; (status, Location, page) of the booking (or the confirmation)."""
    path = f"/termine/{world.offer_id}/{world.day}{query}"
    data = {"csrf_token": csrf(client, path), "time": time, "name": name, "email": email}
    response = client.post(path, data=data)
    run_rq_jobs(client.application)  # as a worker would, before anything else happens
    location = response.headers.get("Location", "")
    if confirm and response.status_code == 303:
        held = client.get(location).get_data(as_text=True)
        if "data-held" in held:
            link = confirm_link(client.application, email)
            response = client.post(link, data={"csrf_token": csrf(client, link)})
            run_rq_jobs(client.application)
            location = response.headers.get("Location", "")
    return (response.status_code, location, response.get_data(as_text=True))


def confirm_link(app: Flask, email: str) -> str:
    """The path of the newest confirm link e-mailed to ``email``."""
    folder = Path(app.config["PORTAL"].instance_path) / "mail"
    for message in reversed(FolderMailer(folder).sent()):
        if message["To"] != email:
            continue
        body = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        found = CONFIRM_LINK.search(body)
        if found:
            return found.group(1)
    raise AssertionError(f"no confirm link to {email}")


def offer(world: World) -> Offer:
    found = db.session.get(Offer, world.offer_id)
    assert found is not None
    return found
