"""Drafts have bounds: a step keeps at most each field's maximum, an account has a limited
number of open drafts, and draft writes are rate-limited per account."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from portal.applications.models import Application, ApplicationStatus
from portal.extensions import db
from tests.factories import make_form, make_office, make_person
from tests.support.auth import login_as

pytestmark = pytest.mark.usefixtures("db_session")
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
STEPS = [{"key": "angaben", "title": "Angaben", "fields": [
    {"key": "name", "type": "text", "label": "Name", "max_length": 50},
    {"key": "notiz", "type": "textarea", "label": "Notiz"},
    {"key": "anzahl", "type": "number", "label": "Anzahl", "required": True, "min": 1,
     "max": 10},
]}]  # fmt: skip


def _setup(app: Flask, client: FlaskClient) -> tuple[str, int]:
    with app.test_request_context("/"):
        form = make_form(make_office(), steps=STEPS)
        person = make_person()
        login_as(client, person)
        db.session.commit()
        return form.key, person.id


def _begin(client: FlaskClient, key: str) -> str:
    page = client.get(f"/antrag/{key}").get_data(as_text=True)
    token = CSRF.search(page)
    assert token
    return client.post(f"/antrag/{key}/beginnen", data={"csrf_token": token.group(1)}).headers[
        "Location"
    ]


def test_a_step_keeps_at_most_each_fields_maximum(app: Flask, client: FlaskClient) -> None:
    key, _person = _setup(app, client)
    step = _begin(client, key)
    token = CSRF.search(client.get(step).get_data(as_text=True))
    assert token
    answer = client.post(step, data={"csrf_token": token.group(1), "aktion": "speichern",
                                     "name": "N" * 400_000, "notiz": "x" * 400_000,
                                     "anzahl": "3"})  # fmt: skip
    assert answer.status_code in (200, 303)
    db.session.expire_all()
    [draft] = db.session.scalars(select(Application).where(Application.form_key == key))
    assert len(draft.answers["angaben"]["name"]) == 50
    assert len(draft.answers["angaben"]["notiz"]) == 10_000
    assert draft.complete["angaben"] is False


def test_a_text_longer_than_a_draft_keeps_is_refused_not_cut(
    app: Flask, client: FlaskClient
) -> None:
    """Without a max_length of its own, a textarea takes 10,000 characters: one more is a named
    error, so no valid answer is ever shortened when it is stored."""
    key, _person = _setup(app, client)
    step = _begin(client, key)
    token = CSRF.search(client.get(step).get_data(as_text=True))
    assert token
    data = {"csrf_token": token.group(1), "aktion": "weiter", "anzahl": "3"}
    refused = client.post(step, data={**data, "notiz": "x" * 10_001})
    assert refused.status_code in (200, 422)
    assert "„Notiz“ darf höchstens 10000 Zeichen lang sein." in refused.get_data(as_text=True)
    taken = client.post(step, data={**data, "notiz": "x" * 10_000})
    assert taken.status_code == 303
    db.session.expire_all()
    [draft] = db.session.scalars(select(Application).where(Application.form_key == key))
    assert len(draft.answers["angaben"]["notiz"]) == 10_000
    assert draft.complete["angaben"] is True


def test_an_account_has_a_limited_number_of_open_drafts(
    make_app: Callable[..., Flask],
) -> None:
    limited = make_app(draft_max_open=2)
    client = limited.test_client()
    key, person_id = _setup(limited, client)
    assert _begin(client, key).startswith("/antraege/")
    assert _begin(client, key).startswith("/antraege/")
    refused = _begin(client, key)
    assert refused == "/antraege"
    page = client.get(refused).get_data(as_text=True)
    assert "Sie haben schon 2 Entwürfe" in page
    with limited.app_context():
        mine = (Application.person_id == person_id, Application.status == ApplicationStatus.DRAFT)
        count = db.session.scalar(select(func.count(Application.id)).where(*mine))
    assert count == 2


def test_draft_writes_are_rate_limited_per_account(make_app: Callable[..., Flask]) -> None:
    limited = make_app(draft_rate_limit="3 per minute")
    client = limited.test_client()
    key, _person = _setup(limited, client)
    step = _begin(client, key)  # one write
    token = CSRF.search(client.get(step).get_data(as_text=True))
    assert token
    statuses = [
        client.post(step, data={"csrf_token": token.group(1), "anzahl": "2"}).status_code
        for _ in range(3)
    ]
    assert statuses == [303, 303, 429]  # begin, two saves: three writes
    assert client.get(step).status_code == 200  # reading is not limited
