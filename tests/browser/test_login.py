"""Login through the built-in test provider in Chromium: every page accessible, by keyboard."""

from __future__ import annotations

import re
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


def test_the_session_notice_warns_extends_and_keeps_input(
    page: Page, themed_server: LiveServer, artifacts: Path
) -> None:
    theme = themed_server.app.config["PORTAL"].theme
    page.clock.install()
    page.goto(themed_server.url + "/anmelden")
    page.get_by_label("Clara Hoch", exact=False).check()  # hoch: 5 minutes idle
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mein Nutzerkonto")
    confirm = page.get_by_label("Ja, ich möchte mein Nutzerkonto", exact=False)
    confirm.check()  # something entered on the page
    notice = page.locator("[data-session-message]")
    expect(notice).to_have_text("")
    page.clock.fast_forward("03:10")
    expect(notice).to_have_text(re.compile(r"Ihre Sitzung endet in etwa 2 Minuten"))
    page.set_viewport_size({"width": 360, "height": 800})
    page.screenshot(path=artifacts / f"{theme}-sitzung-360.png")
    assert_accessible(page)
    page.get_by_role("button", name="Sitzung verlängern").click()
    expect(notice).to_have_text("Ihre Sitzung wurde verlängert.")
    expect(confirm).to_be_checked()
    page.clock.fast_forward("00:10")
    expect(notice).to_have_text("")
    # Now let it run out while the page is open: the notice says so, the input stays.
    page.clock.fast_forward("05:05")
    expect(notice).to_have_text(re.compile("Ihre Sitzung ist abgelaufen"))
    expect(
        page.get_by_role("link", name="Erneut anmelden (öffnet einen neuen Tab)")
    ).to_be_visible()
    expect(page.get_by_role("button", name="Sitzung verlängern")).to_be_hidden()
    expect(confirm).to_be_checked()
    assert_accessible(page)
