"""Staff of the Ämter: their own login under /verwaltung, roles per office, the first admin."""

from __future__ import annotations

import requests
from sqlalchemy import delete, select

from portal.catalog.models import Office
from portal.extensions import db
from portal.identity.demo import load_staff_demo
from portal.identity.models import LoginSession, StaffAccount, StaffRole
from tests.identity.conftest import Portal, form_of, log_in, post_form
from tests.support.offices import ensure_office

CLERK = "sven@musterstadt.example"
ADMIN = "admin@musterstadt.example"


def _forget(portal: Portal, email: str) -> None:
    with portal.app.app_context():
        staff = db.session.scalar(select(StaffAccount).filter_by(email=email))
        if staff is not None:
            db.session.execute(delete(LoginSession).where(LoginSession.staff_id == staff.id))
            db.session.delete(staff)
        db.session.commit()


def _admin(portal: Portal) -> None:
    result = portal.app.test_cli_runner().invoke(args=["staff", "create-admin", ADMIN])
    assert result.exit_code == 0, result.output
    assert "Administration für alle Ämter" in result.output


def test_a_login_without_staff_account_is_refused(portal: Portal) -> None:
    _forget(portal, CLERK)
    browser, html = log_in(portal.url, "sachbearbeitung", "/verwaltung/anmelden")
    assert "Für diese Anmeldung gibt es kein Verwaltungskonto" in html
    assert "portal_verwaltung" not in browser.cookies
    assert browser.get(portal.url + "/verwaltung/", allow_redirects=False).status_code == 302
    with portal.app.app_context():
        assert db.session.scalar(select(StaffAccount).filter_by(email=CLERK)) is None


def test_the_staff_provider_page_offers_only_staff_personas(portal: Portal) -> None:
    page = requests.get(portal.url + "/verwaltung/anmelden", timeout=10)
    assert 'value="admin"' in page.text
    assert 'value="anna"' not in page.text
    citizen = requests.get(portal.url + "/anmelden", timeout=10)
    assert 'value="admin"' not in citizen.text


def test_first_admin_from_the_cli_logs_in(portal: Portal) -> None:
    _forget(portal, ADMIN)
    _admin(portal)
    browser, html = log_in(portal.url, "admin", "/verwaltung/anmelden")
    assert "Sie sind in der Verwaltung angemeldet." in html
    assert "Administration – alle Ämter" in html
    cookie = next(c for c in browser.cookies if c.name == "portal_verwaltung")
    assert cookie.path == "/verwaltung"
    assert cookie.has_nonstandard_attr("HttpOnly")
    with portal.app.app_context():
        staff = db.session.scalar(select(StaffAccount).filter_by(email=ADMIN))
        assert staff is not None
        assert staff.subject == "test-admin"  # bound to the login at the first login


def test_staff_and_citizen_sessions_never_mix(portal: Portal) -> None:
    _admin(portal)
    browser, _ = log_in(portal.url, "admin", "/verwaltung/anmelden")
    # The staff login is no citizen login …
    assert browser.get(portal.url + "/konto", allow_redirects=False).status_code == 302
    citizen, _ = log_in(portal.url, "anna")
    # … and a citizen login is no staff login.
    response = citizen.get(portal.url + "/verwaltung/", allow_redirects=False)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/verwaltung/anmelden")
    # A citizen cookie replayed under /verwaltung is not a staff cookie either.
    stray = requests.Session()
    stray.cookies.set("portal_verwaltung", citizen.cookies["portal_login"], path="/verwaltung")
    assert stray.get(portal.url + "/verwaltung/", allow_redirects=False).status_code == 302


