"""Cases: the queue of an office, one case, status changes, assignment, the audit log.

Used by the back office, the Postfach and the payments alike, so the office scope is decided
in one place: staff see the cases of the offices where they hold a case role (Sachbearbeitung,
Amtsleitung; Administration: all, read only). Anything else is a 404, never a hint that the
case exists. Every case view and download is audited.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import abort
from sqlalchemy import Select, select

from portal.applications.models import (
    CASE_FLOW,
    Application,
    ApplicationStatus,
    AuditEntry,
    CaseChange,
    CaseEvent,
    CaseStatus,
    ChangeKind,
)
from portal.core.db import utcnow
from portal.core.signals import case_changed, emit
from portal.extensions import db
from portal.identity.access import CASE_READ, CASE_WORK, in_scope, may, office_scope
from portal.identity.models import StaffAccount, StaffAssignment, StaffRole

OVERDUE_AFTER = dt.timedelta(days=14)


@dataclass(frozen=True)
class QueueFilter:
    status: str = ""
    form: str = ""
    since: dt.date | None = None
    until: dt.date | None = None
    overdue: bool = False
    mine: bool = False


def visible_cases(staff: StaffAccount, *roles: StaffRole) -> Select[Any]:
    """Submitted applications of the offices where ``staff`` holds one of ``roles``."""
    return select(Application).where(
        Application.status == ApplicationStatus.SUBMITTED,
        in_scope(Application.office_id, office_scope(staff, *(roles or CASE_READ))),
    )


def queue(
    staff: StaffAccount, chosen: QueueFilter, now: dt.datetime | None = None
) -> list[Application]:
    query = visible_cases(staff)
    if chosen.status:
        query = query.where(Application.case_status == CaseStatus(chosen.status))
    else:  # the work: closed cases only when asked for ("Status: Abgeschlossen")
        query = query.where(Application.case_status != CaseStatus.CLOSED)
    if chosen.form:
        query = query.where(Application.form_key == chosen.form)
    if chosen.since:
        query = query.where(
            Application.submitted_at >= dt.datetime.combine(chosen.since, dt.time.min, dt.UTC)
        )
    if chosen.until:
        upper = dt.datetime.combine(chosen.until + dt.timedelta(days=1), dt.time.min, dt.UTC)
        query = query.where(Application.submitted_at < upper)
    if chosen.overdue:
        limit = (now or utcnow()) - OVERDUE_AFTER
        query = query.where(
            Application.case_status.in_(
                [CaseStatus.RECEIVED, CaseStatus.IN_PROGRESS, CaseStatus.QUERY]
            ),
            Application.status_changed_at < limit,
        )
    if chosen.mine:
        query = query.where(Application.assigned_to_id == staff.id)
    return list(db.session.scalars(query.order_by(Application.submitted_at).limit(500)))


def case(staff: StaffAccount, public_id: str, *roles: StaffRole) -> Application:
    """The case, if ``staff`` holds one of ``roles`` (default: a reading role) for its office;
    404 otherwise. Writing views pass ``CASE_WORK``."""
    found: Application | None = db.session.scalars(
        visible_cases(staff, *roles).where(Application.public_id == public_id)
    ).first()
    if found is None:
        abort(404)
    return found


def may_work(staff: StaffAccount, application: Application) -> bool:
    """Whether ``staff`` may decide the case: Sachbearbeitung or Amtsleitung of its office."""
    return may(staff, application.office_id, *CASE_WORK)


def audit(
    staff: StaffAccount | None,
    action: str,
    application: Application | None = None,
    *,
    client_id: int | None = None,
    **detail: str,
) -> None:
    """Note who on the office's side (a member of staff or, with ``client_id``, a Fachverfahren
    through the office API) did what with which case."""
    db.session.add(
        AuditEntry(
            staff_id=staff.id if staff is not None else None,
            client_id=client_id,
            action=action,
            application_id=application.id if application is not None else None,
            detail=detail,
        )
    )


def record_change(application: Application, kind: ChangeKind) -> CaseChange | None:
    """Add to the feed the office's systems read (office API cursor, webhook events). A
    Testantrag is not the office's business: it never enters the feed."""
    if application.test:
        return None
    change = CaseChange(application_id=application.id, office_id=application.office_id, kind=kind)
    db.session.add(change)
    db.session.flush()
    emit(case_changed, change=change)
    return change


def change_status(
    staff: StaffAccount | None, application: Application, status: CaseStatus, note: str
) -> None:
    """Move the case along ``CASE_FLOW`` (``ValueError`` for a step it does not allow); the note
    is shown to the applicant. ``staff`` is ``None`` when the office's Fachverfahren did it."""
    current = application.case_status or CaseStatus.RECEIVED
    if status not in CASE_FLOW[current]:
        raise ValueError(status)
    application.case_status = status
    application.status_changed_at = utcnow()
    db.session.add(
        CaseEvent(
            application_id=application.id,
            staff_id=staff.id if staff is not None else None,
            kind="status",
            status=status.value,
            text=note.strip(),
            visible_to_applicant=True,
        )
    )
    record_change(application, ChangeKind.STATUS)


def assign(staff: StaffAccount, application: Application, clerk: StaffAccount | None) -> None:
    application.assigned_to_id = clerk.id if clerk else None
    db.session.add(
        CaseEvent(
            application_id=application.id,
            staff_id=staff.id,
            kind="assignment",
            text=(clerk.name or clerk.email) if clerk else "",
            visible_to_applicant=False,
        )
    )


def clerks_for(application: Application) -> list[StaffAccount]:
    """Staff who may work on the case: Sachbearbeitung or Amtsleitung of its office."""
    return list(
        db.session.scalars(
            select(StaffAccount)
            .join(StaffAssignment, StaffAssignment.staff_id == StaffAccount.id)
            .where(
                StaffAccount.active.is_(True),
                StaffAssignment.office_id == application.office_id,
                StaffAssignment.role.in_(CASE_WORK),
            )
            .distinct()
            .order_by(StaffAccount.name, StaffAccount.email)
        )
    )


def history(application: Application, *, for_applicant: bool) -> list[CaseEvent]:
    query = select(CaseEvent).where(CaseEvent.application_id == application.id)
    if for_applicant:
        query = query.where(CaseEvent.visible_to_applicant.is_(True))
    return list(db.session.scalars(query.order_by(CaseEvent.id)))
