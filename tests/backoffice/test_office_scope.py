"""The boundary between offices, for staff with mixed roles.

Every staff route is taken from the URL map: a route under /verwaltung that takes a record id
must have a row in ``RECORD_ROUTES`` (else this test fails), and each is tried with another
office's records, by GET and POST, as staff whose roles do not reach that office's cases:

- Sachbearbeitung of office A who is also Redaktion of office B,
- Amtsleitung of office A only,
- Redaktion only (of office A),
- the administrator, for everything that decides a case or moves money.

Each gets 403 or 404, and no write has any effect (the state of every table a write could
change is compared before and after). The lists and the export show none of B's records. A
clerk of office B is the control: the same URLs work for them, so the setup is visible.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy import func, select

from portal.applications.models import (
    Application,
    CaseEvent,
    CaseStatus,
    FormDraft,
    FormPolicy,
    FormVersion,
)
from portal.appointments.models import Booking, Calendar, Closure, Offer
from portal.appointments.slots import BERLIN
from portal.catalog.models import AuthorityKind, LocalOverride, Office, Zustaendigkeit
from portal.core.db import utcnow
from portal.extensions import db
from portal.handoff.models import Delivery
from portal.identity.clients import ApiClient
from portal.identity.models import StaffAccount, StaffAssignment, StaffRole
from portal.payments.models import Payment, Refund
from portal.postfach.models import Message, MessageAttachment, Thread
from tests.factories import (
    make_api_client,
    make_application,
    make_authority,
    make_booking,
    make_calendar,
    make_delivery,
    make_form,
    make_office,
    make_payment,
    make_person,
    make_service,
    make_staff,
    make_thread,
)
from tests.support.auth import staff_login_as

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
# Staff routes without a record id whose pages list records: none of B's may show.
LISTS = (
    "backoffice.cases",
    "postfach.office_inbox",
    "payments.staff_payments",
    "handoff.overview",
    "payments.export",
    "statistics.overview",
    "apiclients.overview",
    "backoffice_appointments.overview",
    "formulare.overview",
    "formulare.import_package",
    "formulare.from_service",
)
# Not records of an office: the Lebenslagen span the region's authorities and any Redaktion keeps
# them (tests/backoffice/test_journeys.py checks who may).
REGION_WIDE = {"journeys.edit", "journeys.save", "journeys.add_step", "journeys.move_step"}
POST_DATA = {
    "status": "in_bearbeitung", "note": "x", "clerk": "", "text": "x", "tenor": "Genehmigt",
    "remedy": "x", "amount": "1,00", "reason": "x", "request_id": "abcdefghijklmnopqrstuv",
    "phone": "0123", "email": "a@b.example", "url": "https://evil.example",
    "opening_hours": "Mo", "online_url": "https://evil.example", "assignment": "1",
    "name": "Umbenannt", "counters": "3", "slot_minutes": "15", "lead_hours": "1",
    "horizon_days": "5", "windows": "Mo 08:00-12:00", "day": "2031-01-06", "duration": "15",
}  # fmt: skip


@dataclass(frozen=True)
class Scene:
    office_a: int
    office_b: int
    case_b: str
    reference_b: str
    file_b: str
    thread_b: str
    thread_file_b: str
    enquiry_b: str
    payment_b: str
    kassenzeichen_b: str
    delivery_b: int
    office_c: int
    service_c: int
    responsibility_c: int
    someone: int
    api_client_b: int
    calendar_b: int
    offer_b: int
    closure_b: int
    booking_b: int
    booking_day_b: str
    form_draft_b: int
    form_key_b: str
    refund_b: int  # asked of the Kasse, not yet paid back


def _scene(b_belongs_to: str = "gemeinde") -> Scene:
    """Office B with a case (file, fee paid, Postfach thread with a file, a delivery given up)
    and a general enquiry; office C with a service assigned locally (for the Redaktion).

    Office A belongs to Gemeinde A; office B to Gemeinde B, or to the Kreis both Gemeinden
    belong to (``b_belongs_to``): neither is reached from Gemeinde A."""
    kreis = make_authority("Kreis", kind=AuthorityKind.KREIS)
    gemeinde_a = make_authority("Gemeinde A", parent_id=kreis.id)
    owner_b = kreis if b_belongs_to == "kreis" else make_authority("Gemeinde B", parent_id=kreis.id)
    office_a = make_office(authority_id=gemeinde_a.id)
    office_b = make_office(authority_id=owner_b.id)
    office_c = make_office()
    anna = make_person()
    case = make_application(
        make_form(office_b), anna, case_status=CaseStatus.IN_PROGRESS, fee_cents=3060,
        with_file=True,
    )  # fmt: skip
    payment = make_payment(case)
    kasse_refund = Refund(payment_id=payment.id, amount_cents=100, by_kasse=True,
                          idempotency_key=f"scope-{payment.public_id}")  # fmt: skip
    db.session.add(kasse_refund)
    thread = make_thread(case)
    enquiry = Thread(
        public_id="e" * 32, updated_at=case.updated_at, subject="Frage an B",
        office_id=office_b.id, person_id=anna.id,
    )  # fmt: skip
    db.session.add(enquiry)
    delivery = make_delivery(case)
    service = make_service()
    local = Zustaendigkeit(leistung_id=service.id, office_id=office_c.id, origin="local")
    db.session.add(local)
    someone = make_staff((StaffRole.SACHBEARBEITUNG, office_c))
    api_client = make_api_client(office_b).client
    calendar = make_calendar(office_b, make_service(office_b), name="Kalender-B-intern")
    calendar.closures.append(Closure(day=dt.date(2031, 1, 2), reason="Betriebsausflug"))
    booking = make_booking(
        calendar.offers[0], utcnow() - dt.timedelta(hours=1), name="Bruno Terminkunde"
    )
    steps = [{"key": "angaben", "fields": [{"key": "anzahl"}]}]
    draft = FormDraft(key=f"formular-b-{case.public_id[:6]}", title="Formular-B-intern",
                      office_id=office_b.id, updated_at=utcnow(),
                      definition={"steps": steps})  # fmt: skip
    db.session.add(draft)
    db.session.commit()  # a savepoint of the test's transaction: requests end their session
    attachment = thread.messages[-1].attachments[0]
    return Scene(
        office_a.id, office_b.id, case.public_id, case.reference or "", case.files[0].public_id,
        thread.public_id, attachment.public_id, enquiry.public_id, payment.public_id,
        payment.kassenzeichen, delivery.id, office_c.id, service.id, local.id, someone.id,
        api_client.id, calendar.id, calendar.offers[0].id, calendar.closures[0].id, booking.id,
        booking.starts_at.astimezone(BERLIN).date().isoformat(), draft.id, case.form_key,
        kasse_refund.id,
    )  # fmt: skip


def _record_routes(scene: Scene) -> dict[str, list[dict[str, Any]]]:
    case = {"public_id": scene.case_b}
    redaktion = {"office_id": scene.office_c}
    calendar = {"calendar_id": scene.calendar_b}
    return {
        "backoffice.case": [case],
        "backoffice.case_file": [{**case, "file_id": scene.file_b}],
        "backoffice.case_thread": [case],
        "backoffice.case_status": [case],
        "backoffice.case_assign": [case],
        "decisions.issue": [case],
        "postfach.office_thread": [{"public_id": scene.thread_b}, {"public_id": scene.enquiry_b}],
        "postfach.office_attachment": [
            {"public_id": scene.thread_b, "file_id": scene.thread_file_b}
        ],
        "payments.refund": [{"public_id": scene.payment_b}],
        "payments.check_now": [{"public_id": scene.payment_b}],
        "payments.kasse_refunded": [{"public_id": scene.payment_b, "refund_id": scene.refund_b}],
        "handoff.resend": [{"delivery_id": scene.delivery_b}],
        "backoffice.revoke_role": [{"staff_id": scene.someone}],
        "apiclients.revoke": [{"client_id": scene.api_client_b}],
        "redaktion.office": [redaktion],
        "redaktion.save_office": [redaktion],
        "redaktion.service": [{**redaktion, "service_id": scene.service_c}],
        "redaktion.save_service": [{**redaktion, "service_id": scene.service_c}],
        "redaktion.add_responsibility": [redaktion],
        "redaktion.remove_responsibility": [
            {**redaktion, "responsibility_id": scene.responsibility_c}
        ],
        **{f"backoffice_appointments.{name}": [calendar] for name in (
            "settings", "add_offer", "add_closure", "day_list", "day_list_pdf", "holders",
            "cancel_holder")},
        "backoffice_appointments.remove_offer": [{**calendar, "offer_id": scene.offer_b}],
        "backoffice_appointments.remove_closure": [{**calendar, "closure_id": scene.closure_b}],
        "formulare.detail": [{"draft_id": scene.form_draft_b}],
        "formulare.publish": [{"draft_id": scene.form_draft_b}],
        "formulare.settings": [{"draft_id": scene.form_draft_b}],
        "formulare.edit_field": [
            {"draft_id": scene.form_draft_b, "step_key": "angaben", "field_key": "anzahl"}
        ],
        **{f"formulare.{name}": [{"draft_id": scene.form_draft_b}] for name in (
            "structure", "add_step", "preview", "test", "withdraw", "versions", "export",
            "copy", "share", "adopt")},
        "formulare.edit_step": [{"draft_id": scene.form_draft_b, "step_key": "angaben"}],
        "formulare.add_field": [{"draft_id": scene.form_draft_b, "step_key": "angaben"}],
        "backoffice_appointments.mark": [
            {"booking_id": scene.booking_b, "state": "nicht_erschienen"},
            {"booking_id": scene.booking_b, "state": "erschienen"},
        ],
    }  # fmt: skip


def _staff_urls(app: Flask, scene: Scene) -> tuple[list[tuple[str, str, str]], list[str]]:
    """(endpoint, method, url) for every staff route with a record id; URLs of the lists."""
    routes = _record_routes(scene)
    tried: list[tuple[str, str, str]] = []
    lists: list[str] = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if not rule.rule.startswith("/verwaltung"):
                continue
            if not rule.arguments:
                if rule.endpoint in LISTS:
                    lists.append(url_for(rule.endpoint))
                continue
            if rule.endpoint in REGION_WIDE:
                continue
            assert rule.endpoint in routes, f"{rule.endpoint}: neue Verwaltungsroute ohne Test"
            for values in routes[rule.endpoint]:
                for method in sorted((rule.methods or set()) & {"GET", "POST"}):
                    tried.append((rule.endpoint, method, url_for(rule.endpoint, **values)))
    return tried, lists


def _state() -> dict[str, Any]:
    """Everything a staff write could change, as plain values."""

    def count(model: type[Any]) -> int:
        return int(db.session.scalar(select(func.count()).select_from(model)) or 0)

    db.session.expire_all()
    return {
        "cases": sorted(
            (a.public_id, a.case_status, a.assigned_to_id)
            for a in db.session.scalars(select(Application))
        ),
        "events": count(CaseEvent),
        "messages": count(Message),
        "attachments_retrieved": sorted(
            str(a.retrieved_at) for a in db.session.scalars(select(MessageAttachment))
        ),
        "read": sorted(str(m.read_at) for m in db.session.scalars(select(Message))),
        "threads": count(Thread),
        "refunds": count(Refund),
        "refunds_done": sorted(str(r.completed_at) for r in db.session.scalars(select(Refund))),
        "refunded": sorted(p.refunded_cents for p in db.session.scalars(select(Payment))),
        "payment_checks": sorted(
            (p.checks, str(p.next_check_at)) for p in db.session.scalars(select(Payment))
        ),
        "deliveries": sorted(
            (d.id, d.state, d.attempts, str(d.next_attempt_at))
            for d in db.session.scalars(select(Delivery))
        ),
        "responsibilities": count(Zustaendigkeit),
        "overrides": count(LocalOverride),
        "roles": count(StaffAssignment),
        "api_clients": sorted(
            (c.id, str(c.revoked_at)) for c in db.session.scalars(select(ApiClient))
        ),
        "api_client_count": count(ApiClient),
        "calendars": sorted(
            (c.id, c.name, c.counters, c.lead_hours, len(c.windows), len(c.closures))
            for c in db.session.scalars(select(Calendar))
        ),
        "offers": count(Offer),
        "bookings": sorted((b.id, b.state) for b in db.session.scalars(select(Booking))),
        "form_drafts": sorted(
            (d.id, d.key, d.state, d.office_id, repr(sorted(d.definition.items())))
            for d in db.session.scalars(select(FormDraft))
        ),
        "form_versions": sorted(
            (v.key, v.version, v.active) for v in db.session.scalars(select(FormVersion))
        ),
        "form_policies": sorted(
            (p.office_id, p.four_eyes) for p in db.session.scalars(select(FormPolicy))
        ),
    }


def _client(app: Flask, staff: StaffAccount) -> tuple[FlaskClient, str]:
    client = app.test_client()
    staff_login_as(client, staff)
    db.session.commit()
    page = client.get("/verwaltung/").get_data(as_text=True)
    token = CSRF.search(page)
    assert token, page[:300]
    return client, token.group(1)


def _request(client: FlaskClient, token: str, method: str, url: str) -> tuple[int, str]:
    if method == "GET":
        response = client.get(url)
    else:
        response = client.post(url, data={"csrf_token": token, **POST_DATA})
    return response.status_code, response.get_data(as_text=True)


def _export(url: str) -> str:
    today = dt.datetime.now(dt.UTC).date()
    return f"{url}?von={today - dt.timedelta(days=1)}&bis={today + dt.timedelta(days=1)}"


def _markers(scene: Scene) -> tuple[str, ...]:
    return (
        scene.reference_b, scene.kassenzeichen_b, scene.case_b, scene.thread_b, "Frage an B",
        "Kalender-B-intern", "Bruno Terminkunde", "Formular-B-intern",
    )  # fmt: skip


PERSONAS = ("Sachbearbeitung A + Redaktion B", "Amtsleitung A", "Redaktion A",
            "Formularredaktion A")  # fmt: skip


@pytest.mark.parametrize("b_belongs_to", ["gemeinde", "kreis"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_staff_of_other_offices_reach_nothing_of_office_b(
    app: Flask, app_context: None, persona: str, b_belongs_to: str
) -> None:
    scene = _scene(b_belongs_to)
    office_a, office_b = (
        db.session.get(Office, scene.office_a),
        db.session.get(Office, scene.office_b),
    )
    roles = {
        "Sachbearbeitung A + Redaktion B": (
            (StaffRole.SACHBEARBEITUNG, office_a),
            (StaffRole.REDAKTION, office_b),
        ),
        "Amtsleitung A": ((StaffRole.AMTSLEITUNG, office_a),),
        "Redaktion A": ((StaffRole.REDAKTION, office_a),),
        "Formularredaktion A": ((StaffRole.FORMULARREDAKTION, office_a),),
    }[persona]
    client, token = _client(app, make_staff(*roles))
    tried, lists = _staff_urls(app, scene)
    before = _state()
    failures = []
    for endpoint, method, url in tried:
        status, _body = _request(client, token, method, url)
        if status not in (403, 404):
            failures.append(f"{method} {url} ({endpoint}) -> {status}")
    for url in lists:
        status, body = _request(client, token, "GET", _export(url) if "export" in url else url)
        leaked = [marker for marker in _markers(scene) if marker in body]
        if status == 200 and leaked:
            failures.append(f"GET {url}: zeigt {leaked}")
    assert failures == []
    assert _state() == before
    assert len(tried) >= 20


def test_the_administrator_reads_but_never_decides_or_refunds(
    app: Flask, app_context: None
) -> None:
    scene = _scene()
    client, token = _client(app, make_staff((StaffRole.ADMINISTRATION, None)))
    assert client.get(f"/verwaltung/vorgaenge/{scene.case_b}").status_code == 200
    assert scene.reference_b in client.get("/verwaltung/vorgaenge").get_data(as_text=True)
    case_page = client.get(f"/verwaltung/vorgaenge/{scene.case_b}").get_data(as_text=True)
    assert "Bescheid erteilen" not in case_page
    assert "data-read-only" in case_page
    before = _state()
    thread_page = client.get(f"/verwaltung/postfach/{scene.thread_b}").get_data(as_text=True)
    assert "data-read-only" in thread_page
    assert 'name="text"' not in thread_page
    work = {
        ("backoffice.case_status", "POST"), ("backoffice.case_assign", "POST"),
        ("decisions.issue", "POST"), ("postfach.office_thread", "POST"),
        ("payments.refund", "POST"), ("backoffice_appointments.mark", "POST"),
        ("payments.kasse_refunded", "POST"),
    }  # fmt: skip
    tried, _lists = _staff_urls(app, scene)
    failures = []
    for endpoint, method, url in tried:
        if (endpoint, method) in work:
            status, _body = _request(client, token, method, url)
            if status not in (403, 404):
                failures.append(f"{method} {url} ({endpoint}) -> {status}")
    assert failures == []
    assert _state() == before  # reading did not mark the applicant's message as read either


def test_a_clerk_of_office_b_reaches_all_of_it(app: Flask, app_context: None) -> None:
    """The control: the same records, by the office's own clerk, are there."""
    scene = _scene()
    clerk = make_staff((StaffRole.SACHBEARBEITUNG, db.session.get(Office, scene.office_b)))
    client, _token = _client(app, clerk)
    for path in (
        f"/verwaltung/vorgaenge/{scene.case_b}",
        f"/verwaltung/vorgaenge/{scene.case_b}/dateien/{scene.file_b}",
        f"/verwaltung/postfach/{scene.thread_b}",
        f"/verwaltung/postfach/{scene.enquiry_b}",
        f"/verwaltung/postfach/{scene.thread_b}/anlagen/{scene.thread_file_b}",
    ):
        assert client.get(path).status_code == 200, path
    listing = client.get("/verwaltung/vorgaenge").get_data(as_text=True)
    assert scene.reference_b in listing
    assert scene.kassenzeichen_b in client.get("/verwaltung/zahlungen").get_data(as_text=True)
    assert scene.reference_b in client.get("/verwaltung/uebermittlungen").get_data(as_text=True)
    assert "Frage an B" in client.get("/verwaltung/postfach").get_data(as_text=True)
    assert "Kalender-B-intern" in client.get("/verwaltung/termine/").get_data(as_text=True)
    day = client.get(f"/verwaltung/termine/{scene.calendar_b}?datum={scene.booking_day_b}")
    day = day.get_data(as_text=True)
    assert "Bruno Terminkunde" in day
