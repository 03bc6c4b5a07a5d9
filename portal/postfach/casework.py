"""The office's answers to a case, the same from the back office and from the office API.

Moving the status (a Rückfrage goes to the case's Postfach thread with the note), writing to
the applicant and delivering a Bescheid follow one set of rules here, so a Fachverfahren can do
nothing a clerk could not. Refusals carry a German reason and the field it is about.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from portal.applications import cases
from portal.applications.models import CASE_FLOW, Application, CaseStatus
from portal.identity.models import StaffAccount
from portal.postfach.models import Message
from portal.postfach.services import UNREACHABLE, post, thread_for_application

NOT_FROM_HERE = _l("Dieser Status ist von hier aus nicht möglich.")
QUERY_NEEDS_NOTE = _l("Bitte schreiben Sie, welche Unterlagen oder Angaben fehlen.")
DECISION_TOO_EARLY = _l("Ein Bescheid ist erst möglich, wenn der Vorgang in Bearbeitung ist.")


@dataclass
class CaseworkRefusedError(ValueError):
    field: str  # "status", "note", "text"
    reason: str


def applicant_reachable(application: Application) -> bool:
    return application.person_id is not None or application.organisation_id is not None


def set_status(
    application: Application,
    status: CaseStatus,
    note: str,
    staff: StaffAccount | None = None,
) -> None:
    """Move the case on; a Rückfrage also asks the applicant in the case's Postfach."""
    current = application.case_status or CaseStatus.RECEIVED
    if status not in CASE_FLOW[current]:
        raise CaseworkRefusedError("status", str(NOT_FROM_HERE))
    if status == CaseStatus.QUERY and not note.strip():
        raise CaseworkRefusedError("note", str(QUERY_NEEDS_NOTE))
    if status == CaseStatus.QUERY and not applicant_reachable(application):
        raise CaseworkRefusedError("status", str(UNREACHABLE))
    cases.change_status(staff, application, status, note)
    if status == CaseStatus.QUERY:
        # The answer, with uploads, comes back into the same thread.
        post(
            thread_for_application(application),
            note,
            from_office=True,
            staff_id=staff.id if staff is not None else None,
            kind="rueckfrage",
        )


def decision_refused(application: Application) -> str:
    """Why no Bescheid can be issued now, or ""."""
    if not applicant_reachable(application):
        return str(UNREACHABLE)
    if CaseStatus.DECIDED not in CASE_FLOW[application.case_status or CaseStatus.RECEIVED]:
        return str(DECISION_TOO_EARLY)
    return ""


def deliver_decision(
    application: Application, text: str, pdf: bytes, staff: StaffAccount | None = None
) -> Message:
    """The Bescheid as a PDF in the applicant's Postfach ("abgerufen am" when opened); the case
    is then beschieden."""
    refusal = decision_refused(application)
    if refusal:
        raise CaseworkRefusedError("status", refusal)
    message = post(
        thread_for_application(application),
        text,
        from_office=True,
        staff_id=staff.id if staff is not None else None,
        kind="bescheid",
        attachments=[(f"bescheid-{application.reference}.pdf", "application/pdf", pdf)],
    )
    cases.change_status(staff, application, CaseStatus.DECIDED, "")
    return message


def write(
    application: Application,
    text: str,
    attachments: list[tuple[str, str, bytes]],
    staff: StaffAccount | None = None,
) -> Message:
    """A message from the office in the case's Postfach thread."""
    if not applicant_reachable(application):
        raise CaseworkRefusedError("text", str(UNREACHABLE))
    return post(
        thread_for_application(application),
        text,
        from_office=True,
        staff_id=staff.id if staff is not None else None,
        attachments=attachments,
    )
