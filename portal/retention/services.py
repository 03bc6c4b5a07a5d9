"""Deletion periods for closed cases, and what an account deletion removes.

The office must keep what it decided on; the portal keeps no more than that and no longer:

- ``PORTAL_RETENTION_FILE_DAYS`` after a case was closed, its uploads and the Postfach
  attachments go. Bescheide stay: they are the decision itself.
- ``PORTAL_RETENTION_CASE_DAYS`` after closing, the rest goes: answers, the applicant's data,
  messages, the Bescheid, the history. What stays is the register entry (Aktenzeichen, service,
  office, dates, fee) with its payment, which the cash rules keep for years.
- A case whose package has not reached the office yet is never touched: nothing is lost.
- Deleting an account removes its drafts and general enquiries. Submitted applications stay
  with the office, with the applicant's data as submitted, until their periods end.
- A Testantrag of the Baukasten goes whole ``PORTAL_RETENTION_TEST_DAYS`` after it was begun:
  answers, files, messages, its deliveries to the test target, the row itself.
- Appointments go ``PORTAL_RETENTION_APPOINTMENT_DAYS`` after their day. Deleting an account
  removes its past appointments; those to come stay as booked by name and e-mail (the e-mailed
  link still cancels them), no longer tied to the account.

Stored bytes are deleted by jobs after the commit, so a rollback never leaves rows without files.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import delete, exists, select

from portal.applications.models import Application, ApplicationStatus, CaseEvent, CaseStatus
from portal.applications.services import delete_stored_file, remove_file
from portal.appointments import services as appointments
from portal.core.db import utcnow
from portal.core.jobs import enqueue
from portal.extensions import db
from portal.handoff.models import Delivery, DeliveryState
from portal.identity.models import Person
from portal.postfach.models import Thread

DECISION = "bescheid"


@dataclass
class Report:
    files: int = 0
    attachments: int = 0
    cases: int = 0
    held_back: int = 0  # closed and due, but a package has not been delivered yet
    appointments: int = 0
    holds: int = 0  # appointments never confirmed, given back
    tests: int = 0  # Testanträge deleted whole

    def __str__(self) -> str:
        return (
            f"{self.files} Antragsdateien, {self.attachments} Postfach-Anlagen gelöscht; "
            f"{self.cases} Vorgänge bis auf den Registereintrag gelöscht; "
            f"{self.held_back} zurückgehalten (Übermittlung steht aus); "
            f"{self.appointments} vergangene Termine gelöscht, "
            f"{self.holds} nicht bestätigte Vormerkungen freigegeben; "
            f"{self.tests} Testanträge gelöscht"
        )


def _closed_before(moment: dt.datetime) -> list[Application]:
    return list(
        db.session.scalars(
            select(Application)
            .where(
                Application.case_status == CaseStatus.CLOSED,
                Application.status_changed_at < moment,
                Application.erased_at.is_(None),
            )
            .order_by(Application.id)
        )
    )


def _undelivered(application: Application) -> bool:
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    Delivery.application_id == application.id,
                    Delivery.state != DeliveryState.DELIVERED,
                )
            )
        )
    )


def _drop_attachments(thread: Thread, *, keep_decisions: bool) -> int:
    count = 0
    for message in thread.messages:
        if keep_decisions and message.kind == DECISION:
            continue
        for item in list(message.attachments):
            message.attachments.remove(item)
            enqueue(delete_stored_file, item.storage_key)
            count += 1
    return count


def _thread_of(application: Application) -> Thread | None:
    return db.session.scalar(select(Thread).where(Thread.application_id == application.id))


def _delete_thread(thread: Thread) -> int:
    count = _drop_attachments(thread, keep_decisions=False)
    db.session.delete(thread)
    return count


def run(now: dt.datetime | None = None) -> Report:
    """Apply both periods once; safe to repeat (what is gone stays gone, nothing twice)."""
    settings = current_app.config["PORTAL"]
    moment = now or utcnow()
    report = Report()
    file_due = _closed_before(moment - dt.timedelta(days=settings.retention_file_days))
    case_due_before = moment - dt.timedelta(days=settings.retention_case_days)
    for application in file_due:
        if _undelivered(application):
            report.held_back += 1
            continue
        closed = application.status_changed_at or moment  # set with every status change
        erase = closed < case_due_before
        for item in list(application.files):
            remove_file(application, item)
            report.files += 1
        thread = _thread_of(application)
        if thread is not None:
            if erase:
                report.attachments += _delete_thread(thread)
            else:
                report.attachments += _drop_attachments(thread, keep_decisions=True)
        if erase:
            _erase(application, moment)
            report.cases += 1
    report.tests = _drop_tests(moment - dt.timedelta(days=settings.retention_test_days))
    report.holds = appointments.release_lapsed(moment)
    report.appointments = appointments.expire(moment)
    db.session.flush()
    return report


def _drop_tests(before: dt.datetime) -> int:
    """Delete every Testantrag begun before ``before``, with all that hangs on it."""
    count = 0
    for application in db.session.scalars(
        select(Application).where(Application.test.is_(True), Application.created_at < before)
    ):
        for item in list(application.files):
            remove_file(application, item)
        thread = _thread_of(application)
        if thread is not None:
            _delete_thread(thread)
        db.session.execute(delete(Delivery).where(Delivery.application_id == application.id))
        db.session.delete(application)
        count += 1
    return count


def _erase(application: Application, moment: dt.datetime) -> None:
    application.answers = {}
    application.prefilled = {}
    application.complete = {}
    application.applicant = None
    application.person_id = None
    application.started_by_id = None
    application.organisation_id = None
    application.assigned_to_id = None
    application.erased_at = moment
    db.session.execute(delete(CaseEvent).where(CaseEvent.application_id == application.id))


def forget_account(person: Person) -> None:
    """Before the account goes: its drafts and general enquiries go with it."""
    drafts = db.session.scalars(
        select(Application).where(
            Application.person_id == person.id,
            Application.organisation_id.is_(None),
            Application.status == ApplicationStatus.DRAFT,
        )
    )
    for application in list(drafts):
        for item in list(application.files):
            remove_file(application, item)
        db.session.delete(application)
    enquiries = db.session.scalars(
        select(Thread).where(
            Thread.person_id == person.id,
            Thread.organisation_id.is_(None),
            Thread.application_id.is_(None),
        )
    )
    for thread in list(enquiries):
        _delete_thread(thread)
    appointments.forget_account(person.id)
    db.session.flush()
