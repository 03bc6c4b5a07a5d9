"""The Baukasten in Chromium: an administrator creates a form from the Blue-Card FIM file in
the browser, reads what was not carried over, publishes it, and a citizen opens it; axe on every
page at 1280 and 360 px, both themes."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from portal.config import PROJECT_ROOT
from tests.browser.conftest import LiveServer, fresh_admin
from tests.browser.test_appointments import tab_to
from tests.browser.test_layout import watch_csp
from tests.support.axe import assert_accessible
from tests.support.offices import ensure_office

BLUE_CARD = (
    PROJECT_ROOT.parent
    / "shared"
    / "data"
    / ("fim_xdatenfelder2_S00000121_antrag_blaue_karte_eu.xml")
)
PHONE = {"width": 360, "height": 780}


def _both_widths(page: Page, path: Path) -> None:
    assert_accessible(page)
    page.screenshot(path=path.with_name(path.name + ".png"), full_page=True)
    page.set_viewport_size(PHONE)
    assert_accessible(page)
    page.screenshot(path=path.with_name(path.name + "-360.png"), full_page=True)
    page.set_viewport_size({"width": 320, "height": 700})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320, "scrolls sideways"
    page.set_viewport_size({"width": 1280, "height": 900})


def _settings_and_a_field(page: Page, artifacts: Path, theme: str) -> None:
    """The whole form's settings and one field, without code, by keyboard."""
    tab_to(page, page.locator("[data-settings]"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Angaben zum Formular")
    page.get_by_label("Gebühr in Euro").fill("100")
    tab_to(page, page.get_by_role("button", name="Speichern"))
    page.keyboard.press("Enter")  # a fee but "Keine Gebühr": a named error
    expect(page.locator("[data-error-summary]")).to_contain_text("wann sie bezahlt wird")
    _both_widths(page, artifacts / f"{theme}-formular-angaben")
    page.get_by_label("Bezahlung").select_option("afterwards")
    tab_to(page, page.get_by_role("button", name="Speichern"))
    page.keyboard.press("Enter")
    expect(page.locator(".kern-alert").first).to_contain_text("Die Angaben zum Formular sind")
    page.locator("[data-step] a").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Feld „")
    _both_widths(page, artifacts / f"{theme}-formular-feld")
    page.get_by_label("Hinweis unter der Beschriftung").fill("Wie im Pass")
    tab_to(page, page.get_by_role("button", name="Speichern"))
    page.keyboard.press("Enter")
    expect(page.locator(".kern-alert").first).to_contain_text("ist gespeichert")


def test_a_form_from_a_fim_file_is_published_in_the_browser(
    page: Page, themed_server: LiveServer, artifacts: Path
) -> None:
    theme = themed_server.app.config["PORTAL"].theme
    problems = watch_csp(page)
    ensure_office(themed_server.app, "auslaenderbehoerde")
    fresh_admin(themed_server)
    key = f"blaue-karte-{theme}"
    page.goto(themed_server.url + "/verwaltung/")
    page.get_by_label("Ada Admin", exact=False).check()
    page.get_by_role("button", name="Anmelden").click()
    link = page.get_by_role("link", name="Formulare", exact=True)
    tab_to(page, link)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Formulare")
    _both_widths(page, artifacts / f"{theme}-formulare")

    start = page.get_by_role("link", name="Neues Formular aus einem FIM-Schema")
    tab_to(page, start)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Neues Formular aus einem FIM-Schema")
    submit = page.get_by_role("button", name="Schema übernehmen")
    tab_to(page, submit)
    page.keyboard.press("Enter")  # no file: a named error, focused
    expect(page.locator("[data-error-summary]")).to_contain_text("XML-Datei des Schemas")
    _both_widths(page, artifacts / f"{theme}-formular-neu")

    office = page.get_by_label("Amt, das die Anträge bearbeitet")
    office.select_option(label=office.locator("option", has_text="Ausl").first.inner_text())
    page.get_by_label("FIM-Stammdatenschema (XML-Datei)").set_input_files(str(BLUE_CARD))
    page.get_by_label("Kurzname in der Adresse").fill(key)
    tab_to(page, page.get_by_role("button", name="Schema übernehmen"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Blaue Karte")
    expect(page.locator("[data-notes]")).to_be_visible()
    _both_widths(page, artifacts / f"{theme}-formular-entwurf")

    _settings_and_a_field(page, artifacts, theme)

    publish = page.get_by_role("button", name="Veröffentlichen")
    tab_to(page, publish, limit=400)
    page.keyboard.press("Enter")
    expect(page.locator(".kern-alert").first).to_contain_text("Version 1 ist veröffentlicht")
    assert_accessible(page)
    page.goto(f"{themed_server.url}/antrag/{key}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Blaue Karte")
    _both_widths(page, artifacts / f"{theme}-formular-buerger")
    assert problems == []
