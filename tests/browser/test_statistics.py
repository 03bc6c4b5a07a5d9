"""The office statistics in Chromium: a clerk's figures after a submission, axe in both themes at
1280 and 360 px (the tables scroll inside their region, the page does not)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer, fresh_admin
from tests.browser.test_applications import _log_in
from tests.browser.test_xbezahldienste import _submit_parking_permit
from tests.support.axe import assert_accessible
from tests.support.staff import grant_staff


def test_the_clerk_reads_the_statistics_of_the_office(
    page: Page, forms_server: LiveServer, artifacts: Path, tmp_path: Path
) -> None:
    _submit_parking_permit(page, forms_server, tmp_path)
    fresh_admin(forms_server)
    grant_staff(forms_server.app, "sven@musterstadt.example", "amtsleitung", "kfz")
    staff = page.context.browser.new_context()  # type: ignore[union-attr]
    clerk = staff.new_page()
    clerk.goto(forms_server.url + "/verwaltung/")
    if "anmelden" in clerk.url or clerk.get_by_text("Test-Anmeldung").count():
        _log_in(clerk, "Sven Sachbearbeiter")
    clerk.get_by_role("link", name="Statistik Ihrer Ämter").click()
    for width in (1280, 360):
        clerk.set_viewport_size({"width": width, "height": 800})
        expect(clerk.get_by_role("heading", level=1)).to_have_text("Statistik Ihrer Ämter")
        kfz = clerk.get_by_role("region", name="Vorgänge nach Stand").first
        expect(kfz).to_be_visible()
        expect(clerk.get_by_role("table", name="Vorgänge nach Stand").first).to_contain_text(
            "Eingegangen"
        )
        assert_accessible(clerk)
        clerk.screenshot(path=artifacts / f"statistik-{width}.png", full_page=True)
    staff.close()
