"""Bad input is answered with problem details and changes nothing; a repeated idempotency key
has one effect; the case feed pages with a cursor."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate
from sqlalchemy import func, select
from sqlalchemy.orm import Session, scoped_session

from portal.applications.models import Application, CaseStatus
from portal.catalog.models import Office
from portal.extensions import db
from portal.officeapi.models import IdempotentAnswer
from portal.officeapi.openapi import openapi_document
from portal.postfach.models import Message
from tests.factories import make_application, make_form, make_person
from tests.officeapi.support import BASE, build_world, call, conforms, pdf_b64, token


def test_the_openapi_document_is_valid(client: FlaskClient) -> None:
    served = client.get(f"{BASE}/openapi.json").get_json()
    validate(served)
    assert served == openapi_document()


def _messages() -> int:
    db.session.expire_all()
    return int(db.session.scalar(select(func.count()).select_from(Message)) or 0)


BAD: dict[str, tuple[str, Callable[[FlaskClient, str, str], Any], int, str]] = {
    "malformed JSON": (
        "/messages",
        lambda c, path, bearer: c.post(
            BASE + path,
            data=b'{"text": "x"',
            content_type="application/json",
            headers={"Authorization": f"Bearer {bearer}", "Idempotency-Key": "k1"},
        ),
        400,
        "kein JSON",
    ),
    "JSON nested 100,000 levels deep": (
        "/messages",
        lambda c, path, bearer: c.post(
            BASE + path,
            data=b"[" * 100_000 + b"]" * 100_000,
            content_type="application/json",
            headers={"Authorization": f"Bearer {bearer}", "Idempotency-Key": "k4"},
        ),
        400,
        "zu tief verschachtelt",
    ),
    "a lone surrogate in the text": (
        "/messages",
        lambda c, path, bearer: c.post(
            BASE + path,
            data=b'{"text": "Guten Tag \\ud800"}',
            content_type="application/json",
            headers={"Authorization": f"Bearer {bearer}", "Idempotency-Key": "k5"},
        ),
        400,
        "Steuerzeichen",
    ),
    "a NUL in the text": (
        "/messages",
        lambda c, path, bearer: call(c, "POST", path, bearer, {"text": "Guten\u0000Tag"}),
        400,
        "Steuerzeichen",
    ),
    "bytes that are not UTF-8": (
        "/messages",
        lambda c, path, bearer: c.post(
            BASE + path,
            data=b'{"text": "Gr\xfc\xdfe"}',
            content_type="application/json",
            headers={"Authorization": f"Bearer {bearer}", "Idempotency-Key": "k6"},
        ),
        400,
        "UTF-8",
    ),
    "not JSON at all": (
        "/messages",
        lambda c, path, bearer: c.post(
            BASE + path,
            data="text=x",
            content_type="application/x-www-form-urlencoded",
            headers={"Authorization": f"Bearer {bearer}", "Idempotency-Key": "k2"},
        ),
        415,
        "JSON",
    ),
    "huge body": (
        "/messages",
        lambda c, path, bearer: c.post(
            BASE + path,
            data=b'{"text": "' + b"x" * (15 * 1024 * 1024) + b'"}',
            content_type="application/json",
            headers={"Authorization": f"Bearer {bearer}", "Idempotency-Key": "k3"},
        ),
        413,
        "zu groß",
    ),
    "unknown status": (
        "/status",
        lambda c, path, bearer: call(c, "POST", path, bearer, {"status": "erledigt"}),
        422,
        "„status“ hat keinen erlaubten Wert",
    ),
    "illegal transition": (
        "/status",
        lambda c, path, bearer: call(c, "POST", path, bearer, {"status": "abgeschlossen"}),
        409,
        "nicht möglich",
    ),
    "missing field": (
        "/messages",
        lambda c, path, bearer: call(c, "POST", path, bearer, {"txt": "x"}),
        422,
        "„text“ fehlt",
    ),
    "a list instead of an object": (
        "/messages",
        lambda c, path, bearer: call(c, "POST", path, bearer, ["text"]),
        422,
        "Typ",
    ),
    "no idempotency key": (
        "/messages",
        lambda c, path, bearer: call(c, "POST", path, bearer, {"text": "x"}, key=None),
        400,
        "Idempotency-Key",
    ),
    "attachment not base64": (
        "/messages",
        lambda c, path, bearer: call(
            c, "POST", path, bearer,
            {"text": "x", "attachments": [{"filename": "a.pdf", "content": "%%%"}]},
        ),
        422,
        "„attachments.0.content“ ist kein Base64",
    ),
    "attachment of a refused type": (
        "/messages",
        lambda c, path, bearer: call(
            c, "POST", path, bearer,
            {"text": "x", "attachments": [
                {"filename": "a.pdf", "content": base64.b64encode(b"MZ\x90\x00exe").decode()}
            ]},
        ),
        422,
        "kein erlaubtes Format",
    ),
    "a Bescheid that is no PDF": (
        "/decision",
        lambda c, path, bearer: call(
            c, "POST", path, bearer,
            {"text": "x", "document": {"filename": "b.pdf",
                                       "content": base64.b64encode(b"\x89PNG\r\n\x1a\n").decode()}},
        ),
        422,
        "kein erlaubtes Format",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_a_problem_and_changes_nothing(
    app: Flask, client: FlaskClient, db_session: scoped_session[Session], case: str
) -> None:
    world = build_world(app, case_status=CaseStatus.IN_PROGRESS)
    suffix, send, expected, words = BAD[case]
    before = _messages()
    answer = send(client, f"/cases/{world.case_a}{suffix}", token(client, world, world.full_a))
    assert answer.status_code == expected, answer.get_data(as_text=True)[:300]
    assert answer.content_type == "application/problem+json"
    assert answer.headers["Cache-Control"] == "no-store"
    problem = conforms(answer.get_json(), "Problem")
    assert problem["status"] == expected
    assert words in f"{problem['title']} {problem.get('detail', '')}"
    assert _messages() == before
    db.session.expire_all()
    found = db.session.scalar(select(Application).filter_by(public_id=world.case_a))
    assert found is not None
    assert found.case_status == CaseStatus.IN_PROGRESS


def test_unknown_routes_and_methods_are_problems_too(client: FlaskClient) -> None:
    missing = client.get(f"{BASE}/gibt-es-nicht")
    assert missing.status_code == 404
    assert missing.content_type == "application/problem+json"
    wrong = client.delete(f"{BASE}/cases")
    assert wrong.status_code == 405
    assert wrong.get_json()["title"]


def test_a_repeated_key_has_one_effect_and_the_same_answer(
    app: Flask, client: FlaskClient, db_session: scoped_session[Session]
) -> None:
    world = build_world(app)
    bearer = token(client, world, world.full_a)
    path = f"/cases/{world.case_a}/messages"
    body = {"text": "Bitte bringen Sie den Ausweis mit.",
            "attachments": [{"filename": "hinweis.pdf", "content": pdf_b64()}]}  # fmt: skip
    before = _messages()
    first = call(client, "POST", path, bearer, body, key="nachricht-1")
    second = call(client, "POST", path, bearer, body, key="nachricht-1")
    assert first.status_code == second.status_code == 201
    assert first.get_json() == second.get_json()
    assert first.headers["Cache-Control"] == "no-store"
    assert second.headers["Idempotent-Replayed"] == "true"
    assert _messages() == before + 1
    other = call(client, "POST", path, bearer, {"text": "Etwas anderes"}, key="nachricht-1")
    assert other.status_code == 422
    assert "anderen Anfrage" in other.get_json()["detail"]
    assert _messages() == before + 1
    # another client may use the same key for its own request
    assert db.session.scalar(select(func.count()).select_from(IdempotentAnswer)) == 1


def test_the_feed_pages_with_a_cursor_and_a_change_moves_a_case_to_the_end(
    app: Flask, client: FlaskClient, db_session: scoped_session[Session]
) -> None:
    world = build_world(app)
    with app.test_request_context("/"):
        form = make_form(db.session.get(Office, world.office_a))
        later = [make_application(form, make_person()).public_id for _ in range(2)]
        db.session.commit()
    bearer = token(client, world, world.reader_a)
    page = call(client, "GET", "/cases?limit=2", bearer).get_json()
    assert [item["id"] for item in page["items"]] == [world.case_a, later[0]]
    assert page["nextCursor"]
    rest = call(client, "GET", f"/cases?limit=2&cursor={page['nextCursor']}", bearer).get_json()
    assert [item["id"] for item in rest["items"]] == [later[1]]
    assert rest["nextCursor"] is None
    # the office works on the first case: it comes again after the cursor, as changed
    writer = token(client, world, world.full_a)
    moved = call(client, "POST", f"/cases/{world.case_a}/status", writer,
                 {"status": "in_bearbeitung", "note": "Wir prüfen Ihren Antrag."})  # fmt: skip
    assert moved.status_code == 200
    after = call(client, "GET", f"/cases?cursor={page['nextCursor']}", bearer).get_json()
    assert [(i["id"], i["lastChange"]) for i in after["items"]] == [
        (later[1], "eingang"),
        (world.case_a, "status"),
    ]
    for bad in ("cursor=abc", "limit=0", "limit=201", "since=gestern"):
        refused = call(client, "GET", f"/cases?{bad}", bearer)
        assert refused.status_code == 400, bad
        assert refused.content_type == "application/problem+json"
    future = call(client, "GET", "/cases?since=2999-01-01T00:00:00Z", bearer).get_json()
    assert future["items"] == []
