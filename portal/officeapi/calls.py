"""What every office API call goes through: the body check, idempotency keys and the audit.

A write needs an ``Idempotency-Key``. Its answer is kept with a fingerprint of the request; a
repeat gets the same answer and has no second effect, the same key for a different request is
refused (422), and a repeat while the first is still running waits for it (PostgreSQL's unique
index) or is told to try again (409). Bodies are JSON, at most the upload limit plus base64,
and checked against the OpenAPI schema; every refusal names the field in German.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import io
from collections.abc import Callable
from typing import Any

from flask import current_app, g, jsonify, request
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from portal.applications import uploads
from portal.applications.models import Application, AuditEntry
from portal.core import textrules
from portal.core.errors import problem
from portal.extensions import db
from portal.officeapi.models import IdempotentAnswer
from portal.officeapi.openapi import REQUESTS

Answer = tuple[dict[str, Any], int]
VALIDATORS = {name: Draft202012Validator(schema) for name, schema in REQUESTS.items()}


class ProblemError(Exception):
    """Raised inside a view: answer with this problem (and change nothing)."""

    def __init__(self, status: int, title: str, detail: str = "", **extra: object) -> None:
        super().__init__(title)
        self.response = problem(status, title, detail, **extra)


def body_limit() -> int:
    """Base64 makes files a third larger; five attachments at most, plus the text."""
    largest: int = current_app.config["PORTAL"].upload_max_bytes
    return largest * 4 // 3 + 256 * 1024


def _field(error: ValidationError) -> str:
    path = [str(part) for part in error.absolute_path]
    if error.validator == "required":
        missing = str(error.message).split("'")[1] if "'" in error.message else ""
        path.append(missing)
    if error.validator == "additionalProperties":
        extra = str(error.message).split("'")[1] if "'" in error.message else ""
        path.append(extra)
    return ".".join(path) or "(Inhalt)"


GERMAN = {
    "required": "fehlt",
    "type": "hat den falschen Typ",
    "enum": "hat keinen erlaubten Wert",
    "maxLength": "ist zu lang",
    "minLength": "ist leer",
    "maxItems": "hat zu viele Einträge",
    "additionalProperties": "ist unbekannt",
}


def json_body(schema: str) -> dict[str, Any]:
    """The request's JSON, checked against ``schema``; raises ``ProblemError`` otherwise."""
    if (request.content_length or 0) > body_limit():
        raise ProblemError(413, "Anfrage zu groß", f"Höchstens {body_limit()} Bytes.")
    if not request.is_json:
        raise ProblemError(
            415, "Falsches Format", "Bitte senden Sie JSON (Content-Type: application/json)."
        )
    raw = request.get_data(cache=True)
    if len(raw) > body_limit():
        raise ProblemError(413, "Anfrage zu groß", f"Höchstens {body_limit()} Bytes.")
    try:
        data = textrules.loads(raw)
    except ValueError:  # UnicodeDecodeError too
        raise ProblemError(
            400,
            "Kein gültiges JSON",
            "Der Inhalt ist kein JSON in UTF-8, enthält Steuerzeichen oder ist zu tief "
            f"verschachtelt (höchstens {textrules.MAX_JSON_DEPTH} Ebenen).",
        ) from None
    errors = sorted(VALIDATORS[schema].iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        listed = [
            {"field": _field(e), "detail": GERMAN.get(str(e.validator), "ist nicht gültig")}
            for e in errors
        ]
        detail = "; ".join(f"„{item['field']}“ {item['detail']}" for item in listed)
        raise ProblemError(422, "Ungültige Angaben", detail, errors=listed)
    if not isinstance(data, dict):
        raise ProblemError(422, "Ungültige Angaben", "Erwartet wird ein JSON-Objekt.")
    return data


def decoded_file(item: dict[str, Any], field: str, accept: tuple[str, ...]) -> uploads.CheckedFile:
    """A base64 file of the body, checked like an upload (type by content, size, virus scan)."""
    try:
        raw = base64.b64decode(str(item["content"]), validate=True)
    except (binascii.Error, ValueError):
        raise ProblemError(
            422,
            "Ungültige Angaben",
            f"„{field}.content“ ist kein Base64.",
            errors=[{"field": f"{field}.content", "detail": "ist kein Base64"}],
        ) from None
    try:
        return uploads.check_upload(io.BytesIO(raw), accept)
    except uploads.UploadRefusedError as refused:
        raise ProblemError(
            422,
            "Datei abgelehnt",
            f"„{field}“: {refused}",
            errors=[{"field": field, "detail": str(refused)}],
        ) from None


def _fingerprint() -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def idempotent(view: Callable[..., Answer]) -> Callable[..., Response]:
    """For every write: answer a repeated ``Idempotency-Key`` from the record (see module)."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Response:
        key = (request.headers.get("Idempotency-Key") or "").strip()
        if not key or len(key) > 200:
            return problem(
                400,
                "Idempotency-Key fehlt",
                "Jede schreibende Anfrage braucht den Kopf Idempotency-Key (1–200 Zeichen).",
            )
        client_id = g.api_client.id
        fingerprint = _fingerprint()
        kept = db.session.scalar(
            select(IdempotentAnswer).where(
                IdempotentAnswer.client_id == client_id, IdempotentAnswer.key == key
            )
        )
        if kept is not None:
            if kept.fingerprint != fingerprint:
                return problem(
                    422,
                    "Idempotency-Key schon benutzt",
                    "Dieser Schlüssel gehört zu einer anderen Anfrage.",
                )
            answer = _json(kept.body, kept.status)
            answer.headers["Idempotent-Replayed"] = "true"
            return answer
        record = IdempotentAnswer(
            client_id=client_id, key=key, fingerprint=fingerprint, status=0, body={}
        )
        try:
            with db.session.begin_nested():
                db.session.add(record)
                db.session.flush()
        except IntegrityError:
            return problem(
                409,
                "Anfrage läuft schon",
                "Eine Anfrage mit diesem Idempotency-Key wird gerade bearbeitet.",
            )
        try:
            body, status = view(*args, **kwargs)
        except ProblemError as refused:
            return refused.response
        record.status, record.body = status, body
        return _json(body, status)

    return wrapped


def _json(body: dict[str, Any], status: int) -> Response:
    response = jsonify(body)
    response.status_code = status
    return response


def audit_call(response: Response) -> Response:
    """After every call of a known client: who called what, on which case, with what result.
    A refused call's work is rolled back first; its entry is kept all the same."""
    client = g.get("api_client")
    if client is None or request.endpoint is None:
        return response
    case: Application | None = g.get("api_case")
    values = {
        "client_id": client.id,
        "action": f"api.{request.endpoint.rpartition('.')[2]}"[:40],
        "application_id": case.id if case is not None else None,
        "detail": {"status": str(response.status_code), "method": request.method},
    }
    if response.status_code >= 400:
        db.session.rollback()  # nothing of the refused call stays, but the entry does
        db.session.add(AuditEntry(**values))
        db.session.commit()
    else:
        db.session.add(AuditEntry(**values))
    return response
