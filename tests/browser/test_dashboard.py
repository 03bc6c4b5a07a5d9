"""The public dashboard in Chromium: a year of demo history, axe in both themes at 1280 and
360 px, charts named for screen readers with their tables, no sideways scrolling."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from portal.dashboard.demo import load_history
from portal.extensions import db
from tests.browser.conftest import LiveServer
from tests.browser.test_layout import watch_csp
from tests.support.axe import assert_accessible


@pytest.mark.parametrize("width", [1280, 360])
def test_the_dashboard_reads_without_javascript_and_passes_axe(
    page: Page, forms_server: LiveServer, width: int, artifacts: Path
) -> None:
    with forms_server.app.app_context():
        load_history()  # once per database: it finds itself the second time
        db.session.commit()
        db.session.remove()
    forms_server.app.extensions["dashboard_cache"] = None  # the figures of this moment
    problems = watch_csp(page)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(forms_server.url + "/")
    page.get_by_role("link", name="Digitalisierung in Zahlen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Digitalisierung in Zahlen")
    for name in ("Online gestellte Anträge pro Monat", "Leistungen nach Reifegrad"):
        expect(page.get_by_role("img", name=name)).to_be_visible()
        expect(page.get_by_role("table", name=name)).to_be_visible()
    months = page.get_by_role("table", name="Online gestellte Anträge pro Monat")
    expect(months.get_by_role("row")).to_have_count(13)
    assert_accessible(page)
    page.screenshot(
        path=artifacts / f"{forms_server.app.config['PORTAL'].theme}-dashboard-{width}.png",
        full_page=True,
    )
    assert problems == []
