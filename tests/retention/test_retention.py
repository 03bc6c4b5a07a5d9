"""Deletion periods after a case is closed, and an account deletion that leaves the office its
files."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, select, update

from portal.applications.models import Application, ApplicationFile, CaseEvent, CaseStatus
from portal.core.db import utcnow
from portal.core.jobs import run_job
from portal.core.storage import StoredFileMissingError, file_store
from portal.extensions import db
from portal.handoff.models import Delivery, DeliveryState
from portal.identity.models import Person
from portal.postfach import services as postfach
from portal.postfach.models import Message, MessageAttachment, Thread
from portal.retention import services as retention
from tests.applications.conftest import PDF, Applicant
from tests.applications.test_cases import _staff, _submitted_dog
from tests.identity.conftest import Portal, log_in, post_form
from tests.support.jobs import run_rq_jobs
from tests.support.offices import ensure_office


def _closed_case_with_messages(portal: Portal) -> tuple[str, list[str]]:
    """A submitted dog registration with an upload, a citizen's attachment and a Bescheid,
    closed 100 days ago and delivered. Returns its public id and every stored key."""
    _anna, ident, _reference = _submitted_dog(portal)
    run_rq_jobs(portal.app)
    with portal.app.app_context():
        application = db.session.scalars(select(Application).filter_by(public_id=ident)).one()
        thread = postfach.thread_for_application(application)
        postfach.post(
            thread, "Anbei der Nachweis.", from_office=False, person_id=application.person_id,
            attachments=[("nachweis.pdf", "application/pdf", PDF)],
        )  # fmt: skip
        postfach.post(
            thread, "Ihr Bescheid.", from_office=True, kind="bescheid",
            attachments=[("bescheid.pdf", "application/pdf", PDF)],
        )  # fmt: skip
        db.session.add(CaseEvent(application_id=application.id, kind="status", status="x"))
        application.case_status = CaseStatus.CLOSED
        application.status_changed_at = utcnow() - dt.timedelta(days=100)
        db.session.execute(
            update(Delivery)
            .where(Delivery.application_id == application.id)
            .values(state=DeliveryState.WAITING)
        )
        db.session.commit()
        keys = [f.storage_key for f in application.files] + [
            a.storage_key for m in thread.messages for a in m.attachments
        ]
    run_rq_jobs(portal.app)
    return ident, keys


def _state(portal: Portal, ident: str) -> tuple[Application, int, list[str]]:
    application = db.session.scalars(select(Application).filter_by(public_id=ident)).one()
    files = db.session.scalar(
        select(func.count()).select_from(ApplicationFile).filter_by(application_id=application.id)
    )
    kinds = list(
        db.session.scalars(
            select(Message.kind)
            .join(MessageAttachment, MessageAttachment.message_id == Message.id)
            .join(Thread, Thread.id == Message.thread_id)
            .where(Thread.application_id == application.id)
        )
    )
    return application, files or 0, kinds


def _stored(portal: Portal, key: str) -> bool:
    with portal.app.app_context():
        try:
            file_store().get(key)
        except StoredFileMissingError:
            return False
        return True


def test_files_go_first_then_the_case_but_its_register_entry(forms_portal: Portal) -> None:
    ensure_office(forms_portal.app, "steueramt")
    ident, keys = _closed_case_with_messages(forms_portal)
    app = forms_portal.app
    with app.app_context():
        # Not delivered to the office yet: nothing is touched.
        report = run_job(retention.run)
        assert report.held_back >= 1
        _application, files, kinds = _state(forms_portal, ident)
        assert files == 1
        assert sorted(kinds) == ["bescheid", "nachricht"]

        db.session.execute(
            update(Delivery)
            .where(Delivery.application_id == _application.id)
            .values(state=DeliveryState.DELIVERED)
        )
        db.session.commit()
        report = run_job(retention.run)
        assert report.files >= 1
        assert report.attachments >= 1
        application, files, kinds = _state(forms_portal, ident)
        assert files == 0
        assert kinds == ["bescheid"]  # the decision stays until the case period ends
        assert application.answers  # the rest of the case stays too
        assert application.erased_at is None
    run_rq_jobs(app)
    upload_key, message_key, decision_key = keys
    assert not _stored(forms_portal, upload_key)
    assert not _stored(forms_portal, message_key)
    assert _stored(forms_portal, decision_key)

    with app.app_context():
        later = utcnow() + dt.timedelta(days=800)
        report = run_job(retention.run, later)
        assert report.cases >= 1
        application = db.session.scalars(select(Application).filter_by(public_id=ident)).one()
        assert application.erased_at is not None
        assert application.answers == {}
        assert application.applicant is None
        assert application.person_id is None
        assert application.reference  # the register entry stays
        assert db.session.scalar(select(Thread).filter_by(application_id=application.id)) is None
        assert not db.session.scalars(
            select(CaseEvent).filter_by(application_id=application.id)
        ).all()
        again = run_job(retention.run, later)
        assert (again.files, again.attachments) == (0, 0)
    run_rq_jobs(app)
    assert not _stored(forms_portal, decision_key)
    _clerk_sees_the_register_entry(forms_portal, ident)


def _clerk_sees_the_register_entry(forms_portal: Portal, ident: str) -> None:
    _staff(forms_portal, "sven@musterstadt.example", "steueramt")
    clerk, _home = log_in(forms_portal.url, "sachbearbeitung", "/verwaltung/anmelden")
    case = clerk.get(forms_portal.url + f"/verwaltung/vorgaenge/{ident}")
    assert case.status_code == 200
    assert "data-erased" in case.text
    assert "Rex" not in case.text
    assert (
        clerk.get(forms_portal.url + f"/verwaltung/vorgaenge/{ident}/postfach").status_code == 404
    )


def test_nothing_goes_before_its_period(forms_portal: Portal) -> None:
    ensure_office(forms_portal.app, "steueramt")
    ident, _keys = _closed_case_with_messages(forms_portal)
    with forms_portal.app.app_context():
        application = db.session.scalars(select(Application).filter_by(public_id=ident)).one()
        application.status_changed_at = utcnow() - dt.timedelta(days=89)
        db.session.execute(
            update(Delivery)
            .where(Delivery.application_id == application.id)
            .values(state=DeliveryState.DELIVERED)
        )
        db.session.commit()
    result = forms_portal.app.test_cli_runner().invoke(args=["retention", "run"])
    assert result.exit_code == 0, result.output
    assert "Vorgänge bis auf den Registereintrag gelöscht" in result.output
    with forms_portal.app.app_context():
        _application, files, kinds = _state(forms_portal, ident)
        assert files == 1
        assert len(kinds) == 2


def test_account_deletion_keeps_what_the_office_needs(forms_portal: Portal) -> None:
    office_id = ensure_office(forms_portal.app, "steueramt")
    anna, ident, reference = _submitted_dog(forms_portal)
    draft = anna.begin("hund-anmelden")
    draft_id = re.search(r"/antraege/([0-9a-f]+)/", draft.url)
    assert draft_id
    with forms_portal.app.app_context():
        application = db.session.scalars(select(Application).filter_by(public_id=ident)).one()
        assert application.applicant["person"]["family_name"]
        person = db.session.get(Person, application.person_id)
        enquiry = postfach.new_thread(person, None, office_id, "Frage zur Steuer")
        postfach.post(
            enquiry, "Wie hoch ist die Steuer?", from_office=False,
            person_id=application.person_id,
            attachments=[("frage.pdf", "application/pdf", PDF)],
        )  # fmt: skip
        enquiry_id = enquiry.public_id
        enquiry_key = enquiry.messages[0].attachments[0].storage_key
        name = person.display_name
        db.session.commit()
    run_rq_jobs(forms_portal.app)

    deleted = post_form(
        anna.browser, forms_portal.url, "/konto", _action="/konto/loeschen", confirm="y"
    )
    assert "Ihr Nutzerkonto wurde gelöscht." in deleted.text
    run_rq_jobs(forms_portal.app)
    with forms_portal.app.app_context():
        kept = db.session.scalars(select(Application).filter_by(public_id=ident)).one()
        assert kept.person_id is None
        assert kept.reference == reference
        assert kept.answers
        assert (
            db.session.scalars(select(Application).filter_by(public_id=draft_id.group(1))).all()
            == []
        )
        assert db.session.scalars(select(Thread).filter_by(public_id=enquiry_id)).all() == []
        case_thread = db.session.scalar(select(Thread).filter_by(application_id=kept.id))
        assert case_thread is not None  # the Eingangsbestätigung stays in the office's file
        case_thread_id = case_thread.public_id
    assert not _stored(forms_portal, enquiry_key)

    _staff(forms_portal, "sven@musterstadt.example", "steueramt")
    clerk, _home = log_in(forms_portal.url, "sachbearbeitung", "/verwaltung/anmelden")
    case = clerk.get(forms_portal.url + f"/verwaltung/vorgaenge/{ident}")
    assert "data-account-deleted" in case.text
    assert name in case.text  # from the data as submitted
    thread_url = forms_portal.url + f"/verwaltung/postfach/{case_thread_id}"
    refused = post_form(clerk, forms_portal.url, thread_url.removeprefix(forms_portal.url),
                        text="Bitte melden Sie sich.")  # fmt: skip
    assert refused.status_code == 422
    assert "per Post" in refused.text
    with forms_portal.app.app_context():
        assert not db.session.scalars(
            select(Message).join(Thread).where(
                Thread.public_id == case_thread_id, Message.kind == "nachricht",
                Message.from_office.is_(True),
            )
        ).all()  # fmt: skip
    # The receipt still names the applicant.
    from portal.applications import receipt, services

    with forms_portal.app.test_request_context():
        kept = db.session.scalars(select(Application).filter_by(public_id=ident)).one()
        assert name in receipt.render_html(kept, services.definition_for(kept))
    applicant = Applicant(forms_portal, "anna")  # a new login makes a new, empty account
    assert reference not in applicant.get("/antraege").text
