"""The Redaktion's pages in Chromium, with axe on every step."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from portal.catalog.models import Leistung, Office, Zustaendigkeit
from portal.extensions import db
from tests.browser.conftest import LiveServer, fresh_admin
from tests.browser.test_layout import watch_csp
from tests.support.axe import assert_accessible


def _busy_office(server: LiveServer) -> tuple[int, str, str]:
    """The office with the most services, one of its services, and a service it lacks."""
    with server.app.app_context():
        office_id = db.session.scalar(
            select(Zustaendigkeit.office_id)
            .group_by(Zustaendigkeit.office_id)
            .order_by(func.count().desc(), Zustaendigkeit.office_id)
            .limit(1)
        )
        office = db.session.get(Office, office_id)
        lacking = db.session.scalar(
            select(Leistung.name)
            .where(~Leistung.zustaendigkeiten.any(office_id=office_id), Leistung.published)
            .order_by(Leistung.id)
            .limit(1)
        )
        return office.id, office.name, lacking


def test_the_redaktion_edits_an_office(
    page: Page, themed_server: LiveServer, artifacts: Path
) -> None:
    theme = themed_server.app.config["PORTAL"].theme
    fresh_admin(themed_server)
    office_id, office_name, lacking = _busy_office(themed_server)
    problems = watch_csp(page)
    page.goto(themed_server.url + "/verwaltung/")
    page.get_by_label("Ada Admin", exact=False).check()
    page.get_by_role("button", name="Anmelden").click()
    page.get_by_role("link", name="Redaktion: Angaben der Ämter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Redaktion: Angaben der Ämter")
    assert_accessible(page)
    # Offices may share a name (München has twelve "Servicestelle für Zuwanderung …").
    page.locator(f'a[href$="/verwaltung/redaktion/aemter/{office_id}"]').click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(office_name)
    assert_accessible(page)

    page.get_by_label("Telefon").fill("089 ruf an")
    page.get_by_role("button", name="Speichern").click()
    expect(page.locator("[data-error-summary]")).to_be_focused()
    assert_accessible(page)
    phone = "089 233-" + ("1" if theme == "default" else "2")
    page.get_by_label("Telefon").fill(phone)
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_text("Die Angaben wurden gespeichert")).to_be_visible()
    expect(page.locator("[data-field=phone]")).to_contain_text("Wert aus dem Import")

    page.get_by_label("Leistung suchen").fill(lacking)
    page.get_by_role("button", name="Suchen").click()
    page.get_by_role("button", name=re.compile("Hinzufügen.*" + re.escape(lacking))).first.click()
    expect(page.get_by_text("jetzt diesem Amt zugeordnet")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name=lacking, exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(lacking)
    page.get_by_label("Link zum Online-Dienst").fill("ftp://nicht.example")
    page.get_by_role("button", name="Speichern").click()
    expect(page.locator("[data-error-summary]")).to_be_focused()
    assert_accessible(page)
    page.set_viewport_size({"width": 360, "height": 800})
    page.screenshot(path=artifacts / f"{theme}-redaktion-leistung-360.png", full_page=True)
    page.get_by_role("link", name=office_name).click()
    page.get_by_role("button", name=re.compile("Entfernen.*" + re.escape(lacking))).first.click()
    expect(page.get_by_text("Die Zuständigkeit wurde entfernt.")).to_be_visible()
    page.screenshot(path=artifacts / f"{theme}-redaktion-amt-360.png", full_page=True)
    assert_accessible(page)

    page.get_by_role("link", name="Seite des Amts ansehen").click()
    expect(page.get_by_role("link", name=phone)).to_be_visible()
    assert problems == []
