"""Walking the catalogue in real Chromium: start → Themenfeld → Lebenslage → Leistung → Stelle."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import MUENCHEN_SERVICES, LiveServer
from tests.browser.test_layout import watch_csp
from tests.support.axe import assert_accessible

pytestmark = pytest.mark.skipif(
    not MUENCHEN_SERVICES.exists(), reason="../shared/data fehlt neben dem Projekt"
)


def test_walk_from_the_start_page_to_an_office(
    page: Page, themed_server: LiveServer, artifacts: Path
) -> None:
    theme = themed_server.app.config["PORTAL"].theme
    problems = watch_csp(page)
    page.goto(themed_server.url + "/")
    assert_accessible(page)

    page.get_by_role("link", name="Unternehmensführung & -entwicklung").click()
    expect(page.locator("h1")).to_have_text("Unternehmensführung & -entwicklung")
    assert_accessible(page)

    page.get_by_role("link", name="Unternehmensstart & Gewerbezulassung").click()
    expect(page.locator("h1")).to_have_text("Unternehmensstart & Gewerbezulassung")
    assert_accessible(page)
    page.screenshot(path=artifacts / f"{theme}-lebenslage.png", full_page=True)

    page.get_by_role("link", name="Gewerbe-Anmeldung", exact=True).click()
    expect(page.locator("h1")).to_have_text("Gewerbe-Anmeldung")
    expect(page.locator('meta[name="leistungsschluessel"]')).to_have_attribute(
        "content", re.compile("99050012104000")
    )
    expect(page.get_by_role("heading", name="Sie brauchen")).to_be_visible()
    expect(page.get_by_role("heading", name="Kosten")).to_be_visible()
    breadcrumbs = page.get_by_role("navigation", name="Sie sind hier")
    expect(
        breadcrumbs.get_by_role("link", name="Unternehmensstart & Gewerbezulassung")
    ).to_be_visible()
    assert_accessible(page)
    page.screenshot(path=artifacts / f"{theme}-leistung.png", full_page=True)

    page.get_by_role("link", name="Gewerbeamt").first.click()
    expect(page.locator("h1")).to_have_text("Gewerbeamt")
    expect(page.get_by_role("link", name="gewerbemeldung.kvr@muenchen.de")).to_be_visible()
    expect(page.get_by_role("link", name="Gewerbe-Anmeldung", exact=True)).to_be_visible()
    assert_accessible(page)
    page.screenshot(path=artifacts / f"{theme}-stelle.png", full_page=True)
    assert problems == []


def test_an_empty_lebenslage_says_where_to_get_help(page: Page, themed_server: LiveServer) -> None:
    page.goto(themed_server.url + "/themen/forschung-foerderung")
    # Lebenslagen without a described service come after the others, with the 115.
    empty = page.locator("[data-empty-lebenslagen]")
    expect(empty.get_by_role("heading", name="Noch ohne beschriebene Leistungen")).to_be_visible()
    expect(empty.get_by_role("link", name="115")).to_have_attribute("href", "tel:115")
    assert_accessible(page)


def test_catalogue_pages_on_a_small_screen(page: Page, themed_server: LiveServer) -> None:
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(themed_server.url + "/")
    page.get_by_role("link", name="Unternehmensführung & -entwicklung").click()
    page.get_by_role("link", name="Unternehmensstart & Gewerbezulassung").click()
    page.get_by_role("link", name="Gewerbe-Anmeldung", exact=True).click()
    # Measure the new page, not one mid-navigation (documentElement is null for a moment).
    expect(page.get_by_role("heading", level=1)).to_have_text("Gewerbe-Anmeldung")
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(page)


def test_search_from_the_start_page(page: Page, themed_server: LiveServer, artifacts: Path) -> None:
    theme = themed_server.app.config["PORTAL"].theme
    page.goto(themed_server.url + "/")
    page.get_by_label("Suchbegriff").fill("Gewerbe")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Leistungen suchen")
    first = page.locator(".service-list__item a").first
    expect(first).to_have_text("Gewerbe-Anmeldung")
    assert_accessible(page)
    page.screenshot(path=artifacts / f"{theme}-suche.png", full_page=True)

    page.get_by_label("Suchbegriff").fill("Quarkstrudelverordnung")
    page.get_by_role("button", name="Suchen").click()
    expect(page.get_by_role("status")).to_have_text(
        "Keine Leistung gefunden für „Quarkstrudelverordnung“"
    )
    assert_accessible(page)

    # Issue 31, 16: a word no dog service has ("ummelden") no longer ends in nothing.
    for width in (360, 320):
        page.set_viewport_size({"width": width, "height": 740})
        page.goto(themed_server.url + "/suche?q=hund+ummelden")
        expect(page.locator("[data-partial]")).to_contain_text(
            "Keine Leistung passt zu allen Wörtern von „hund ummelden“."
        )
        # München's only dog service, though no service is called an Ummeldung of a dog.
        expect(page.locator(".service-list__item a").first).to_contain_text("Hund")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert_accessible(page)
    page.screenshot(path=artifacts / f"{theme}-suche-teilweise-320.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})

    page.get_by_label("Suchbegriff").fill("Perso")
    page.get_by_label("Unternehmen").check()
    page.get_by_role("button", name="Suchen").click()
    expect(page.get_by_label("Unternehmen")).to_be_checked()
    assert_accessible(page)


def test_a_to_z_by_keyboard(page: Page, themed_server: LiveServer, artifacts: Path) -> None:
    page.goto(themed_server.url + "/")
    page.get_by_role("link", name="Leistungen von A bis Z").click()
    expect(page.locator("h1")).to_have_text("Leistungen von A bis Z")
    letters = page.get_by_role("navigation", name="Anfangsbuchstaben")
    letters.get_by_role("link", name="G", exact=True).focus()
    page.keyboard.press("Enter")
    expect(page.locator("h2").first).to_have_text("G")
    expect(page.get_by_role("link", name="Gewerbe-Anmeldung", exact=True)).to_be_visible()
    assert_accessible(page)
    theme = themed_server.app.config["PORTAL"].theme
    page.screenshot(path=artifacts / f"{theme}-a-z.png", full_page=True)


def test_search_error_state_is_accessible(page: Page, themed_server: LiveServer) -> None:
    # The field stops typing at 200 characters (maxlength); a longer query can only come by URL.
    page.goto(themed_server.url + "/suche")
    page.get_by_label("Suchbegriff").fill("x" * 201)
    expect(page.get_by_label("Suchbegriff")).to_have_value("x" * 200)
    page.goto(themed_server.url + "/suche?q=" + "x" * 201)
    expect(page.get_by_text("Bitte geben Sie höchstens 200 Zeichen ein.")).to_be_visible()
    expect(page.get_by_label("Suchbegriff")).to_have_value("x" * 201)
    assert_accessible(page)
