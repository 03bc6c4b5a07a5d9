"""Login through the built-in test provider in Chromium: every page accessible, by keyboard."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer
from tests.browser.test_layout import watch_csp
from tests.support.axe import assert_accessible


def test_login_account_and_logout(page: Page, themed_server: LiveServer, artifacts: Path) -> None:
    problems = watch_csp(page)
    theme = themed_server.app.config["PORTAL"].theme
    page.goto(themed_server.url + "/")
    page.get_by_role("link", name="Anmelden").click()
    expect(page.get_by_text("Dies ist eine Test-Anmeldung, keine echte BundID.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Anmelden").click()  # nothing chosen
    expect(page.get_by_text("Bitte wählen Sie eine Testperson aus.")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Bernd Beispiel", exact=False).check()
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mein Nutzerkonto")
    expect(page.get_by_text("Sie handeln für sich selbst: Bernd Beispiel")).to_be_visible()
    assert_accessible(page)
    page.set_viewport_size({"width": 360, "height": 800})
    page.screenshot(path=artifacts / f"{theme}-konto-360.png", full_page=True)
    assert_accessible(page)
    page.get_by_role("button", name="Konto endgültig löschen").click()  # not confirmed
    expect(page.locator("[data-error-summary]")).to_be_focused()
    assert_accessible(page)
    page.get_by_role("button", name="Abmelden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sie sind abgemeldet")
    assert_accessible(page)
    expect(page.get_by_role("link", name="Anmelden")).to_be_visible()
    assert problems == []


def test_a_refused_login_ends_on_an_accessible_german_page(
    page: Page, themed_server: LiveServer
) -> None:
    page.goto(themed_server.url + "/anmelden")
    page.get_by_role("button", name="Abbrechen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Anmeldung nicht möglich")
    expect(page.get_by_text("Sie haben die Anmeldung abgebrochen.")).to_be_visible()
    assert_accessible(page)
