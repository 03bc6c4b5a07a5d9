"""Citizen and organisation login through the built-in test provider, end to end over HTTP."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import requests
from sqlalchemy import select, update

from portal.core.db import utcnow
from portal.extensions import db
from portal.identity.models import LoginSession, Organisation, OrgRole, Person
from tests.identity.conftest import Portal, form_of, log_in, pick_persona, post_form


def test_a_citizen_logs_in_and_sees_the_account(portal: Portal) -> None:
    browser, html = log_in(portal.url, "bernd")
    assert "Mein Nutzerkonto" in html
    assert 'data-trust-level="substanziell"' in html
    assert "Lindenweg 3" in html
    assert "Merkmal „address.street_address“" in html  # where the value came from
    assert "Sie handeln für sich selbst: Bernd Beispiel" in html
    cookie = next(c for c in browser.cookies if c.name == "portal_login")
    assert cookie.has_nonstandard_attr("HttpOnly")
    with portal.app.app_context():
        person = db.session.scalars(select(Person).filter_by(subject="test-bernd")).one()
        assert person.birth_date == "1979-03-14"


def test_each_login_gets_a_new_session_token(portal: Portal) -> None:
    browser, _ = log_in(portal.url, "anna")
    first = browser.cookies.get("portal_login")
    page = browser.get(portal.url + "/anmelden")
    pick_persona(browser, portal.url, page, "anna")
    second = browser.cookies.get("portal_login")
    assert first
    assert second
    assert first != second
    stale = requests.Session()
    stale.cookies.set("portal_login", first)
    assert stale.get(portal.url + "/konto", allow_redirects=False).status_code == 302


def test_logout_ends_the_session_here_and_at_the_provider(portal: Portal) -> None:
    browser, _ = log_in(portal.url, "anna")
    response = post_form(browser, portal.url, "/konto", _action="/abmelden")
    assert response.url.endswith("/abgemeldet")
    assert any("/test-idp/logout" in r.headers.get("Location", "") for r in response.history)
    assert "Sie sind abgemeldet" in response.text
    assert "portal_login" not in browser.cookies
    assert browser.get(portal.url + "/konto", allow_redirects=False).status_code == 302


def test_the_account_page_needs_a_login(portal: Portal) -> None:
    response = requests.get(portal.url + "/konto", allow_redirects=False, timeout=10)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/anmelden?next=/konto")


def test_next_leads_back_but_never_elsewhere(portal: Portal) -> None:
    for target, landing in [("/impressum", "/impressum"), ("https://evil.example/", "/konto")]:
        browser = requests.Session()
        page = browser.get(portal.url + "/anmelden", params={"next": target})
        done = pick_persona(browser, portal.url, page, "anna")
        assert done.url == portal.url + landing


def test_step_up_to_hoch(portal: Portal) -> None:
    browser, _ = log_in(portal.url, "anna")  # basisregistrierung
    page = browser.get(portal.url + "/_test/hoch")
    assert "acr_values=STORK-QAA-Level-4" in page.url
    assert "prompt=login" in page.url
    assert "mindestens das Vertrauensniveau „hoch“" in page.text
    refused = pick_persona(browser, portal.url, page, "anna")
    assert refused.status_code == 400
    assert "Anmeldung nicht möglich" in refused.text
    assert "Vertrauensniveau „hoch“ nötig" in refused.text
    assert "portal_login" not in browser.cookies  # no session left behind
    page = browser.get(portal.url + "/_test/hoch")
    done = pick_persona(browser, portal.url, page, "clara")
    assert done.url == portal.url + "/_test/hoch"
    assert done.text == "Formular mit Niveau hoch"


def test_cancelling_at_the_provider(portal: Portal) -> None:
    browser = requests.Session()
    page = browser.get(portal.url + "/anmelden")
    action, token = form_of(page.text)
    response = browser.post(portal.url + action, data={"csrf_token": token, "action": "abbrechen"})
    assert response.status_code == 400
    assert "Sie haben die Anmeldung abgebrochen." in response.text
    assert "portal_login" not in browser.cookies


def test_a_replayed_callback_is_refused(portal: Portal) -> None:
    browser = requests.Session()
    page = browser.get(portal.url + "/anmelden")
    done = pick_persona(browser, portal.url, page, "anna")
    callback = next(r for r in done.history if "/anmelden/callback" in r.url).url
    replay = requests.Session()
    response = replay.get(callback)
    assert response.status_code == 400
    assert "nicht in diesem Browser begonnen" in response.text
    assert "portal_login" not in replay.cookies


def test_an_idle_session_expires_with_a_notice(portal: Portal) -> None:
    browser, _ = log_in(portal.url, "clara")  # hoch: 5 minutes idle
    token = browser.cookies.get("portal_login") or ""
    with portal.app.app_context():
        db.session.execute(
            update(LoginSession)
            .where(LoginSession.token_hash == hashlib.sha256(token.encode()).hexdigest())
            .values(last_seen_at=utcnow() - dt.timedelta(minutes=6))
        )
        db.session.commit()
    response = browser.get(portal.url + "/")
    assert "Ihre Sitzung ist aus Sicherheitsgründen abgelaufen" in response.text
    assert "portal_login" not in browser.cookies


def test_export_and_delete(portal: Portal) -> None:
    browser, _ = log_in(portal.url, "bernd")
    export = browser.get(portal.url + "/konto/export")
    assert export.headers["Content-Disposition"].startswith("attachment")
    data = json.loads(export.text)
    assert data["angaben"]["family_name"] == "Beispiel"
    unconfirmed = post_form(browser, portal.url, "/konto", _action="/konto/loeschen")
    assert unconfirmed.status_code == 422
    assert "Bitte bestätigen Sie" in unconfirmed.text
    deleted = post_form(browser, portal.url, "/konto", _action="/konto/loeschen", confirm="y")
    assert "Ihr Nutzerkonto wurde gelöscht." in deleted.text
    with portal.app.app_context():
        assert db.session.scalars(select(Person).filter_by(subject="test-bernd")).first() is None


def test_an_organisation_login_acts_for_the_organisation(portal: Portal) -> None:
    _, html = log_in(portal.url, "firma", "/anmelden/organisation")
    assert "Sie handeln für: Musterbau GmbH" in html
    assert "Musterbau GmbH (Administration)" in html


def test_acting_for_oneself_or_the_organisation(portal: Portal) -> None:
    browser, html = log_in(portal.url, "firma", "/anmelden/organisation")
    assert "Sie handeln für: Musterbau GmbH" in html
    assert 'Mein Konto<span class="account-nav__acting">: Musterbau GmbH</span>' in html
    page = post_form(browser, portal.url, "/konto", _action="/konto/handeln-fuer", acting="selbst")
    assert "Sie handeln jetzt für sich selbst." in page.text
    assert "Sie handeln für sich selbst: Frieda Firma" in page.text
    with portal.app.app_context():
        organisation = db.session.scalars(
            select(Organisation).filter_by(external_id="DE-UK-4711")
        ).one()
    back = post_form(
        browser, portal.url, "/konto", _action="/konto/handeln-fuer", acting=str(organisation.id)
    )
    assert "Sie handeln für: Musterbau GmbH" in back.text
    # Someone who is no member cannot act for the organisation.
    stranger, _ = log_in(portal.url, "anna")
    refused = post_form(
        stranger, portal.url, "/konto", _action="/konto/handeln-fuer", acting=str(organisation.id)
    )
    assert refused.status_code == 422  # not among the offered choices
    assert "Sie handeln für sich selbst: Anna Muster" in stranger.get(portal.url + "/konto").text


def test_an_organisation_administrator_manages_member_roles(portal: Portal) -> None:
    member, _ = log_in(portal.url, "kollege", "/anmelden/organisation")
    admin, _ = log_in(portal.url, "firma", "/anmelden/organisation")
    with portal.app.app_context():
        organisation = db.session.scalars(
            select(Organisation).filter_by(external_id="DE-UK-4711")
        ).one()
        roles = {m.person.given_name: (m.id, m.role) for m in organisation.members}
    assert roles["Frieda"][1] == OrgRole.ADMINISTRATION
    max_id = roles["Max"][0]
    frieda_id = roles["Frieda"][0]
    # A member sees the list but may not change roles.
    listing = member.get(portal.url + "/konto/organisation")
    assert "Frieda Firma" in listing.text
    assert "Rolle ändern" not in listing.text
    forbidden = post_form(
        member,
        portal.url,
        "/konto/organisation",
        _action=f"/konto/organisation/mitglieder/{max_id}",
        role="administration",
    )
    assert forbidden.status_code == 403
    # The administrator promotes Max, then steps down; the last administrator cannot.
    promoted = post_form(
        admin,
        portal.url,
        "/konto/organisation",
        _action=f"/konto/organisation/mitglieder/{max_id}",
        role="administration",
    )
    assert "Max Mitarbeiter hat jetzt die Rolle Administration." in promoted.text
    demoted = post_form(
        admin,
        portal.url,
        "/konto/organisation",
        _action=f"/konto/organisation/mitglieder/{max_id}",
        role="mitglied",
    )
    assert "Max Mitarbeiter hat jetzt die Rolle Mitglied." in demoted.text
    last = post_form(
        admin,
        portal.url,
        "/konto/organisation",
        _action=f"/konto/organisation/mitglieder/{frieda_id}",
        role="mitglied",
    )
    assert "mindestens eine Person mit der Rolle Administration" in last.text
    # A membership of another organisation is not reachable from here.
    assert (
        post_form(
            admin,
            portal.url,
            "/konto/organisation",
            _action="/konto/organisation/mitglieder/999999",
            role="mitglied",
        ).status_code
        == 404
    )
