"""Appointments in Chromium: a citizen books with the keyboard alone, at 1280 and 360 px, in
both themes (axe on every step), then cancels; an administrator opens the calendar's pages."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from portal.appointments import services
from portal.appointments.models import Offer
from portal.appointments.slots import BERLIN
from portal.core.db import utcnow
from portal.extensions import db
from tests.appointments.support import confirm_link
from tests.browser.conftest import LiveServer, fresh_admin
from tests.browser.test_layout import watch_csp
from tests.factories import make_calendar, make_office, make_service
from tests.support.axe import assert_accessible
from tests.support.jobs import run_rq_jobs

PHONE = {"width": 360, "height": 780}


def _calendar(server: LiveServer) -> tuple[int, str, int]:
    """A Bürgerbüro with one bookable service; (service id, its slug, the offer id)."""
    with server.app.test_request_context("/"):
        office = make_office(name="Bürgerbüro am Markt", street="Markt 1", postal_code="12345",
                             city="Musterstadt")  # fmt: skip
        service = make_service(office, name="Meldebescheinigung beantragen")
        offer = make_calendar(office, service, counters=2).offers[0]
        found = (service.id, service.slug, offer.id)
        db.session.commit()
    return found


def _look(page: Page, path: Path) -> None:
    """axe and a screenshot at 360 px (as the page is) and at 1280 px."""
    assert_accessible(page)
    page.screenshot(path=path.with_name(path.name + "-360.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    assert_accessible(page)
    page.screenshot(path=path.with_name(path.name + ".png"), full_page=True)
    page.set_viewport_size({"width": 320, "height": 700})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320, "scrolls sideways"
    page.set_viewport_size({"width": 1280, "height": 900})


def _free_days(server: LiveServer, offer_id: int) -> list[tuple[dt.date, int]]:
    with server.app.test_request_context("/"):
        offer = db.session.get(Offer, offer_id)
        assert offer is not None
        found = services.days_with_slots(offer, utcnow().astimezone(BERLIN).date(), 1)
        db.session.remove()
    return found


def tab_to(page: Page, target: Locator, limit: int = 120) -> None:
    """Press Tab until ``target`` has the focus: proves it is reachable by keyboard alone."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"not reached by Tab: {target}")


