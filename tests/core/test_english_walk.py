"""Every citizen page in English: a logged-in citizen with a draft, a submission, a paid fee
and a Postfach thread walks every GET route of the citizen side (taken from the URL map, so a
new route cannot be forgotten). Whatever is still German on an English page must be content
marked ``lang="de"`` (the Redaktion's texts, the form's questions, the office's messages);
German interface text fails the test."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

from flask import Flask, url_for
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session, scoped_session

from portal.applications import services as applications
from portal.applications.demo import DEFINITIONS
from portal.applications.models import CaseStatus
from portal.appointments import services as appointments
from portal.appointments.models import BookingState
from portal.appointments.slots import BERLIN
from portal.catalog.models import Journey, JourneyStep, Leistung, Office
from portal.core.db import utcnow
from portal.extensions import db
from portal.postfach import casework
from portal.postfach import services as postfach
from tests.factories import (
    PDF,
    berlin,
    make_application,
    make_authority,
    make_booking,
    make_calendar,
    make_office,
    make_payment,
    make_person,
    make_service,
)
from tests.support.auth import login_as
from tests.support.html import unmarked_german
from tests.support.offices import ensure_office

# Not the citizen's interface: machines, files, the test provider, the staff side.
NOT_PAGES = (
    "/verwaltung", "/api", "/static", "/test-idp", "/metrics", "/healthz", "/sitemap.xml",
    "/digitalisierung/", "/sprache", "/anmelden", "/zahlung/test", "/testdienst", "/konto/export",
)  # fmt: skip
# Walked with an imported catalogue in tests/catalog/test_pages.py.
CATALOGUE = ("catalog.leistung", "catalog.themenfeld", "catalog.lebenslage")
FILES = (
    "applications.download", "applications.receipt_pdf", "postfach.attachment",
    "appointments.calendar_file",
)  # fmt: skip


def _world(app: Flask, client: FlaskClient) -> dict[str, dict[str, Any]]:
    """The records the pages show, as URL values per endpoint."""
    with app.test_request_context("/"):
        office_id = ensure_office(app, "steueramt")
        person = make_person()
        row, _new = applications.store_definition(
            json.loads((DEFINITIONS / "hund-anmelden.json").read_text("utf-8"))
        )
        draft = applications.start_draft(row, person, None)
        submitted = make_application(
            row, person, fee_cents=3060, case_status=CaseStatus.IN_PROGRESS
        )
        make_payment(submitted)
        casework.deliver_decision(submitted, "Ihr Bescheid liegt bei.", PDF)
        thread = postfach.thread_for_application(submitted)
        postfach.post(
            thread,
            "Bitte bringen Sie den Impfpass mit.",
            from_office=True,
            attachments=[("hinweis.pdf", "application/pdf", PDF)],
        )
        office = db.session.get(Office, office_id) or make_office()
        service = db.session.scalars(select(Leistung).limit(1)).first()
        calendar = make_calendar(office, make_service(office))
        authority = make_authority(imprint="Gemeinde Test\nRathausplatz 1")
        journey = Journey(slug=f"umzug-{person.id}", name="Umzug")
        journey.steps = [JourneyStep(leistung_id=calendar.offers[0].leistung_id, note="bald")]
        db.session.add(journey)
        offer = calendar.offers[0]
        tomorrow = utcnow().astimezone(BERLIN).date() + dt.timedelta(days=1)
        booking = make_booking(offer, berlin(tomorrow, 9), person_id=person.id)
        held = make_booking(offer, berlin(tomorrow, 10), state=BookingState.HELD,
                            hold_until=utcnow() + dt.timedelta(minutes=20))  # fmt: skip
        login_as(client, person)
        step = applications.definition_of(row).steps[0].key
        values = {
            "applications.step": {"public_id": draft.public_id, "step_key": step},
            "applications.summary": {"public_id": draft.public_id},
            "applications.confirmation": {"public_id": submitted.public_id},
            "applications.start": {"form_key": row.key},
            "postfach.thread": {"public_id": thread.public_id},
            "payments.result": {"public_id": submitted.public_id},
            "catalog.stelle": {"office_id": office.id, "slug": office.slug},
            "catalog.a_z": {"letter": "h"},
            "appointments.days": {"offer_id": offer.id},
            "catalog.journey": {"slug": journey.slug},
            "authorities.entry": {"slug": authority.slug},
            "authorities.imprint": {"slug": authority.slug},
            "appointments.book": {"offer_id": offer.id, "chosen": tomorrow},
            "appointments.manage": {"token": appointments.manage_token(booking)},
            "appointments.confirm": {"token": appointments.confirm_token(held)},
        }
        if service is not None:
            values["catalog.leistung"] = {"service_id": service.id, "slug": service.slug}
        db.session.commit()
        return values


def test_every_citizen_page_in_english_marks_what_stays_german(
    app: Flask, client: FlaskClient, db_session: scoped_session[Session]
) -> None:
    values = _world(app, client)
    client.get("/sprache/en?next=/")
    urls: set[str] = set()
    missing = []
    with app.test_request_context("/"):
        for rule in app.url_map.iter_rules():
            if "GET" not in (rule.methods or ()) or rule.rule.startswith(NOT_PAGES):
                continue
            if rule.endpoint in FILES:
                continue
            arguments = rule.arguments - set(rule.defaults or {})
            if arguments and rule.endpoint not in values:
                if rule.endpoint not in (
                    "catalog.leistung",
                    "catalog.themenfeld",
                    "catalog.lebenslage",
                ):
                    missing.append(rule.endpoint)
                continue
            urls.add(url_for(rule.endpoint, **values.get(rule.endpoint, {})))
    assert missing == [], "citizen routes without values for this walk"
    found = {}
    for url in sorted(urls):
        answer = client.get(url, follow_redirects=True)
        if not answer.content_type.startswith("text/html"):
            continue
        german = unmarked_german(answer.get_data(as_text=True))
        if german:
            found[url] = german[:4]
    assert found == {}, json.dumps(found, ensure_ascii=False, indent=1)


def test_in_english_the_receipt_is_english_and_the_bescheid_says_it_stays_german(
    app: Flask, client: FlaskClient, db_session: scoped_session[Session]
) -> None:
    values = _world(app, client)
    client.get("/sprache/en?next=/")
    submitted = values["applications.confirmation"]["public_id"]
    receipt = client.get(f"/antraege/{submitted}/quittung.pdf")
    assert receipt.status_code == 200
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(receipt.data)).pages)
    assert "Receipt" in text or "receipt" in text
    assert "Eingangsbestätigung" not in text
    thread = client.get(f"/postfach/{values['postfach.thread']['public_id']}").get_data(
        as_text=True
    )
    assert "data-decision-german" in thread
    assert "German is the official language" in thread
    missing = client.get("/gibt-es-nicht")
    assert missing.status_code == 404
    assert unmarked_german(missing.get_data(as_text=True)) == []
    assert "Page not found" in missing.get_data(as_text=True)
