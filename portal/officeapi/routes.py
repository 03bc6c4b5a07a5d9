"""``/api/office/v1``: the office API. Every view names its scope; a case of an office the
client does not serve is a 404, as in the back office."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Blueprint, abort, current_app, g, jsonify, request
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from portal.applications import cases as cases_service
from portal.applications import receipt
from portal.applications import services as applications
from portal.applications.models import (
    Application,
    ApplicationStatus,
    CaseChange,
    CaseEvent,
    CaseStatus,
)
from portal.core.db import utcnow
from portal.core.downloads import attachment as send_file
from portal.core.storage import StoredFileMissingError, file_store
from portal.core.urls import MAX_ID
from portal.extensions import csrf, db, limiter
from portal.handoff.package import build
from portal.identity import clients
from portal.officeapi import shapes
from portal.officeapi.auth import current_client, require, server
from portal.officeapi.calls import Answer, ProblemError, audit_call, decoded_file, idempotent
from portal.officeapi.calls import json_body as checked_body
from portal.officeapi.models import Acknowledgement
from portal.officeapi.openapi import openapi_document
from portal.postfach import casework
from portal.postfach import services as postfach
from portal.postfach.models import Message

bp = Blueprint("officeapi", __name__, url_prefix="/api/office/v1")
csrf.exempt(bp)
bp.after_request(audit_call)


@bp.after_request
def never_stored(response: Response) -> Response:
    """Cases and tokens are personal data: no cache along the way keeps them."""
    response.headers["Cache-Control"] = "no-store"
    return response


def _caller() -> str:
    """Rate limits count per machine client that the bearer token belongs to, whatever the
    spelling of the header (``bearer``, ``BEARER``) or how many tokens it fetched; per address
    while there is no valid token."""
    scheme, _, value = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        found = clients.token_for(value.strip())
        if found is not None:
            return f"client:{found.client_id}"
    return f"ip:{request.remote_addr}"


limiter.limit(lambda: current_app.config["PORTAL"].office_api_rate_limit, key_func=_caller)(bp)


def _case(public_id: str) -> Application:
    """The submitted case, if it belongs to one of the client's offices; 404 otherwise."""
    client = current_client()
    found: Application | None = db.session.scalar(
        select(Application).where(
            Application.public_id == public_id,
            Application.status == ApplicationStatus.SUBMITTED,
            Application.office_id.in_(client.office_ids),
            Application.test.is_(False),  # the Baukasten's Testanträge reach only the test target
        )
    )
    if found is None:
        abort(404, "Diesen Vorgang gibt es nicht oder er gehört zu keinem Ihrer Ämter.")
    g.api_case = found
    return found


def _live_case(public_id: str) -> Application:
    found = _case(public_id)
    if found.erased_at is not None:
        abort(410, "Die Aufbewahrungsfrist ist abgelaufen; Angaben und Dateien sind gelöscht.")
    return found


def _summary_of(application: Application) -> dict[str, Any]:
    acknowledged = shapes.acknowledged(current_client(), [application.id]).get(application.id)
    return shapes.summary(application, shapes.last_change(application), acknowledged)


@bp.post("/token")
@limiter.limit(lambda: current_app.config["PORTAL"].login_rate_limit)
def token() -> Response:
    """OAuth 2.0 token endpoint (client_credentials, client_secret_basic or _post)."""
    answer: Response = server.create_token_response()
    return answer


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_document())


CURSOR = re.compile(r"[0-9]{1,10}")  # the OpenAPI document's pattern, ASCII digits only


def _cursor(raw: str) -> int:
    if raw and not CURSOR.fullmatch(raw):  # "+5", " 5" or "٥" are what int() takes, not we
        raise ProblemError(
            400, "Ungültiger Cursor", "„cursor“ ist keine Zahl aus 1 bis 10 Ziffern."
        )
    value = int(raw or "0")
    if value > MAX_ID:
        raise ProblemError(400, "Ungültiger Cursor", "„cursor“ ist größer als jede Änderung.")
    return value


