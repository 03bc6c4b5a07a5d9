"""Every private URL, as every other persona: always 403 or 404.

The URLs are not listed by hand: every route of the app whose path takes a record's id is
taken from the URL map, so a route added later is tried too (or fails here as unknown).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import requests
from flask import url_for
from sqlalchemy import select

from portal.applications import services as applications
from portal.applications.models import Application
from portal.extensions import db
from portal.handoff.models import Delivery
from portal.payments import services as payments
from portal.payments.models import Refund
from portal.postfach.models import Thread
from tests.applications.conftest import PDF, Applicant, public_id
from tests.applications.test_cases import _submitted_dog
from tests.identity.conftest import TOKEN, Portal, log_in
from tests.postfach.test_postfach import write_to_office
from tests.support.jobs import run_rq_jobs
from tests.support.offices import ensure_office
from tests.support.staff import clerk_only_of

# Routes with ids that are public (catalogue), need no owner, or have their own tests.
NOT_PRIVATE = {
    "catalog.a_z", "catalog.leistung", "catalog.stelle", "catalog.themenfeld",
    "catalog.lebenslage", "catalog_api.office", "catalog_api.service", "i18n.switch_language",
    "applications.start", "applications.begin",
    "payments.webhook",  # signed by the provider: tests/payments
    "identity.member_role",  # organisation administration: tests/identity
    "backoffice.revoke_role",  # administrators only: tests/identity/test_staff.py
    "apiclients.revoke",  # administrators only: tests/officeapi/test_clients.py
    "redaktion.office", "redaktion.save_office", "redaktion.service", "redaktion.save_service",
    "redaktion.add_responsibility", "redaktion.remove_responsibility",  # tests/catalog
    # the office API: bearer tokens, no cookies; its own matrix is tests/officeapi/test_access.py
    "officeapi.get_case", "officeapi.get_file", "officeapi.get_decision", "officeapi.acknowledge",
    "officeapi.set_status", "officeapi.ask", "officeapi.send_message", "officeapi.issue_decision",
    "appointments.days", "appointments.book",  # public: anyone may book
    # the signed link is the key, for whoever holds it: tests/appointments/test_booking.py
    "appointments.manage", "appointments.calendar_file", "appointments.cancel",
    "appointments.confirm",  # the e-mailed confirm link: tests/appointments/test_abuse.py
    # scoped per office like the cases: tests/backoffice/test_office_scope.py
    "backoffice_appointments.settings", "backoffice_appointments.add_offer",
    "backoffice_appointments.remove_offer", "backoffice_appointments.add_closure",
    "backoffice_appointments.remove_closure", "backoffice_appointments.day_list",
    "backoffice_appointments.day_list_pdf", "backoffice_appointments.mark",
    "backoffice_appointments.holders", "backoffice_appointments.cancel_holder",
    "formulare.detail", "formulare.publish", "formulare.settings", "formulare.edit_field",
    "formulare.structure", "formulare.add_step", "formulare.edit_step", "formulare.add_field",
    "formulare.preview", "formulare.test", "formulare.withdraw", "formulare.versions",
    "formulare.export", "formulare.copy", "formulare.share",
    "formulare.adopt",  # offered to every office: tests/backoffice/test_baukasten_editing.py
    "catalog.journey", "authorities.entry", "authorities.imprint",  # public
    # Redaktion of the region: tests/backoffice/test_journeys.py
    "journeys.edit", "journeys.save", "journeys.add_step", "journeys.move_step",
    "applications.choose_suggestion",  # the logged-in citizen's own choice: tests/applications
}  # fmt: skip


@dataclass
class Records:
    draft: str
    draft_step: str
    draft_file: str
    submitted: str
    submitted_file: str
    thread: str
    thread_file: str
    org_thread: str
    payment: str
    delivery: int
    refund: int


def _records(portal: Portal) -> Records:
    """Anna's draft with a file, her submitted application with a file, its thread with an
    attachment, a payment, a delivery; and a thread of the organisation Musterbau."""
    anna, submitted, _reference = _submitted_dog(portal)
    step = anna.begin("hund-anmelden")
    draft = public_id(step.url)
    step_key = step.url.rstrip("/").rsplit("/", 1)[1]
    with portal.app.app_context():
        row = db.session.scalars(select(Application).filter_by(public_id=draft)).one()
        draft_file = applications.attach_file(
            row, "abmeldung", "bescheinigung", filename="d.pdf",
            content_type="application/pdf", data=PDF,
        ).public_id  # fmt: skip
        db.session.commit()
    confirmation = anna.get(f"/antraege/{submitted}/bestaetigung").text
    thread_link = re.search(r'href="/postfach/([0-9a-f]+)"', anna.get("/postfach").text)
    assert thread_link
    thread = thread_link.group(1)
    reply = anna.browser.post(
        anna.base + f"/postfach/{thread}",
        data={"csrf_token": anna.token(confirmation), "text": "Nachweis anbei"},
        files={"attachment": ("n.pdf", PDF, "application/pdf")},
    )
    attachment = re.search(rf"/postfach/{thread}/anlagen/([0-9a-f]+)", reply.text)
    assert attachment
    frieda = Applicant(portal, "firma", "/anmelden/organisation")
    sent = write_to_office(frieda, "steueramt", "Firmenfrage", "?")
    org_thread = sent.url.rstrip("/").rsplit("/", 1)[1]
    run_rq_jobs(portal.app)
    with portal.app.app_context():
        application = db.session.scalars(select(Application).filter_by(public_id=submitted)).one()
        opened = payments.open_payment(application, "Hundesteuer", "test")
        payment = opened.public_id
        kasse_refund = Refund(payment_id=opened.id, amount_cents=100, by_kasse=True,
                              idempotency_key=f"matrix-{payment}")  # fmt: skip
        db.session.add(kasse_refund)
        db.session.flush()
        refund = kasse_refund.id
        delivery = db.session.scalars(
            select(Delivery.id).filter_by(application_id=application.id)
        ).first()
        submitted_file = application.files[0].public_id
        assert db.session.scalars(select(Thread).filter_by(public_id=org_thread)).one()
        db.session.commit()
    assert delivery is not None
    return Records(
        draft, step_key, draft_file, submitted, submitted_file, thread, attachment.group(1),
        org_thread, payment, delivery, refund,
    )  # fmt: skip


def _urls(portal: Portal, records: Records, *, staff: bool) -> Iterator[tuple[str, str, str]]:
    """(endpoint, method, path) for every private route of one side, with real ids."""
    values = {
        "applications.step": [{"public_id": records.draft, "step_key": records.draft_step}],
        "applications.submit": [{"public_id": records.draft}],
        "applications.delete": [{"public_id": records.draft}],
        "applications.summary": [{"public_id": records.draft}],
        "applications.download": [
            {"public_id": records.draft, "file_id": records.draft_file},
            {"public_id": records.submitted, "file_id": records.submitted_file},
        ],
        "applications.confirmation": [{"public_id": records.submitted}],
        "applications.receipt_pdf": [{"public_id": records.submitted}],
        "payments.pay": [{"public_id": records.submitted}],
        "payments.result": [{"public_id": records.payment}],
        "payments.test_checkout": [{"public_id": records.payment, "attempt": 1}],
        "postfach.thread": [{"public_id": records.thread}, {"public_id": records.org_thread}],
        "postfach.archive": [{"public_id": records.thread}, {"public_id": records.org_thread}],
        "postfach.flag": [{"public_id": records.thread}, {"public_id": records.org_thread}],
        "postfach.attachment": [{"public_id": records.thread, "file_id": records.thread_file}],
        "postfach.office_thread": [
            {"public_id": records.thread},
            {"public_id": records.org_thread},
        ],
        "postfach.office_attachment": [
            {"public_id": records.thread, "file_id": records.thread_file}
        ],
        "backoffice.case": [{"public_id": records.submitted}],
        "backoffice.case_file": [
            {"public_id": records.submitted, "file_id": records.submitted_file}
        ],
        "backoffice.case_thread": [{"public_id": records.submitted}],
        "backoffice.case_status": [{"public_id": records.submitted}],
        "backoffice.case_assign": [{"public_id": records.submitted}],
        "decisions.issue": [{"public_id": records.submitted}],
        "payments.refund": [{"public_id": records.payment}],
        "payments.check_now": [{"public_id": records.payment}],
        "payments.kasse_refunded": [{"public_id": records.payment, "refund_id": records.refund}],
        "handoff.resend": [{"delivery_id": records.delivery}],
    }
    app = portal.app
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if not (rule.arguments - {"filename"}) or rule.endpoint in NOT_PRIVATE:
                continue
            assert rule.endpoint in values, f"{rule.endpoint}: neue Route ohne Zugriffstest"
            if rule.rule.startswith("/verwaltung") != staff:
                continue
            for arguments in values[rule.endpoint]:
                for method in sorted((rule.methods or set()) & {"GET", "POST"}):
                    yield rule.endpoint, method, url_for(rule.endpoint, **arguments)


def _try(browser: requests.Session, base: str, method: str, path: str) -> int:
    if method == "GET":
        return browser.get(base + path, allow_redirects=False).status_code
    token = TOKEN.search(browser.get(base + "/postfach").text) or TOKEN.search(
        browser.get(base + "/verwaltung/").text
    )
    assert token
    data = {"csrf_token": token.group(1), "text": "x", "status": "in_bearbeitung", "note": "x",
            "clerk": "", "amount": "1,00", "ergebnis": "erfolg"}  # fmt: skip
    return browser.post(base + path, data=data, allow_redirects=False).status_code


def test_every_private_url_refuses_every_other_persona(forms_portal: Portal) -> None:
    ensure_office(forms_portal.app, "steueramt")
    ensure_office(forms_portal.app, "ordnungsamt")
    records = _records(forms_portal)
    others = {
        "another citizen": Applicant(forms_portal, "bernd").browser,
        "Musterbau's admin": Applicant(forms_portal, "firma", "/anmelden/organisation").browser,
        "Musterbau's member": Applicant(forms_portal, "kollege", "/anmelden/organisation").browser,
        "Frieda for herself": Applicant(forms_portal, "firma").browser,
        "Anna for herself": Applicant(forms_portal, "anna").browser,
    }
    tried = 0
    failures = []
    for who, browser in others.items():
        for endpoint, method, path in _urls(forms_portal, records, staff=False):
            if who == "Anna for herself" and records.org_thread not in path:
                continue  # her own records: the owner, not another persona
            if who.startswith("Musterbau") and records.org_thread in path:
                continue  # Musterbau's own thread
            status = _try(browser, forms_portal.url, method, path)
            tried += 1
            if status not in (403, 404):
                failures.append(f"{who}: {method} {path} ({endpoint}) -> {status}")

    # A clerk of another office.
    clerk_only_of(forms_portal.app, "sven@musterstadt.example", "ordnungsamt")
    clerk, _home = log_in(forms_portal.url, "sachbearbeitung", "/verwaltung/anmelden")
    for endpoint, method, path in _urls(forms_portal, records, staff=True):
        status = _try(clerk, forms_portal.url, method, path)
        tried += 1
        if status not in (403, 404):
            failures.append(f"clerk of another office: {method} {path} ({endpoint}) -> {status}")
    assert failures == []
    assert tried >= 60
