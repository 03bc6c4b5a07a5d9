"""Login sessions within one request: what a login or logout leaves for the rest of it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, scoped_session

from portal.core.db import utcnow
from portal.extensions import db
from portal.identity import sessions, testidp
from portal.identity.models import AccountKind, LoginSession, Person, TrustLevel
from tests.identity.conftest import Portal, log_in


def test_after_a_login_the_request_sees_the_new_session_and_keeps_its_cookie(
    app: Flask, db_session: scoped_session[Session]
) -> None:
    person = Person(issuer="https://idp.example", subject="s-1", sources={})
    db_session.add(person)
    db_session.commit()  # each request context below ends its session
    person_id = person.id
    with app.test_request_context("/"):
        sessions.start(AccountKind.CITIZEN, person_id=person_id)
        old_token = sessions.g.login_cookies[False]
        db_session.commit()
    with app.test_request_context("/", headers={"Cookie": f"portal_login={old_token}"}):
        old = sessions.citizen_login()
        assert old is not None
        new = sessions.start(AccountKind.CITIZEN, person_id=person_id)
        assert old.ended_at is not None
        assert sessions.citizen_login() is new  # not the old cookie's ended session
        response = sessions._set_cookies(app.response_class())
        cookie = response.headers["Set-Cookie"]
        assert cookie.startswith("portal_login=")
        assert not cookie.startswith("portal_login=;")


def test_after_a_logout_the_request_sees_no_session(
    app: Flask, db_session: scoped_session[Session]
) -> None:
    person = Person(issuer="https://idp.example", subject="s-2", sources={})
    db_session.add(person)
    db_session.commit()  # each request context below ends its session
    with app.test_request_context("/"):
        sessions.start(AccountKind.CITIZEN, person_id=person.id)
        token = sessions.g.login_cookies[False]
        db_session.commit()
    with app.test_request_context("/", headers={"Cookie": f"portal_login={token}"}):
        assert sessions.citizen_login() is not None
        sessions.end(AccountKind.CITIZEN)
        assert sessions.citizen_login() is None


def test_the_test_provider_forgets_expired_codes_and_tokens(portal: Portal) -> None:
    with portal.app.app_context():
        db.session.add(
            testidp.TestIdpGrant(
                value="alt-abgelaufen",
                kind="token",
                data={},
                expires_at=utcnow() - dt.timedelta(minutes=1),
            )
        )
        db.session.commit()
    log_in(portal.url, "anna")
    with portal.app.app_context():
        assert db.session.get(testidp.TestIdpGrant, "alt-abgelaufen") is None


def test_the_login_helper_makes_a_real_login(
    client: FlaskClient, db_session: scoped_session[Session], login: Callable[..., LoginSession]
) -> None:
    person = Person(
        issuer="https://idp.example", subject="s-helper", given_name="Hilde", sources={}
    )
    assert client.get("/konto").status_code == 302
    db_session.add(person)
    db_session.flush()
    login(client, person, trust_level=TrustLevel.HOCH)
    page = client.get("/konto").get_data(as_text=True)
    assert "Sie handeln für sich selbst: Hilde" in page
    assert 'data-trust-level="hoch"' in page
