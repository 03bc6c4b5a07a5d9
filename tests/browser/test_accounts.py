"""Back office accounts and the Organisationskonto pages in Chromium, with axe on every step."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer, fresh_admin
from tests.browser.test_layout import watch_csp
from tests.support.axe import assert_accessible


def test_an_administrator_grants_a_role(
    page: Page, themed_server: LiveServer, artifacts: Path
) -> None:
    theme = themed_server.app.config["PORTAL"].theme
    fresh_admin(themed_server)
    problems = watch_csp(page)
    page.goto(themed_server.url + "/verwaltung/")
    expect(page.get_by_text("Dies ist eine Test-Anmeldung, keine echte BundID.")).to_be_visible()
    expect(page.get_by_label("Anna Muster", exact=False)).to_have_count(0)
    assert_accessible(page)
    page.get_by_label("Ada Admin", exact=False).check()
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Verwaltung")
    expect(page.get_by_text("Administration – alle Ämter")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Zahlungen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Zahlungen")
    assert_accessible(page)
    page.get_by_role("link", name="Verwaltung", exact=True).click()
    page.get_by_role("link", name="Übermittlungen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Übermittlungen")
    assert_accessible(page)
    page.get_by_role("link", name="Verwaltung", exact=True).click()
    page.get_by_role("link", name="Verwaltungskonten und Rollen").click()
    page.get_by_role("button", name="Rolle vergeben").click()  # empty
    expect(page.locator("[data-error-summary]")).to_be_focused()
    assert_accessible(page)
    page.get_by_label("Dienstliche E-Mail-Adresse").fill("neu@musterstadt.example")
    page.get_by_label("Rolle", exact=True).select_option("redaktion")
    page.get_by_label("Amt", exact=True).select_option(index=2)
    page.get_by_role("button", name="Rolle vergeben").click()
    expect(
        page.get_by_text("Die Rolle wurde für neu@musterstadt.example eingetragen.")
    ).to_be_visible()
    page.set_viewport_size({"width": 360, "height": 800})
    page.screenshot(path=artifacts / f"{theme}-verwaltung-konten-360.png", full_page=True)
    assert_accessible(page)
    page.get_by_role("button", name="Abmelden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sie sind abgemeldet")
    assert problems == []


def test_organisation_pages(page: Page, themed_server: LiveServer) -> None:
    page.goto(themed_server.url + "/anmelden/organisation")
    page.get_by_label("Frieda Firma", exact=False).check()
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_text("Sie handeln für: Musterbau GmbH")).to_be_visible()
    expect(page.locator(".account-nav__acting")).to_have_text(": Musterbau GmbH")
    assert_accessible(page)
    page.get_by_label("Für mich selbst: Frieda Firma").check()
    page.get_by_role("button", name="Wechseln").click()
    expect(page.get_by_text("Sie handeln jetzt für sich selbst.")).to_be_visible()
    expect(page.locator(".account-nav__acting")).to_have_text(": Frieda Firma")
    page.get_by_label("Für Musterbau GmbH").check()
    page.get_by_role("button", name="Wechseln").click()
    page.get_by_role("link", name="Mitglieder von Musterbau GmbH").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mitglieder von Musterbau GmbH")
    assert_accessible(page)


def test_an_administrator_connects_a_fachverfahren(
    page: Page, themed_server: LiveServer, artifacts: Path
) -> None:
    """The access of a Fachverfahren: refused empty, made with its secret shown once,
    revoked; each step with axe, the last at 360 px."""
    theme = themed_server.app.config["PORTAL"].theme
    fresh_admin(themed_server)
    problems = watch_csp(page)
    page.goto(themed_server.url + "/verwaltung/")
    page.get_by_label("Ada Admin", exact=False).check()
    page.get_by_role("button", name="Anmelden").click()
    page.get_by_role("link", name="Schnittstelle für Fachverfahren").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Schnittstelle für Fachverfahren")
    assert_accessible(page)
    page.get_by_role("button", name="Zugang anlegen").click()  # empty
    expect(page.locator("[data-error-summary]")).to_be_focused()
    expect(page.get_by_text("Bitte wählen Sie das Amt").first).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Name des Fachverfahrens").fill("Hundesteuer-Verfahren")
    page.get_by_label("Amt", exact=True).select_option(index=1)
    page.get_by_label("Vorgänge lesen, Dateien abrufen, Eingang bestätigen").check()
    page.get_by_role("button", name="Zugang anlegen").click()
    expect(page.locator("[data-new-client]")).to_be_visible()
    secret = page.locator("[data-client-secret]").inner_text()
    assert len(secret) > 30
    page.screenshot(path=artifacts / f"{theme}-verwaltung-schnittstellen-1280.png", full_page=True)
    assert_accessible(page)
    page.set_viewport_size({"width": 360, "height": 800})
    assert_accessible(page)
    page.screenshot(path=artifacts / f"{theme}-verwaltung-schnittstellen-360.png", full_page=True)
    page.get_by_role("button", name="Hundesteuer-Verfahren").first.click()
    expect(page.get_by_text("Der Zugang „Hundesteuer-Verfahren“ ist widerrufen.")).to_be_visible()
    expect(page.get_by_text(secret)).to_have_count(0)
    assert_accessible(page)
    assert problems == []
