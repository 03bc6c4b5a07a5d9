"""A case worked entirely from the office's Fachverfahren: fetch and acknowledge, set in
Bearbeitung, ask for documents, hear of the upload by webhook, issue the Bescheid, and see
when the applicant retrieved it."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, scoped_session

from portal.applications.models import Application, AuditEntry
from portal.catalog.models import Office
from portal.extensions import db
from portal.identity.models import StaffRole
from portal.postfach.models import Thread
from tests.factories import PDF, make_staff
from tests.handoff.receiver import Receiver
from tests.officeapi.support import (
    World,
    build_world,
    call,
    conforms,
    pdf_b64,
    person,
    token,
)
from tests.support.auth import login_as, staff_login_as
from tests.support.jobs import run_rq_jobs

SECRET = "office-api-webhook-secret"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    server = Receiver(SECRET)
    yield server
    server.stop()


@pytest.fixture
def office_app(make_app: Callable[..., Flask], receiver: Receiver) -> Flask:
    return make_app(handoff_targets=f"*=webhook:{receiver.url}", handoff_webhook_secret=SECRET)


def _events(receiver: Receiver, reference: str) -> list[str]:
    return [e["event"] for e in receiver.events.values() if e["reference"] == reference]


def _download(api: FlaskClient, href: str, bearer: str) -> bytes:
    answer = api.get(href, headers={"Authorization": f"Bearer {bearer}"})
    assert answer.status_code == 200
    return answer.data


def _answer_with_document(app: Flask, citizen: FlaskClient, world: World) -> tuple[str, int]:
    """The applicant answers the Rückfrage in the Postfach with a PDF."""
    with app.app_context():
        login_as(citizen, person(world.person_a))
        application = db.session.scalar(select(Application).filter_by(public_id=world.case_a))
        assert application is not None
        thread = db.session.scalar(select(Thread).filter_by(application_id=application.id))
        assert thread is not None
        thread_id, application_id = thread.public_id, application.id
        db.session.commit()
    page = citizen.get(f"/postfach/{thread_id}")
    assert "Bitte reichen Sie den Mietvertrag nach." in page.get_data(as_text=True)
    match = CSRF.search(page.get_data(as_text=True))
    assert match
    sent = citizen.post(
        f"/postfach/{thread_id}",
        data={
            "csrf_token": match.group(1),
            "text": "Anbei der Mietvertrag.",
            "attachment": (io.BytesIO(PDF), "mietvertrag.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert sent.status_code == 303, sent.get_data(as_text=True)[:500]
    return thread_id, application_id


def test_a_case_from_submission_to_retrieved_bescheid(
    office_app: Flask, receiver: Receiver, db_session: scoped_session[Session]
) -> None:
    world = build_world(office_app)
    api, citizen = office_app.test_client(), office_app.test_client()
    bearer = token(api, world, world.full_a)
    case = f"/cases/{world.case_a}"

    # the Fachverfahren finds the new case, fetches it with its answers and files
    listed = conforms(call(api, "GET", "/cases", bearer).get_json(), "CaseList")["items"]
    assert [item["id"] for item in listed] == [world.case_a]
    assert listed[0]["lastChange"] == "eingang"
    fetched = conforms(call(api, "GET", case, bearer).get_json(), "Case")
    reference = fetched["reference"]
    assert fetched["data"]["answers"] == {"angaben": {"anzahl": "1"}}
    assert {a["purpose"] for a in fetched["attachments"]} == {"report", "attachment"}
    hashes = {
        a["attachmentId"]: a["hash"]["content"]
        for a in fetched["metadata"]["contentStructure"]["attachments"]
    }
    upload = next(a for a in fetched["attachments"] if a["purpose"] == "attachment")
    assert _download(api, upload["href"], bearer) == PDF
    assert set(hashes) == {a["id"] for a in fetched["attachments"]}

    acknowledged = conforms(
        call(api, "POST", f"{case}/acknowledgement", bearer).get_json(), "Acknowledgement"
    )
    assert acknowledged["acknowledgedAt"]
    again = call(api, "GET", case, bearer).get_json()
    assert again["acknowledgedAt"] == acknowledged["acknowledgedAt"]

    # in Bearbeitung, then a Rückfrage that the applicant sees in the Postfach
    started = call(api, "POST", f"{case}/status", bearer,
                   {"status": "in_bearbeitung", "note": "Wir prüfen Ihren Antrag."})  # fmt: skip
    assert conforms(started.get_json(), "CaseSummary")["status"] == "in_bearbeitung"
    asked = call(api, "POST", f"{case}/queries", bearer,
                 {"text": "Bitte reichen Sie den Mietvertrag nach."})  # fmt: skip
    assert asked.status_code == 201
    assert conforms(asked.get_json(), "Message")["kind"] == "rueckfrage"

    # the applicant answers with the document; the office's webhook hears of it
    thread_id, application_id = _answer_with_document(office_app, citizen, world)
    run_rq_jobs(office_app)
    assert _events(receiver, reference) == ["unterlagen"]

    answered = conforms(call(api, "GET", case, bearer).get_json(), "Case")
    reply = answered["messages"][-1]
    assert (reply["fromOffice"], reply["text"]) == (False, "Anbei der Mietvertrag.")
    assert reply["attachments"][0]["filename"] == "mietvertrag.pdf"
    the_file = api.get(
        reply["attachments"][0]["href"], headers={"Authorization": f"Bearer {bearer}"}
    )
    assert the_file.data == PDF

    # the Bescheid, issued from the Fachverfahren, retrieved by the applicant
    issued = call(api, "POST", f"{case}/decision", bearer,
                  {"text": "Ihr Antrag ist genehmigt.",
                   "document": {"filename": "bescheid.pdf", "content": pdf_b64()}})  # fmt: skip
    assert issued.status_code == 201, issued.get_data(as_text=True)
    decision = conforms(issued.get_json(), "DecisionState")
    assert decision["retrievedAt"] is None
    assert call(api, "GET", case, bearer).get_json()["status"] == "beschieden"
    retrieved = citizen.get(f"/postfach/{thread_id}/anlagen/{decision['attachmentId']}")
    assert retrieved.status_code == 200
    assert retrieved.data == PDF
    run_rq_jobs(office_app)
    state = conforms(call(api, "GET", f"{case}/decision", bearer).get_json(), "DecisionState")
    assert state["retrievedAt"]
    assert state["deemedDeliveredOn"]
    assert _events(receiver, reference) == ["unterlagen", "abgerufen"]
    event = next(e for e in receiver.events.values() if e["event"] == "abgerufen")
    assert event["case"].endswith(f"/api/office/v1/cases/{world.case_a}")

    _every_call_audited(office_app, application_id)


def _every_call_audited(app: Flask, application_id: int) -> None:
    with app.app_context():
        actions = set(
            db.session.scalars(
                select(AuditEntry.action).where(AuditEntry.application_id == application_id)
            )
        )
    assert {"api.get_case", "api.acknowledge", "api.set_status", "api.ask"} <= actions
    assert {"api.issue_decision", "api.get_decision", "api.get_file"} <= actions


def test_the_clerks_see_that_the_fachverfahren_took_the_case(
    app: Flask, db_session: scoped_session[Session]
) -> None:
    world = build_world(app)
    api, browser = app.test_client(), app.test_client()
    bearer = token(api, world, world.full_a)
    case_page = f"/verwaltung/vorgaenge/{world.case_a}"
    with app.test_request_context("/"):
        clerk = make_staff((StaffRole.SACHBEARBEITUNG, db.session.get(Office, world.office_a)))
        staff_login_as(browser, clerk)
        db.session.commit()
    assert "data-taken-over" not in browser.get(case_page).get_data(as_text=True)
    call(api, "POST", f"/cases/{world.case_a}/acknowledgement", bearer)
    call(api, "POST", f"/cases/{world.case_a}/acknowledgement", bearer)  # once is enough
    page = browser.get(case_page).get_data(as_text=True)
    assert page.count("data-taken-over") == 1
    assert "Vom Fachverfahren „Fachverfahren" in page
    citizen_view = conforms(call(api, "GET", f"/cases/{world.case_a}", bearer).get_json(), "Case")
    assert all(item["kind"] != "fachverfahren" for item in citizen_view["history"])
