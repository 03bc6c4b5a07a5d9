"""The JSON shapes of the office API: a case in the feed, its messages, its Bescheid."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import request
from sqlalchemy import select

from portal.applications.models import Application, CaseChange, CaseStatus
from portal.extensions import db
from portal.identity.clients import ApiClient
from portal.officeapi.models import Acknowledgement
from portal.postfach import services as postfach
from portal.postfach.decisions import deemed_delivered_on, issued_decision
from portal.postfach.models import Message, Thread


def time(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def acknowledged(client: ApiClient, application_ids: list[int]) -> dict[int, dt.datetime]:
    rows = db.session.execute(
        select(Acknowledgement.application_id, Acknowledgement.acknowledged_at).where(
            Acknowledgement.client_id == client.id,
            Acknowledgement.application_id.in_(application_ids),
        )
    )
    return {row[0]: row[1] for row in rows}


def summary(
    application: Application, change: CaseChange | None, acknowledged: dt.datetime | None
) -> dict[str, Any]:
    return {
        "id": application.public_id,
        "reference": application.reference,
        "title": application.title,
        "form": {"key": application.form_key, "version": application.form_version},
        "officeId": application.office_id,
        "status": (application.case_status or CaseStatus.RECEIVED).value,
        "submittedAt": time(application.submitted_at),
        "statusChangedAt": time(application.status_changed_at),
        "acknowledgedAt": time(acknowledged),
        "erased": application.erased_at is not None,
        "changeId": change.id if change is not None else 0,
        "lastChange": change.kind.value if change is not None else "",
    }


def last_change(application: Application) -> CaseChange | None:
    found: CaseChange | None = db.session.scalar(
        select(CaseChange)
        .where(CaseChange.application_id == application.id)
        .order_by(CaseChange.id.desc())
        .limit(1)
    )
    return found


def file_href(application: Application, file_id: str) -> str:
    return f"{request.script_root}/api/office/v1/cases/{application.public_id}/files/{file_id}"


def message(message: Message, thread: Thread, application: Application) -> dict[str, Any]:
    return {
        "id": message.public_id,
        "fromOffice": message.from_office,
        "kind": message.kind,
        "createdAt": time(message.created_at),
        "readAt": time(message.read_at),
        "text": postfach.shown_text(message, thread),
        "attachments": [
            {
                "id": item.public_id,
                "filename": item.filename,
                "mimeType": item.content_type,
                "size": item.size,
                "sha256": item.sha256,
                "href": file_href(application, item.public_id),
                "retrievedAt": time(item.retrieved_at),
            }
            for item in message.attachments
        ],
    }


def decision(application: Application) -> dict[str, Any] | None:
    issued = issued_decision(application)
    if issued is None:
        return None
    _thread, item = issued
    return {
        "messageId": item.message.public_id,
        "attachmentId": item.public_id,
        "filename": item.filename,
        "issuedAt": time(item.message.created_at),
        "retrievedAt": time(item.retrieved_at),
        "deemedDeliveredOn": deemed_delivered_on(item.retrieved_at).isoformat()
        if item.retrieved_at
        else None,
    }
