"""Events back to the office's webhook: the applicant wrote, sent documents, opened the Bescheid.

A Fachverfahren that took a case by webhook hears of what happens to it afterwards without
polling the office API. Each event is a ``Notice`` row written in the transaction of the
change, delivered after the commit and retried like a package (same lease, back-off, give-up
alert); its idempotency key lets the receiver drop a repeat.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from portal.applications.models import Application, CaseChange, ChangeKind
from portal.core.db import utcnow
from portal.core.jobs import enqueue
from portal.core.urls import base_url
from portal.extensions import db
from portal.handoff.models import DeliveryState, Notice, OutboxRow
from portal.handoff.services import attempt, sweep, target_for, target_named
from portal.handoff.targets import DeliveryError, WebhookTarget

log = logging.getLogger(__name__)
NOTICE_KINDS = (ChangeKind.MESSAGE, ChangeKind.DOCUMENTS, ChangeKind.RETRIEVED)


def on_change(change: CaseChange) -> None:
    """Signal receiver: a notice for the office's webhook, if the office has one."""
    if change.kind not in NOTICE_KINDS:
        return
    target = target_for(change.office_id)
    if not isinstance(target, WebhookTarget):
        return
    application = db.session.get(Application, change.application_id)
    if application is None:
        return
    notice = Notice(
        change_id=change.id,
        target=target.name,
        idempotency_key=f"{application.reference}-ereignis-{change.id}",
        state=DeliveryState.WAITING,
        next_attempt_at=utcnow(),
    )
    db.session.add(notice)
    db.session.flush()
    enqueue(deliver_notice, notice.id)


def event_of(change: CaseChange, application: Application) -> dict[str, Any]:
    return {
        "event": change.kind.value,
        "eventId": change.id,
        "occurredAt": change.created_at.isoformat(),
        "reference": application.reference,
        "caseId": application.public_id,
        # where the office API serves the case (absolute with PORTAL_BASE_URL)
        "case": f"{base_url()}/api/office/v1/cases/{application.public_id}",
    }


def _send_notice(row: OutboxRow) -> None:
    change = db.session.get(CaseChange, getattr(row, "change_id", None))
    application = db.session.get(Application, change.application_id) if change else None
    if change is None or application is None:
        raise DeliveryError("Der Vorgang ist nicht mehr da.")
    target = target_named(row.target)
    if not isinstance(target, WebhookTarget):
        raise DeliveryError(f"Ziel {row.target} ist kein Webhook mehr.")
    target.notify(event_of(change, application), row.idempotency_key)


def deliver_notice(notice_id: int, now: dt.datetime | None = None) -> bool:
    return attempt(Notice, notice_id, now or utcnow(), _send_notice)


def run_due_notices(now: dt.datetime | None = None, limit: int = 100) -> int:
    """Send the webhook events that are due."""
    return sweep(Notice, deliver_notice, now, limit)