def _since(raw: str) -> dt.datetime | None:
    if not raw:
        return None
    try:
        moment = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise ProblemError(
            400, "Ungültiger Zeitpunkt", "„since“ ist kein Zeitpunkt nach ISO 8601."
        ) from None
    if not 1900 <= moment.year <= 9000:  # far from datetime's limits, where offsets overflow
        raise ProblemError(400, "Ungültiger Zeitpunkt", "„since“ liegt außerhalb 1900 bis 9000.")
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _limit(raw: str) -> int:
    try:
        value = int(raw or "50")
    except ValueError:
        raise ProblemError(400, "Ungültiges Limit", "„limit“ ist keine Zahl.") from None
    if not 1 <= value <= 200:
        raise ProblemError(400, "Ungültiges Limit", "„limit“ liegt nicht zwischen 1 und 200.")
    return value


@bp.get("/cases")
@require("cases:read")
def list_cases() -> Response:
    """Cases of the client's offices in the order of their latest change after the cursor."""
    try:
        after = _cursor(request.args.get("cursor", ""))
        since = _since(request.args.get("since", ""))
        limit = _limit(request.args.get("limit", ""))
    except ProblemError as refused:
        return refused.response
    client = current_client()
    latest = func.max(CaseChange.id).label("latest")
    query = (
        select(CaseChange.application_id, latest)
        .where(CaseChange.office_id.in_(client.office_ids), CaseChange.id > after)
        .group_by(CaseChange.application_id)
    )
    if since is not None:
        query = query.where(CaseChange.created_at >= since)
    rows = db.session.execute(query.order_by(latest).limit(limit)).all()
    changes = {
        change.id: change
        for change in db.session.scalars(
            select(CaseChange).where(CaseChange.id.in_([row.latest for row in rows]))
        )
    }
    found = {
        item.id: item
        for item in db.session.scalars(
            select(Application).where(Application.id.in_([row[0] for row in rows]))
        )
    }
    acknowledged = shapes.acknowledged(client, list(found))
    items = [
        shapes.summary(found[row[0]], changes[row.latest], acknowledged.get(row[0])) for row in rows
    ]
    next_cursor = str(rows[-1].latest) if len(rows) == limit else None
    return jsonify({"items": items, "nextCursor": next_cursor})


@bp.get("/cases/<public_id>")
@require("cases:read")
def get_case(public_id: str) -> Response:
    """The case as the hand-off package has it, with its Postfach thread and history."""
    application = _live_case(public_id)
    package = build(application, f"{application.reference}-api")
    thread = postfach.existing_thread(application)
    messages = []
    if thread is not None:
        messages = [shapes.message(m, thread, application) for m in thread.messages]
        postfach.mark_read(thread, by_office=True)  # the applicant sees "gelesen"
    attachments = [
        {
            "id": item.attachment_id,
            "filename": item.filename,
            "mimeType": item.mime_type,
            "purpose": item.purpose,
            "size": len(item.content),
            "href": shapes.file_href(application, item.attachment_id),
        }
        for item in package.attachments
    ]
    history = [
        {
            "at": shapes.time(event.created_at),
            "kind": event.kind,
            "status": event.status,
            "note": event.text if event.visible_to_applicant else "",
        }
        for event in cases_service.history(application, for_applicant=True)
    ]
    return jsonify(
        {
            **_summary_of(application),
            "metadata": package.metadata,
            "data": json.loads(package.data),
            "attachments": attachments,
            "messages": messages,
            "history": history,
            "decision": shapes.decision(application),
        }
    )


@bp.get("/cases/<public_id>/files/<file_id>")
@require("cases:read")
def get_file(public_id: str, file_id: str) -> Response:
    """The receipt ("receipt"), an uploaded file or a Postfach attachment of the case."""
    application = _live_case(public_id)
    if file_id == "receipt":
        definition = applications.definition_for(application)
        content = receipt.render(application, definition)
        return send_file(content, f"quittung-{application.reference}.pdf", "application/pdf")
    uploaded = next((f for f in application.files if f.public_id == file_id), None)
    if uploaded is not None:
        key, name, kind = uploaded.storage_key, uploaded.filename, uploaded.content_type
    else:
        thread = postfach.existing_thread(application)
        item = next(
            (a for m in (thread.messages if thread else []) for a in m.attachments
             if a.public_id == file_id),
            None,
        )  # fmt: skip
        if item is None:
            abort(404, "Diese Datei gehört nicht zu diesem Vorgang.")
        key, name, kind = item.storage_key, item.filename, item.content_type
    try:
        data = file_store().get(key)
    except StoredFileMissingError:
        abort(404, "Die Datei ist nicht mehr gespeichert.")
    return send_file(data, name, kind)


