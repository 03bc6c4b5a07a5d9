"""Cases in the back office: the queue of an office, one case, status changes, assignment.

Staff see the cases of the offices they hold a role for (administrators: all). Anything else
is a 404, never a hint that the case exists. Every case view and download is audited.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import abort
from sqlalchemy import Select, select

from portal.applications.models import CASE_FLOW, Application, ApplicationStatus, CaseStatus
from portal.backoffice.models import AuditEntry, CaseEvent
from portal.catalog.models import Office
from portal.core.db import utcnow
from portal.extensions import db
from portal.identity.models import StaffAccount, StaffRole

OVERDUE_AFTER = dt.timedelta(days=14)


@dataclass(frozen=True)
class QueueFilter:
    status: str = ""
    form: str = ""
    since: dt.date | None = None
    until: dt.date | None = None
    overdue: bool = False
    mine: bool = False


def office_slugs(staff: StaffAccount) -> set[str] | None:
    """The offices whose cases ``staff`` may see; ``None``: all (administration)."""
    if staff.has_role(StaffRole.ADMINISTRATION):
        return None
    ids = {item.office_id for item in staff.roles if item.office_id is not None}
    return set(db.session.scalars(select(Office.slug).where(Office.id.in_(ids))))


def _visible(staff: StaffAccount) -> Select[Any]:
    query = select(Application).where(Application.status == ApplicationStatus.SUBMITTED)
    slugs = office_slugs(staff)
    if slugs is not None:
        query = query.where(Application.office.in_(slugs))
    return query


def queue(
    staff: StaffAccount, chosen: QueueFilter, now: dt.datetime | None = None
) -> list[Application]:
    query = _visible(staff)
    if chosen.status:
        query = query.where(Application.case_status == CaseStatus(chosen.status))
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


def case(staff: StaffAccount, public_id: str) -> Application:
    found: Application | None = db.session.scalars(
        _visible(staff).where(Application.public_id == public_id)
    ).first()
    if found is None:
        abort(404)
    return found


def audit(staff: StaffAccount, action: str, application: Application, **detail: str) -> None:
    db.session.add(
        AuditEntry(staff_id=staff.id, action=action, application_id=application.id, detail=detail)
    )


def change_status(
    staff: StaffAccount, application: Application, status: CaseStatus, note: str
) -> None:
    current = application.case_status or CaseStatus.RECEIVED
    if status not in CASE_FLOW[current]:
        raise ValueError(status)
    application.case_status = status
    application.status_changed_at = utcnow()
    db.session.add(
        CaseEvent(
            application_id=application.id,
            staff_id=staff.id,
            kind="status",
            status=status.value,
            text=note.strip(),
            visible_to_applicant=True,
        )
    )


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
    """Staff who may work on the case: a role for its office."""
    office_id = db.session.scalar(select(Office.id).where(Office.slug == application.office))
    staff = db.session.scalars(select(StaffAccount).where(StaffAccount.active.is_(True)))
    return [
        person
        for person in staff
        if any(
            item.office_id == office_id
            and item.role in (StaffRole.SACHBEARBEITUNG, StaffRole.AMTSLEITUNG)
            for item in person.roles
        )
    ]


def history(application: Application, *, for_applicant: bool) -> list[CaseEvent]:
    query = select(CaseEvent).where(CaseEvent.application_id == application.id)
    if for_applicant:
        query = query.where(CaseEvent.visible_to_applicant.is_(True))
    return list(db.session.scalars(query.order_by(CaseEvent.id)))
