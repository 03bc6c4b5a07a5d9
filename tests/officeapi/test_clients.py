"""Administrators make and revoke the Fachverfahren's access, in the back office and by CLI;
the secret is shown once and stored only as a hash."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, scoped_session

from portal.extensions import db
from portal.identity.clients import ApiClient, client_by_client_id
from portal.identity.models import StaffRole
from tests.factories import make_office, make_staff
from tests.officeapi.support import BASE, Credentials
from tests.support.auth import staff_login_as
from tests.support.html import visible_text

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
SECRET = re.compile(r"data-client-secret>([^<]+)<")
CLIENT_ID = re.compile(r"data-client-id>([^<]+)<")


def _admin(app: Flask, *roles: tuple[StaffRole, object]) -> tuple[FlaskClient, int]:
    browser = app.test_client()
    with app.test_request_context("/"):
        office = make_office(name="Steueramt Testhausen")
        staff_login_as(browser, make_staff(*(roles or ((StaffRole.ADMINISTRATION, None),))))
        office_id = office.id
        db.session.commit()
    return browser, office_id


def _csrf(browser: FlaskClient, path: str) -> str:
    match = CSRF.search(browser.get(path).get_data(as_text=True))
    assert match
    return match.group(1)


def test_an_administrator_makes_a_client_that_gets_a_token(
    app: Flask, db_session: scoped_session[Session]
) -> None:
    browser, office_id = _admin(app)
    page = "/verwaltung/schnittstellen"
    made = browser.post(
        page,
        data={
            "csrf_token": _csrf(browser, page),
            "name": "Hundesteuer (Fachverfahren)",
            "office": str(office_id),
            "scopes": ["cases:read", "messages:write"],
        },
    )
    assert made.status_code == 200
    html = made.get_data(as_text=True)
    secret, client_id = SECRET.search(html), CLIENT_ID.search(html)
    assert secret
    assert client_id
    assert made.headers["Cache-Control"] == "private, no-store"
    found = db.session.scalar(select(ApiClient).filter_by(client_id=client_id.group(1)))
    assert found is not None
    assert found.office_ids == {office_id}
    assert found.scopes == {"cases:read", "messages:write"}
    assert secret.group(1) not in found.secret_hash
    found_id = found.id
    # shown once: the list afterwards has the client, not its secret
    listing = browser.get(page).get_data(as_text=True)
    assert "Hundesteuer (Fachverfahren)" in listing
    assert secret.group(1) not in listing
    assert "Steueramt Testhausen" in visible_text(listing)
    who = Credentials(client_id.group(1), secret.group(1))
    api = app.test_client()
    answer = api.post(
        f"{BASE}/token", data={"grant_type": "client_credentials"}, auth=(who.client_id, who.secret)
    )
    assert answer.status_code == 200
    assert answer.get_json()["scope"] == "cases:read messages:write"
    # revoked in the back office: the token stops at once
    bearer = answer.get_json()["access_token"]
    revoked = browser.post(
        f"{page}/{found_id}/widerrufen", data={"csrf_token": _csrf(browser, page)}
    )
    assert revoked.status_code == 303
    stopped = api.get(f"{BASE}/cases", headers={"Authorization": f"Bearer {bearer}"})
    assert stopped.status_code == 401


def test_the_form_names_what_is_missing(app: Flask, db_session: scoped_session[Session]) -> None:
    browser, _office_id = _admin(app)
    page = "/verwaltung/schnittstellen"
    before = len(list(db.session.scalars(select(ApiClient))))
    refused = browser.post(page, data={"csrf_token": _csrf(browser, page), "name": ""})
    assert refused.status_code == 422
    text = visible_text(refused.get_data(as_text=True))
    for message in (
        "Bitte geben Sie den Namen des Fachverfahrens ein.",
        "Bitte wählen Sie das Amt, dessen Vorgänge der Zugang sieht.",
        "Bitte wählen Sie mindestens eine Berechtigung.",
    ):
        assert message in text
    bogus = browser.post(
        page,
        data={"csrf_token": _csrf(browser, page), "name": "X", "office": "999999",
              "scopes": ["alles:darf"]},
    )  # fmt: skip
    assert bogus.status_code == 422
    db.session.expire_all()
    assert len(list(db.session.scalars(select(ApiClient)))) == before


def test_only_administrators_see_the_page(app: Flask, db_session: scoped_session[Session]) -> None:
    with app.test_request_context("/"):
        office = make_office()
        clerk = make_staff((StaffRole.AMTSLEITUNG, office))
        browser = app.test_client()
        staff_login_as(browser, clerk)
        db.session.commit()
    assert browser.get("/verwaltung/schnittstellen").status_code == 403


def test_the_cli_makes_lists_and_revokes(app: Flask, db_session: scoped_session[Session]) -> None:
    with app.test_request_context("/"):
        office = make_office()
        db.session.commit()
        reference = str(office.id)
    runner = app.test_cli_runner()
    made = runner.invoke(
        args=["api-clients", "create", "DMS", "--office", reference, "--scope", "cases:read"]
    )
    assert made.exit_code == 0, made.output
    client_id = re.search(r"client_id:\s+(\S+)", made.output)
    assert client_id
    assert "client_secret:" in made.output
    listed = runner.invoke(args=["api-clients", "list"])
    assert client_id.group(1) in listed.output
    assert "aktiv" in listed.output
    revoked = runner.invoke(args=["api-clients", "revoke", client_id.group(1)])
    assert revoked.exit_code == 0
    with app.app_context():
        found = client_by_client_id(client_id.group(1))
        assert found is not None
        assert found.revoked_at is not None
    unknown = runner.invoke(
        args=["api-clients", "create", "X", "--office", "kein-amt", "--scope", "cases:read"]
    )
    assert unknown.exit_code != 0
    assert "Amt nicht gefunden" in unknown.output
