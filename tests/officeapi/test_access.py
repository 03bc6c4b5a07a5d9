"""Who may call what: every office API route, taken from the URL map, is tried without a token,
with an expired or revoked one, with a token lacking its scope and by a client of another
office. Each gets 401, 403 or 404 as problem details, and nothing changes. The control: the
client of the case's office gets through with the same request."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, scoped_session

from portal.applications.models import Application, AuditEntry, CaseChange, CaseEvent
from portal.extensions import db
from portal.identity.clients import ApiToken, client_by_client_id, revoke_client
from portal.officeapi.models import Acknowledgement, IdempotentAnswer
from portal.postfach.models import Message
from tests.officeapi.support import BASE, build_world, call, fetch_token, pdf_b64, token

# endpoint -> method, path (with {case}), body, the scope it needs
ROUTES: dict[str, tuple[str, str, Any, str]] = {
    "officeapi.list_cases": ("GET", "/cases", None, "cases:read"),
    "officeapi.get_case": ("GET", "/cases/{case}", None, "cases:read"),
    "officeapi.get_file": ("GET", "/cases/{case}/files/receipt", None, "cases:read"),
    "officeapi.get_decision": ("GET", "/cases/{case}/decision", None, "cases:read"),
    "officeapi.acknowledge": ("POST", "/cases/{case}/acknowledgement", None, "cases:read"),
    "officeapi.set_status": (
        "POST", "/cases/{case}/status", {"status": "in_bearbeitung"}, "cases:write",
    ),
    "officeapi.ask": ("POST", "/cases/{case}/queries", {"text": "Bitte Nachweis"}, "cases:write"),
    "officeapi.send_message": (
        "POST", "/cases/{case}/messages", {"text": "Guten Tag"}, "messages:write",
    ),
    "officeapi.issue_decision": (
        "POST",
        "/cases/{case}/decision",
        {"text": "Ihr Bescheid", "document": {"filename": "b.pdf", "content": pdf_b64()}},
        "cases:write",
    ),
}  # fmt: skip
OPEN = {"officeapi.token", "officeapi.openapi"}


def _state() -> tuple[Any, ...]:
    db.session.expire_all()
    counts = tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (CaseEvent, Message, Acknowledgement, IdempotentAnswer, CaseChange)
    )
    statuses = tuple(db.session.execute(select(Application.case_status).order_by(Application.id)))
    return counts, statuses


def test_every_route_is_in_the_matrix(app: Flask) -> None:
    routes = {rule.endpoint for rule in app.url_map.iter_rules() if rule.rule.startswith(BASE)}
    assert routes - OPEN == set(ROUTES)


def _wrong_scope(scope: str) -> str:
    return "messages:write" if scope != "messages:write" else "cases:read"


@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_refused_without_the_right_token(
    app: Flask, client: FlaskClient, db_session: scoped_session[Session], endpoint: str
) -> None:
    world = build_world(app)
    method, template, body, scope = ROUTES[endpoint]
    path = template.format(case=world.case_a)
    narrow = fetch_token(client, world.full_a, scope=_wrong_scope(scope)).get_json()
    expired = fetch_token(client, world.full_a).get_json()["access_token"]
    db.session.execute(
        ApiToken.__table__.update().values(issued_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
        .where(ApiToken.scope != narrow["scope"])
    )  # fmt: skip
    db.session.commit()
    before = _state()
    attempts = {
        "no token": (None, 401),
        "malformed token": ("kein-token", 401),
        "expired token": (expired, 401),
        "token without the scope": (narrow["access_token"], 403),
        "client of another office": (token(client, world, world.full_b), 404),
    }
    if endpoint == "officeapi.list_cases":  # a list: the other office sees its own cases only
        others = call(client, method, path, token(client, world, world.full_b)).get_json()
        assert world.case_a not in {item["id"] for item in others["items"]}
        del attempts["client of another office"]
    for name, (bearer, expected) in attempts.items():
        answer = call(client, method, path, bearer, body)
        assert answer.status_code == expected, (name, answer.get_data(as_text=True))
        assert answer.content_type == "application/problem+json", name
        assert answer.get_json()["status"] == expected
        if expected == 401:
            assert answer.headers["WWW-Authenticate"].startswith("Bearer")
        assert _state() == before, name
    # the control: the case's own office gets through
    allowed = call(client, method, path, token(client, world, world.full_a), body)
    if endpoint == "officeapi.get_decision":
        assert allowed.status_code == 404  # no Bescheid yet; it exists for the right client
        assert "noch kein Bescheid" in allowed.get_json()["detail"]
    elif endpoint in ("officeapi.issue_decision", "officeapi.ask"):
        assert allowed.status_code == 409  # the case is not in Bearbeitung yet
        assert allowed.get_json()["errors"][0]["field"] == "status"
    else:
        assert allowed.status_code in (200, 201), allowed.get_data(as_text=True)


def test_a_revoked_client_gets_no_token_and_its_tokens_stop(
    app: Flask, client: FlaskClient, db_session: scoped_session[Session]
) -> None:
    world = build_world(app)
    bearer = token(client, world, world.full_a)
    assert call(client, "GET", "/cases", bearer).status_code == 200
    with app.app_context():
        found = client_by_client_id(world.full_a.client_id)
        assert found is not None
        revoke_client(found)
        db.session.commit()
    refused = call(client, "GET", "/cases", bearer)
    assert refused.status_code == 401
    again = fetch_token(client, world.full_a)
    assert again.status_code in (400, 401)
    assert "access_token" not in again.get_json()


def test_a_wrong_secret_gets_no_token(
    app: Flask, client: FlaskClient, db_session: scoped_session[Session]
) -> None:
    world = build_world(app)
    wrong = type(world.full_a)(world.full_a.client_id, "falsch")
    answer = fetch_token(client, wrong)
    assert answer.status_code == 401
    assert answer.get_json()["error"] == "invalid_client"


def test_a_token_carries_only_the_scopes_the_client_holds(
    app: Flask, client: FlaskClient, db_session: scoped_session[Session]
) -> None:
    world = build_world(app)
    answer = fetch_token(client, world.reader_a, scope="cases:read cases:write")
    assert answer.status_code == 200
    granted = answer.get_json()
    assert granted["scope"] == "cases:read"
    assert granted["expires_in"] == 600
    assert granted["token_type"].lower() == "bearer"
    refused = call(
        client, "POST", f"/cases/{world.case_a}/status", granted["access_token"],
        {"status": "in_bearbeitung"},
    )  # fmt: skip
    assert refused.status_code == 403


def test_lists_show_only_the_clients_offices(
    app: Flask, client: FlaskClient, db_session: scoped_session[Session]
) -> None:
    world = build_world(app)
    seen = call(client, "GET", "/cases?limit=200", token(client, world, world.full_a)).get_json()
    ids = {item["id"] for item in seen["items"]}
    assert world.case_a in ids
    assert world.case_b not in ids
    assert {item["officeId"] for item in seen["items"]} == {world.office_a}


def test_every_call_of_a_client_is_audited_refused_ones_too(
    app: Flask, client: FlaskClient, db_session: scoped_session[Session]
) -> None:
    world = build_world(app)
    bearer = token(client, world, world.full_a)
    assert call(client, "GET", f"/cases/{world.case_a}/decision", bearer).status_code == 404
    assert call(client, "POST", f"/cases/{world.case_a}/acknowledgement", bearer).status_code == 200
    db.session.expire_all()
    with app.app_context():
        found = client_by_client_id(world.full_a.client_id)
        assert found is not None
        entries = list(
            db.session.execute(
                select(AuditEntry.action, AuditEntry.detail)
                .where(AuditEntry.client_id == found.id)
                .order_by(AuditEntry.id)
            )
        )
    assert [(action, detail["status"]) for action, detail in entries] == [
        ("api.get_decision", "404"),
        ("api.acknowledge", "200"),
    ]


def test_calls_beyond_the_rate_limit_are_refused(
    make_app: Callable[..., Flask], db_session: scoped_session[Session]
) -> None:
    limited = make_app(office_api_rate_limit="3 per minute")
    world = build_world(limited)
    api = limited.test_client()
    bearer = token(api, world, world.full_a)
    answers = [call(api, "GET", "/cases", bearer).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    refused = call(api, "GET", "/cases", bearer)
    assert refused.content_type == "application/problem+json"
    assert refused.get_json()["title"] == "Zu viele Anfragen"
    other = token(api, world, world.full_b)  # another client has its own budget
    assert call(api, "GET", "/cases", other).status_code == 200


def test_the_rate_limit_counts_per_client_whatever_the_header_says(
    make_app: Callable[..., Flask], db_session: scoped_session[Session]
) -> None:
    """``bearer``, ``BEARER`` or a second token of the same client share one budget; the
    refusal says when to try again."""
    limited = make_app(office_api_rate_limit="3 per minute")
    world = build_world(limited)
    api = limited.test_client()
    first = fetch_token(api, world.full_a).get_json()["access_token"]
    second = fetch_token(api, world.full_a).get_json()["access_token"]
    answers = [
        api.get(f"{BASE}/cases", headers={"Authorization": header}).status_code
        for header in (f"Bearer {first}", f"bearer {first}", f"BEARER  {second}",
                       f"bEaReR {second}")
    ]  # fmt: skip
    assert answers == [200, 200, 200, 429]
    refused = api.get(f"{BASE}/cases", headers={"Authorization": f"Bearer {first}"})
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0


def test_a_cursor_beyond_every_change_is_a_problem_not_a_server_error(
    app: Flask, client: FlaskClient, db_session: scoped_session[Session]
) -> None:
    world = build_world(app)
    bearer = token(client, world, world.full_a)
    for cursor in ("99999999999999999999", str(2**31), "1" * 5000):
        answer = call(client, "GET", f"/cases?cursor={cursor}", bearer)
        assert answer.status_code == 400, cursor
        assert answer.content_type == "application/problem+json"
    since = call(client, "GET", "/cases?since=0001-01-01T00:00:00%2B14:00", bearer)
    assert since.status_code == 400


def test_the_token_endpoint_says_too_many_attempts_as_documented(
    make_app: Callable[..., Flask], db_session: scoped_session[Session]
) -> None:
    """Issue 31, 17: the token endpoint's 429 was sent but not in the OpenAPI document."""
    limited = make_app(login_rate_limit="2 per minute")
    world = build_world(limited)
    api = limited.test_client()
    answers = [fetch_token(api, world.full_a).status_code for _ in range(3)]
    assert answers == [200, 200, 429]
    refused = fetch_token(api, world.full_a)
    assert refused.content_type == "application/problem+json"
    assert int(refused.headers["Retry-After"]) > 0
    document = api.get(f"{BASE}/openapi.json").get_json()
    responses = document["paths"]["/token"]["post"]["responses"]
    assert "429" in responses
    assert "Retry-After" in responses["429"]["headers"]


@pytest.mark.parametrize("cursor", ["+5", " 5", "٥", "-1", "12345678901", "0x10"])
def test_the_cursor_is_what_the_document_says_and_nothing_else(
    app: Flask, client: FlaskClient, db_session: scoped_session[Session], cursor: str
) -> None:
    """Issue 31, 23: ``int()`` took "+5", " 5" and Arabic-Indic digits; the document now gives
    the pattern, and the code refuses everything outside it."""
    world = build_world(app)
    bearer = token(client, world, world.full_a)
    document = client.get(f"{BASE}/openapi.json").get_json()
    [parameter] = [p for p in document["paths"]["/cases"]["get"]["parameters"]
                   if p["name"] == "cursor"]  # fmt: skip
    assert parameter["schema"]["pattern"] == "^[0-9]{1,10}$"
    answer = client.get(f"{BASE}/cases", query_string={"cursor": cursor},
                        headers={"Authorization": f"Bearer {bearer}"})  # fmt: skip
    assert answer.status_code == 400
    assert answer.content_type == "application/problem+json"
    assert call(client, "GET", "/cases?cursor=0", bearer).status_code == 200
