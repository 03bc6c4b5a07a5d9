"""Paying through the built-in XBezahldienste stand-in in Chromium: its pay page, a return
without a result, paying, the Kasse's Kassenzeichen on the receipt, and the clerk's payment
list with the stuck view; axe on every page, both themes, at 1280 and 360 px."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from portal.applications.models import Application
from portal.core.db import utcnow
from portal.extensions import db
from portal.payments.models import Payment
from tests.browser.conftest import LiveServer, fresh_admin
from tests.browser.test_applications import PDF, _log_in
from tests.support.axe import assert_accessible
from tests.support.staff import grant_staff


@pytest.fixture
def xbd_server(forms_server: LiveServer) -> Iterator[LiveServer]:
    """The demo's route: the parking permit's fee goes to the XBezahldienste stand-in."""
    routes = forms_server.app.extensions["payment_routes"]
    routes["form:bewohnerparkausweis"] = "xbd:testdienst"
    yield forms_server
    routes.pop("form:bewohnerparkausweis", None)


def _submit_parking_permit(page: Page, server: LiveServer, tmp_path: Path) -> None:
    page.goto(server.url + "/antrag/bewohnerparkausweis")
    page.get_by_role("link", name="Anmelden und Antrag beginnen").click()
    _log_in(page, "Bernd Beispiel")
    page.get_by_role("button", name="Antrag beginnen").click()
    page.get_by_role("button", name="Weiter", exact=True).click()
    page.get_by_label("Amtliches Kennzeichen").fill("MS-XB 20")
    page.get_by_role("group", name=re.compile("Halterin oder Halter")).get_by_label("Ja").check()
    scan = tmp_path / "fahrzeugschein.pdf"
    scan.write_bytes(PDF)
    page.get_by_label("Fahrzeugschein", exact=False).set_input_files(scan)
    page.get_by_role("button", name="Weiter", exact=True).click()
    page.get_by_label("Zone A – Altstadt").check()
    page.get_by_label("1 Jahr (30,60 Euro)").check()
    page.get_by_role("button", name="Weiter", exact=True).click()
    page.get_by_role("button", name="Antrag verbindlich absenden").click()


@pytest.mark.parametrize("width", [1280, 360])
def test_paying_through_the_payment_service_of_the_stadtkasse(
    page: Page, xbd_server: LiveServer, artifacts: Path, tmp_path: Path, width: int
) -> None:
    theme = xbd_server.app.config["PORTAL"].theme
    page.set_viewport_size({"width": width, "height": 800})
    _submit_parking_permit(page, xbd_server, tmp_path)
    page.get_by_role("button", name="Jetzt 30,60 € bezahlen").click()
    expect(page.get_by_text("Testdienst: Hier wird kein Geld bewegt.")).to_be_visible()
    assert "/testdienst/xbezahldienste/bezahlen/" in page.url
    assert_accessible(page)
    page.screenshot(path=artifacts / f"{theme}-xbd-bezahlseite-{width}.png", full_page=True)
    page.get_by_role("button", name="Ohne Ergebnis zurück").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Zahlung wird geprüft")
    expect(page.locator("[data-kassenzeichen]")).to_have_count(0)  # the Kasse's comes once paid
    assert_accessible(page)
    expect(page.get_by_role("button", name="Jetzt bezahlen")).to_have_count(0)  # not prominent
    page.get_by_role("button", name="Zahlung beim Anbieter fortsetzen").click()  # the same one
    page.get_by_role("button", name="Bezahlen", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Zahlung eingegangen")
    kassenzeichen = page.locator("[data-kassenzeichen]").inner_text()
    assert re.fullmatch(r"KZ\d{10}", kassenzeichen)
    assert_accessible(page)
    page.screenshot(path=artifacts / f"{theme}-xbd-bezahlt-{width}.png", full_page=True)
    with xbd_server.app.app_context():
        payment = db.session.query(Payment).filter_by(transaction_reference=kassenzeichen).one()
        assert payment.provider == "xbd:testdienst"
        db.session.remove()


def test_the_clerk_sees_payments_and_the_stuck_view(
    page: Page, xbd_server: LiveServer, artifacts: Path, tmp_path: Path
) -> None:
    _submit_parking_permit(page, xbd_server, tmp_path)
    page.get_by_role("button", name="Jetzt 30,60 € bezahlen").click()
    page.get_by_role("button", name="Ohne Ergebnis zurück").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Zahlung wird geprüft")
    with xbd_server.app.app_context():  # the citizen never came back: 45 minutes later
        waiting = db.session.scalars(
            select(Payment).where(Payment.provider == "xbd:testdienst", Payment.paid_at.is_(None))
        ).all()
        for payment in waiting:
            payment.attempt_started_at = utcnow() - dt.timedelta(minutes=45)
        kassenzeichen = [payment.kassenzeichen for payment in waiting]
        db.session.commit()
        db.session.remove()
    fresh_admin(xbd_server)
    grant_staff(xbd_server.app, "sven@musterstadt.example", "amtsleitung", "kfz")
    staff = page.context.browser.new_context()  # type: ignore[union-attr]
    clerk = staff.new_page()
    for width in (1280, 360):
        clerk.set_viewport_size({"width": width, "height": 800})
        clerk.goto(xbd_server.url + "/verwaltung/zahlungen")
        if "anmelden" in clerk.url or clerk.get_by_text("Test-Anmeldung").count():
            _log_in(clerk, "Sven Sachbearbeiter")
        expect(clerk.get_by_role("heading", level=1)).to_have_text("Zahlungen")
        expect(
            clerk.get_by_role("button", name=re.compile("Status jetzt prüfen")).first
        ).to_be_visible()
        assert_accessible(clerk)
        clerk.get_by_role("link", name=re.compile("ohne Ergebnis")).click()
        for number in kassenzeichen:
            expect(clerk.get_by_text(number, exact=True).first).to_be_visible()
        assert_accessible(clerk)
        clerk.screenshot(path=artifacts / f"xbd-zahlungen-haengend-{width}.png", full_page=True)
    clerk.get_by_role("link", name="Alle Zahlungen").click()
    clerk.get_by_role("button", name=re.compile("Status jetzt prüfen")).first.click()
    expect(clerk.get_by_text("Stand beim Zahlungsanbieter: noch nicht bezahlt.")).to_be_visible()
    assert_accessible(clerk)
    staff.close()


def test_a_kasse_refund_is_requested_then_recorded_as_done(
    page: Page, xbd_server: LiveServer, artifacts: Path, tmp_path: Path
) -> None:
    """Issue 31, 5: "Erstattung angefordert" until the clerk records the Kasse's transfer."""
    _submit_parking_permit(page, xbd_server, tmp_path)
    page.get_by_role("button", name="Jetzt 30,60 € bezahlen").click()
    page.get_by_role("button", name="Bezahlen", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Zahlung eingegangen")
    kassenzeichen = page.locator("[data-kassenzeichen]").inner_text()
    mine = page.url
    fresh_admin(xbd_server)
    grant_staff(xbd_server.app, "sven@musterstadt.example", "amtsleitung", "kfz")
    staff = page.context.browser.new_context()  # type: ignore[union-attr]
    clerk = staff.new_page()
    clerk.goto(xbd_server.url + "/verwaltung/zahlungen")
    if "anmelden" in clerk.url or clerk.get_by_text("Test-Anmeldung").count():
        _log_in(clerk, "Sven Sachbearbeiter")
    item = clerk.locator(".application-list__item").filter(has_text=kassenzeichen)
    item.get_by_label("Grund").fill("Antrag zurückgenommen")
    item.get_by_role("button", name=re.compile("Erstatten")).click()
    expect(clerk.get_by_text("bei der Stadtkasse angefordert", exact=False).first).to_be_visible()
    item = clerk.locator(".application-list__item").filter(has_text=kassenzeichen)
    expect(item.locator('[data-kasse-refund="angefordert"]')).to_be_visible()
    assert_accessible(clerk)
    with xbd_server.app.app_context():
        payment = db.session.query(Payment).filter_by(transaction_reference=kassenzeichen).one()
        application = db.session.get(Application, payment.application_id)
        assert application is not None
        citizen_page = f"/antraege/{application.public_id}/bestaetigung"
        db.session.remove()
    page.goto(xbd_server.url + citizen_page)
    expect(page.locator("[data-refund-note]")).to_have_text(
        "Erstattung angefordert: 30,60 € (die Stadtkasse überweist)"
    )
    for width in (360, 320):
        page.set_viewport_size({"width": width, "height": 800})
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert_accessible(page)
    item.get_by_role("button", name=re.compile("Die Stadtkasse hat erstattet")).click()
    expect(clerk.get_by_text("Eingetragen: Die Stadtkasse hat 30,60", exact=False)).to_be_visible()
    item = clerk.locator(".application-list__item").filter(has_text=kassenzeichen)
    expect(item.locator('[data-payment-state="erstattet"]')).to_be_visible()
    assert_accessible(clerk)
    clerk.set_viewport_size({"width": 360, "height": 800})
    clerk.screenshot(path=artifacts / "xbd-erstattet-360.png", full_page=True)
    page.goto(xbd_server.url + citizen_page)
    expect(page.locator('[data-payment-state="erstattet"]')).to_be_visible()
    assert_accessible(page)
    assert mine
    staff.close()