def test_roles_are_enforced_and_granted_by_an_administrator(portal: Portal) -> None:
    _forget(portal, CLERK)
    _admin(portal)
    office = ensure_office(portal.app, "buergerbuero-test")
    clerk_grant = portal.app.test_cli_runner().invoke(
        args=["staff", "grant", CLERK, "--role", "sachbearbeitung", "--office", "buergerbuero-test"]
    )
    assert clerk_grant.exit_code == 0, clerk_grant.output
    clerk, html = log_in(portal.url, "sachbearbeitung", "/verwaltung/anmelden")
    assert "Sachbearbeitung – Buergerbuero-Test" in html
    assert clerk.get(portal.url + "/verwaltung/konten").status_code == 403

    admin, _ = log_in(portal.url, "admin", "/verwaltung/anmelden")
    page = admin.get(portal.url + "/verwaltung/konten")
    assert CLERK in page.text
    _, token = form_of(page.text)
    # Administration for a single office is refused with a German message naming the field.
    refused = admin.post(
        portal.url + "/verwaltung/konten",
        data={"csrf_token": token, "email": CLERK, "role": "administration", "office": office},
    )
    assert refused.status_code == 422
    assert "Amt: Die Rolle Administration gilt immer für alle Ämter." in refused.text
    granted = admin.post(
        portal.url + "/verwaltung/konten",
        data={"csrf_token": token, "email": CLERK, "role": "amtsleitung", "office": office},
    )
    assert "Die Rolle wurde für sven@musterstadt.example eingetragen." in granted.text
    with portal.app.app_context():
        staff = db.session.scalar(select(StaffAccount).filter_by(email=CLERK))
        assert staff is not None
        assert staff.has_role(StaffRole.AMTSLEITUNG, office)
        assert not staff.has_role(StaffRole.AMTSLEITUNG, office + 1)
        head = next(item for item in staff.roles if item.role == StaffRole.AMTSLEITUNG)
    revoked = admin.post(
        portal.url + f"/verwaltung/konten/{staff.id}/rolle-entziehen",
        data={"csrf_token": token, "assignment": str(head.id)},
    )
    assert "Die Rolle wurde entzogen." in revoked.text
    with portal.app.app_context():
        staff = db.session.scalar(select(StaffAccount).filter_by(email=CLERK))
        assert staff is not None
        assert not staff.has_role(StaffRole.AMTSLEITUNG)


def test_staff_logout(portal: Portal) -> None:
    _admin(portal)
    browser, _ = log_in(portal.url, "admin", "/verwaltung/anmelden")
    response = post_form(browser, portal.url, "/verwaltung/", _action="/verwaltung/abmelden")
    assert response.url.endswith("/abgemeldet")
    assert any("/test-idp/logout" in r.headers.get("Location", "") for r in response.history)
    assert "portal_verwaltung" not in browser.cookies
    assert browser.get(portal.url + "/verwaltung/", allow_redirects=False).status_code == 302


def test_several_accounts_can_wait_for_their_first_login(portal: Portal) -> None:
    runner = portal.app.test_cli_runner()
    for email in ("erste@musterstadt.example", "zweite@musterstadt.example"):
        result = runner.invoke(args=["staff", "create-admin", email])
        assert result.exit_code == 0, result.output
    with portal.app.app_context():
        waiting = db.session.scalars(
            select(StaffAccount).where(StaffAccount.email.like("%te@musterstadt.example"))
        ).all()
        assert [account.subject for account in waiting] == [None, None]


def test_the_demo_loader_makes_the_test_providers_staff(portal: Portal) -> None:
    _forget(portal, CLERK)
    ensure_office(portal.app, "buergerbuero")
    with portal.app.app_context():
        db.session.execute(
            Office.__table__.update().where(Office.slug == "buergerbuero").values(name="Bürgerbüro")
        )
        db.session.commit()
    with portal.app.app_context():
        assert load_staff_demo().startswith("Sachbearbeitung und Formularredaktion (")
        db.session.commit()
    _, html = log_in(portal.url, "sachbearbeitung", "/verwaltung/anmelden")
    assert "Sachbearbeitung – Bürgerbüro" in html
    _, html = log_in(portal.url, "formularredaktion", "/verwaltung/anmelden")
    assert "Formularredaktion – Bürgerbüro" in html
