"""The session notice's data and "Sitzung verlängern", for citizen and staff logins."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import requests
from sqlalchemy import select, update

from portal.core.db import utcnow
from portal.extensions import db
from portal.identity.models import LoginSession
from tests.identity.conftest import TOKEN, Portal, log_in

NOTICE = re.compile(r'data-expires-in="(\d+)" data-warn-before="(\d+)" data-extendable="(\w+)"')


def _login_row(portal: Portal, token: str) -> LoginSession:
    with portal.app.app_context():
        row = db.session.scalar(
            select(LoginSession).where(
                LoginSession.token_hash == hashlib.sha256(token.encode()).hexdigest()
            )
        )
        assert row is not None
        db.session.expunge(row)
        return row


def _age(portal: Portal, token: str, **values: dt.datetime) -> None:
    with portal.app.app_context():
        db.session.execute(
            update(LoginSession)
            .where(LoginSession.token_hash == hashlib.sha256(token.encode()).hexdigest())
            .values(**values)
        )
        db.session.commit()


def test_the_page_carries_the_session_timer(portal: Portal) -> None:
    browser, html = log_in(portal.url, "clara")  # hoch: 30 min absolute, 5 min idle
    expires_in, warn_before, extendable = NOTICE.search(html).groups()  # type: ignore[union-attr]
    assert 290 <= int(expires_in) <= 300
    assert int(warn_before) == 120
    assert extendable == "ja"
    # Near the absolute limit, extending cannot help, and the notice says so.
    token = browser.cookies["portal_login"]
    _age(portal, token, expires_at=utcnow() + dt.timedelta(minutes=3))
    again = NOTICE.search(browser.get(portal.url + "/konto").text)
    assert again is not None
    assert again.group(3) == "nein"
    assert int(again.group(1)) <= 180
    assert "data-session-notice" not in requests.get(portal.url + "/", timeout=10).text


def test_extending_resets_the_idle_clock(portal: Portal) -> None:
    browser, html = log_in(portal.url, "clara")
    token = browser.cookies["portal_login"]
    _age(portal, token, last_seen_at=utcnow() - dt.timedelta(minutes=4))
    csrf = TOKEN.search(html)
    assert csrf is not None
    refused = browser.post(
        portal.url + "/sitzung/verlaengern", headers={"Accept": "application/json"}
    )
    assert refused.status_code == 400  # no CSRF token
    answer = browser.post(
        portal.url + "/sitzung/verlaengern",
        headers={"Accept": "application/json", "X-CSRFToken": csrf.group(1)},
    )
    assert answer.status_code == 200
    assert answer.json()["expires_in"] >= 295
    assert utcnow() - _login_row(portal, token).last_seen_at < dt.timedelta(seconds=10)
    # Without script: a plain form post returns to the page it came from.
    back = browser.post(
        portal.url + "/sitzung/verlaengern",
        data={"csrf_token": csrf.group(1), "next": "/konto"},
        allow_redirects=False,
    )
    assert back.headers["Location"] == "/konto"
    evil = browser.post(
        portal.url + "/sitzung/verlaengern",
        data={"csrf_token": csrf.group(1), "next": "//evil.example/"},
        allow_redirects=False,
    )
    assert evil.headers["Location"] == "/konto"


def test_an_ended_session_cannot_be_extended(portal: Portal) -> None:
    browser, html = log_in(portal.url, "clara")
    token = browser.cookies["portal_login"]
    csrf = TOKEN.search(html)
    assert csrf is not None
    _age(portal, token, last_seen_at=utcnow() - dt.timedelta(minutes=6))
    answer = browser.post(
        portal.url + "/sitzung/verlaengern",
        headers={"Accept": "application/json", "X-CSRFToken": csrf.group(1)},
    )
    assert answer.status_code == 401
    assert answer.json() == {"expires_in": 0}
    assert "portal_login" not in browser.cookies


def test_staff_extend_their_own_session(portal: Portal) -> None:
    portal.app.test_cli_runner().invoke(args=["staff", "create-admin", "admin@musterstadt.example"])
    browser, html = log_in(portal.url, "admin", "/verwaltung/anmelden")
    assert 'action="/verwaltung/sitzung/verlaengern"' in html
    token = browser.cookies["portal_verwaltung"]
    _age(portal, token, last_seen_at=utcnow() - dt.timedelta(minutes=20))
    csrf = TOKEN.search(html)
    assert csrf is not None
    answer = browser.post(
        portal.url + "/verwaltung/sitzung/verlaengern",
        headers={"Accept": "application/json", "X-CSRFToken": csrf.group(1)},
    )
    assert answer.json()["expires_in"] >= 30 * 60 - 5