@bp.post("/cases/<public_id>/acknowledgement")
@require("cases:read")
@idempotent
def acknowledge(public_id: str) -> Answer:
    application = _case(public_id)
    client = current_client()
    found = db.session.scalar(
        select(Acknowledgement).where(
            Acknowledgement.client_id == client.id,
            Acknowledgement.application_id == application.id,
        )
    )
    if found is None:
        found = Acknowledgement(
            client_id=client.id, application_id=application.id, acknowledged_at=utcnow()
        )
        db.session.add(found)
        # the clerks see in the case's history that the Fachverfahren has it
        db.session.add(
            CaseEvent(
                application_id=application.id,
                kind="fachverfahren",
                text=client.name,
                visible_to_applicant=False,
            )
        )
        db.session.flush()
    return {"acknowledgedAt": found.acknowledged_at.isoformat()}, 200


@contextmanager
def casework_problems() -> Iterator[None]:
    """A refusal of the case's rules becomes problem details: the workflow (a wrong step, an
    applicant who cannot be reached) a 409, anything about the input a 422."""
    try:
        yield
    except casework.CaseworkRefusedError as refused:
        status = 409 if refused.field == "status" else 422
        raise ProblemError(
            status,
            "Nicht möglich" if status == 409 else "Ungültige Angaben",
            refused.reason,
            errors=[{"field": refused.field, "detail": refused.reason}],
        ) from None


@bp.post("/cases/<public_id>/status")
@require("cases:write")
@idempotent
def set_status(public_id: str) -> Answer:
    application = _live_case(public_id)
    body = checked_body("StatusChange")
    with casework_problems():
        casework.set_status(application, CaseStatus(body["status"]), body.get("note", ""))
    return _summary_of(application), 200


def _thread_message(application: Application, message: Message) -> dict[str, Any]:
    return shapes.message(message, message.thread, application)


@bp.post("/cases/<public_id>/queries")
@require("cases:write")
@idempotent
def ask(public_id: str) -> Answer:
    """Rückfrage: the case waits for the applicant, who answers in the Postfach with files."""
    application = _live_case(public_id)
    body = checked_body("Query")
    with casework_problems():
        casework.set_status(application, CaseStatus.QUERY, body["text"])
    thread = postfach.thread_for_application(application)
    return _thread_message(application, thread.messages[-1]), 201


@bp.post("/cases/<public_id>/messages")
@require("messages:write")
@idempotent
def send_message(public_id: str) -> Answer:
    application = _live_case(public_id)
    body = checked_body("NewMessage")
    files = []
    for number, item in enumerate(body.get("attachments", [])):
        checked = decoded_file(item, f"attachments.{number}", postfach.ATTACHMENT_TYPES)
        files.append((item["filename"], checked.content_type, checked.data))
    with casework_problems():
        message = casework.write(application, body["text"], files)
    return _thread_message(application, message), 201


@bp.get("/cases/<public_id>/decision")
@require("cases:read")
def get_decision(public_id: str) -> Response:
    application = _case(public_id)
    state = shapes.decision(application)
    if state is None:
        abort(404, "Für diesen Vorgang wurde noch kein Bescheid zugestellt.")
    return jsonify(state)


@bp.post("/cases/<public_id>/decision")
@require("cases:write")
@idempotent
def issue_decision(public_id: str) -> Answer:
    """The Bescheid as the office signed it (PDF), delivered to the applicant's Postfach."""
    application = _live_case(public_id)
    body = checked_body("Decision")
    with casework_problems():  # refused before the PDF is decoded and scanned
        if refusal := casework.decision_refused(application):
            raise casework.CaseworkRefusedError("status", refusal)
    checked = decoded_file(body["document"], "document", ("application/pdf",))
    with casework_problems():
        casework.deliver_decision(application, body["text"], checked.data)
    state = shapes.decision(application)
    return state or {}, 201
