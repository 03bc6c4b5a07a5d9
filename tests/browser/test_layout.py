"""The page frame in real Chromium: both themes, axe-core, keyboard, CSP, small screens."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from tests.browser.conftest import LiveServer
from tests.support.axe import AccessibilityError, assert_accessible

PAGES = {
    "start": "/",
    "barrierefreiheit": "/barrierefreiheit",
    "impressum": "/impressum",
    "datenschutz": "/datenschutz",
    "leichte-sprache": "/leichte-sprache",
    "gebaerdensprache": "/gebaerdensprache",
    "ort": "/ort",
    "404": "/diese-seite-gibt-es-nicht",
}


def watch_csp(page: Page) -> list[str]:
    """Collect console messages about blocked content (CSP violations, missing files)."""
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        text = message.text
        if message.type == "error" and ("Content Security Policy" in text or "Refused" in text):
            problems.append(text)

    page.on("console", on_console)
    return problems


@pytest.mark.parametrize("name", PAGES)
def test_pages_are_accessible_in_both_themes(
    page: Page, themed_server: LiveServer, name: str, artifacts: Path
) -> None:
    problems = watch_csp(page)
    response = page.goto(themed_server.url + PAGES[name])
    assert response is not None
    assert response.status == (404 if name == "404" else 200)
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.locator("h1")).to_have_count(1)
    assert_accessible(page)
    theme = themed_server.app.config["PORTAL"].theme
    page.screenshot(path=artifacts / f"{theme}-{name}.png", full_page=True)
    assert problems == []


def test_kern_styles_are_applied(page: Page, live_servers: Callable[[str], LiveServer]) -> None:
    page.goto(live_servers("default").url + "/")
    font = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert "Fira Sans" in font
    token = page.evaluate(
        "getComputedStyle(document.documentElement).getPropertyValue('--kern-color-action-default')"
    )
    assert token.strip(), "KERN-UX design tokens are missing"
    assert page.evaluate("document.fonts.check('16px \"Fira Sans\"')")


def test_example_theme_changes_the_look(
    page: Page, live_servers: Callable[[str], LiveServer]
) -> None:
    looks = {}
    for theme in ("default", "example-stadt"):
        server = live_servers(theme)
        page.goto(server.url + "/")
        looks[theme] = {
            "header": page.evaluate(
                "getComputedStyle(document.querySelector('.site-header')).backgroundColor"
            ),
            "name": page.locator(".site-brand__name").inner_text(),
            "logo": page.evaluate(
                "fetch(document.querySelector('.site-brand__logo').src).then(r => r.text())"
            ),
            "service_bar": page.locator(".service-bar").count(),
        }
    assert looks["default"]["name"] == "Musterstadt"
    assert looks["example-stadt"]["name"] == "Beispielstadt"
    assert looks["default"]["header"] != looks["example-stadt"]["header"]
    assert looks["example-stadt"]["header"] == "rgb(0, 89, 79)"
    assert looks["default"]["logo"] != looks["example-stadt"]["logo"]
    assert (looks["default"]["service_bar"], looks["example-stadt"]["service_bar"]) == (0, 1)


def test_skip_link_is_first_and_moves_focus_to_the_content(
    page: Page, themed_server: LiveServer
) -> None:
    page.goto(themed_server.url + "/barrierefreiheit")
    page.keyboard.press("Tab")
    focused = page.locator(":focus")
    expect(focused).to_have_text("Zum Inhalt springen")
    expect(focused).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main#inhalt")).to_be_focused()
    # The next Tab continues inside the content, not at the top of the page again.
    page.keyboard.press("Tab")
    assert page.evaluate("document.querySelector('main').contains(document.activeElement)")
    expect(page.locator(":focus")).to_have_attribute("id", "message")


def test_language_switch_by_keyboard(page: Page, themed_server: LiveServer) -> None:
    page.goto(themed_server.url + "/impressum")
    page.locator("a.language-switch").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/impressum")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Legal notice")
    assert_accessible(page)
    page.get_by_role("link", name="Deutsch").click()
    expect(page.locator("html")).to_have_attribute("lang", "de")


def test_feedback_form_errors_then_success(
    page: Page, themed_server: LiveServer, artifacts: Path
) -> None:
    problems = watch_csp(page)
    page.goto(themed_server.url + "/barrierefreiheit")
    page.get_by_label("Ihre E-Mail-Adresse").fill("nicht gültig")
    page.get_by_role("button", name="Rückmeldung senden").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()  # portal.js moves focus for screen readers and keyboards
    expect(page.get_by_label("Ihre E-Mail-Adresse")).to_have_value("nicht gültig")
    assert_accessible(page)
    theme = themed_server.app.config["PORTAL"].theme
    page.screenshot(path=artifacts / f"{theme}-feedback-errors.png", full_page=True)
    # The summary links lead to the fields.
    summary.get_by_role("link", name="Ihre Nachricht:").click()
    expect(page.locator("#message")).to_be_focused()
    page.keyboard.type("Die Schrift im Kopfbereich ist zu klein.")
    page.get_by_label("Ihre E-Mail-Adresse").fill("erika@example.org")
    page.get_by_role("button", name="Rückmeldung senden").click()
    expect(
        page.get_by_text("Vielen Dank. Ihre Rückmeldung ist bei uns eingegangen.")
    ).to_be_visible()
    assert_accessible(page)
    assert problems == []


def test_small_screens_do_not_scroll_sideways(
    page: Page, themed_server: LiveServer, artifacts: Path
) -> None:
    page.set_viewport_size({"width": 360, "height": 740})
    for name, path in PAGES.items():
        page.goto(themed_server.url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{path} is {width}px wide"
        if name == "barrierefreiheit":
            theme = themed_server.app.config["PORTAL"].theme
            page.screenshot(path=artifacts / f"{theme}-360px-{name}.png", full_page=True)
    assert_accessible(page)


def test_the_axe_helper_fails_on_a_violation(page: Page) -> None:
    """Guard against a checker that passes everything."""
    page.set_content(
        "<!doctype html><html><head><title>x</title></head>"
        '<body><main><img src="foto.png"><a href="/"></a></main></body></html>'
    )
    with pytest.raises(AccessibilityError) as failure:
        assert_accessible(page)
    assert "image-alt" in str(failure.value)
    assert "html-has-lang" in str(failure.value)


@pytest.mark.parametrize(("width", "height"), [(360, 640), (320, 568)])
def test_the_start_pages_search_is_on_a_phones_first_screen(
    page: Page, themed_server: LiveServer, width: int, height: int, artifacts: Path
) -> None:
    page.set_viewport_size({"width": width, "height": height})
    page.goto(themed_server.url + "/")
    box = page.get_by_role("searchbox").or_(page.locator("input[name=q]")).first.bounding_box()
    assert box is not None
    assert box["y"] + box["height"] <= height, "the search field is below the first screen"
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    theme = themed_server.app.config["PORTAL"].theme
    page.screenshot(path=artifacts / f"{theme}-start-erster-bildschirm-{width}.png")


def test_long_addresses_wrap_instead_of_widening_the_page(
    page: Page, themed_server: LiveServer
) -> None:
    """Issue 31, 15: a long e-mail address made the Personalausweis page 20 px too wide at
    320 px. Every e-mail address, link and value of a description list may wrap anywhere."""
    from portal.catalog.models import Leistung, Office, Zustaendigkeit
    from portal.extensions import db

    long_mail = "buergerservice.verwaltungsgemeinschaft-langenwiesenbach@beispielgemeinde.example"
    key = f"lang-mail-{secrets.token_hex(3)}"
    with themed_server.app.app_context():
        office = Office(source="test", source_id=key, name="Bürgerbüro Langenwiesenbach",
                        slug=key, email=long_mail, content_hash="x")  # fmt: skip
        service = Leistung(source="test", source_id=key, name="Personalausweis lang",
                           slug=key, content_hash="x")  # fmt: skip
        service.zustaendigkeiten.append(Zustaendigkeit(office=office, area=""))
        db.session.add_all([office, service])
        db.session.commit()
        paths = [f"/stellen/{office.id}", f"/leistungen/{service.id}"]
    page.set_viewport_size({"width": 320, "height": 700})
    for path in paths:
        page.goto(themed_server.url + path)
        expect(page.get_by_text(long_mail).first).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, path