def _confirm_from_the_mail(page: Page, server: LiveServer, path: Path) -> None:
    """Held until the e-mailed link confirms it: the citizen is told so; the link asks once."""
    expect(page.get_by_role("heading", level=1)).to_have_text("Bitte bestätigen Sie Ihren Termin")
    expect(page.locator("[data-held]")).to_contain_text("erika@example.org")
    _look(page, path)
    page.set_viewport_size(PHONE)
    run_rq_jobs(server.app)
    page.goto(server.url + confirm_link(server.app, "erika@example.org"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Termin bestätigen")
    assert_accessible(page)
    confirm = page.get_by_role("button", name="Termin verbindlich buchen")
    tab_to(page, confirm)
    page.keyboard.press("Enter")


def test_a_citizen_books_and_cancels_with_the_keyboard_alone(
    page: Page, themed_server: LiveServer, artifacts: Path
) -> None:
    theme = themed_server.app.config["PORTAL"].theme
    problems = watch_csp(page)
    service_id, slug, offer_id = _calendar(themed_server)
    page.goto(f"{themed_server.url}/leistungen/{service_id}/{slug}")
    assert_accessible(page)
    link = page.get_by_role("link", name="Termin buchen: Bürgerbüro am Markt")
    tab_to(page, link)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Termin vereinbaren")
    assert_accessible(page)
    first_day = page.locator("[data-days] a").first
    tab_to(page, first_day)
    page.keyboard.press("Enter")
    expect(page.get_by_role("group", name="Schritt 2 von 2", exact=False)).to_be_visible()
    assert_accessible(page)

    book = page.get_by_role("button", name="Termin verbindlich buchen")
    tab_to(page, book)
    page.keyboard.press("Enter")  # nothing chosen: the errors, named, focused
    expect(page.locator("[data-error-summary]")).to_be_focused()
    expect(page.locator("[data-error-summary]")).to_contain_text("Bitte wählen Sie eine Uhrzeit.")
    assert_accessible(page)

    first_time = page.locator("[data-times] input").first
    tab_to(page, first_time)
    page.keyboard.press("Space")  # the focused time (late in the day it may be the only one)
    chosen = page.locator("[data-times] input:checked")
    expect(chosen).to_have_count(1)
    time = chosen.get_attribute("value")
    tab_to(page, page.get_by_label("Ihr Name"))
    page.keyboard.type("Erika Mustermann")
    page.keyboard.press("Tab")
    page.keyboard.type("erika@example.org")
    tab_to(page, book)
    page.set_viewport_size(PHONE)
    assert_accessible(page)
    page.keyboard.press("Enter")

    _confirm_from_the_mail(page, themed_server, artifacts / f"{theme}-termin-vorgemerkt")

    expect(page.get_by_role("heading", level=1)).to_have_text("Ihr Termin")
    expect(page.locator("[data-when]")).to_contain_text(f"{time} Uhr")
    _look(page, artifacts / f"{theme}-termin")

    cancel = page.get_by_role("button", name="Termin absagen")
    tab_to(page, cancel)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ihr Termin ist abgesagt")
    assert_accessible(page)
    assert _free_days(themed_server, offer_id)  # the time is free again
    assert problems == []


def test_an_administrator_sees_the_calendar_settings_and_the_day_list(
    page: Page, themed_server: LiveServer, artifacts: Path
) -> None:
    theme = themed_server.app.config["PORTAL"].theme
    fresh_admin(themed_server)
    _service_id, _slug, offer_id = _calendar(themed_server)
    _hoard(themed_server, offer_id)
    page.goto(themed_server.url + "/verwaltung/")
    page.get_by_label("Ada Admin", exact=False).check()
    page.get_by_role("button", name="Anmelden").click()
    page.get_by_role("link", name="Termine", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Termine")
    assert_accessible(page)
    page.locator("[data-calendars] li", has_text="Termine Bürgerbüro am Markt").last.get_by_role(
        "link", name="Einstellungen"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Einstellungen")
    assert_accessible(page)
    page.get_by_role("button", name="Schließtag eintragen").click()  # no day: a named error
    expect(page.locator("[data-error-summary]")).to_contain_text(
        "Bitte geben Sie den Tag als Datum ein."
    )
    assert_accessible(page)
    page.get_by_role("link", name="Termine Bürgerbüro am Markt").click()  # the breadcrumb
    expect(page.get_by_role("heading", level=1)).to_contain_text("Termine am")
    assert_accessible(page)
    page.set_viewport_size(PHONE)
    assert_accessible(page)
    page.screenshot(path=artifacts / f"{theme}-tagesliste-360.png", full_page=True)

    # One client holds six times: the day list points to them, one button cancels them all.
    page.get_by_role("link", name="Ansehen und absagen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Auffällig viele Termine")
    _look(page, artifacts / f"{theme}-auffaellig")
    page.get_by_role("button", name="Alle 6 Termine absagen", exact=False).first.click()
    expect(page.locator(".kern-alert")).to_contain_text("6 Termine abgesagt")
    expect(page.locator("[data-no-holders]")).to_be_visible()
    assert_accessible(page)


def _hoard(server: LiveServer, offer_id: int) -> None:
    """Six holds of one client, today or on the first day with times."""
    with server.app.test_request_context("/"):
        offer = db.session.get(Offer, offer_id)
        assert offer is not None
        found = services.days_with_slots(offer, utcnow().astimezone(BERLIN).date(), 5)
        day = next(day for day, count in found if count >= 8)  # late today, fewer are left
        for index, slot in enumerate(services.slots_on(offer, day)[:6]):
            services.book(offer, slot.starts_at, name="Viel", email=f"v{index}@example.org",
                          confirmed=False, client_key="feedc0ffee123456")  # fmt: skip
        db.session.commit()
