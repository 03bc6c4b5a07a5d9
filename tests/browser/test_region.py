"""The region in Chromium, both themes, axe on every page: a citizen chooses where they live
and sees the office change, follows a Lebenslage, and after a submission gets the next
services, which they tick off in the account."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import select

from portal.applications.models import FormVersion
from portal.catalog.models import Journey, JourneyStep, Leistung, LeistungKey
from portal.extensions import db
from tests.browser.conftest import LiveServer
from tests.browser.test_applications import submit_a_dog
from tests.catalog.test_places import Region, build_region
from tests.factories import make_office, make_service
from tests.support.axe import assert_accessible
from tests.support.offices import ensure_office

PHONE = {"width": 360, "height": 780}


def _setup(server: LiveServer) -> tuple[Region, str, str]:
    """A region and a journey: dog registration (the demo form) → passport → car."""
    ensure_office(server.app, "steueramt")
    with server.app.test_request_context("/"):
        suffix = f" {secrets.token_hex(2).upper()}"
        region = build_region(suffix)
        key = db.session.scalar(select(FormVersion.service_key).filter_by(key="hund-anmelden"))
        dog = make_service(make_office(), name="Hund anmelden (Region)")
        db.session.add(LeistungKey(leistung_id=dog.id, key=key))
        journey = Journey(slug=f"umzug-{secrets.token_hex(3)}", name="Umzug in den Kreis")
        journey.steps = [
            JourneyStep(leistung_id=dog.id, position=0, note="zuerst"),
            JourneyStep(leistung_id=region.passport, position=1, note="mit neuer Anschrift"),
            JourneyStep(leistung_id=region.car, position=2, note=""),
        ]
        db.session.add(journey)
        db.session.commit()
        return region, journey.slug, suffix


def _service_name(server: LiveServer, service_id: int) -> str:
    with server.app.app_context():
        found = db.session.get(Leistung, service_id)
        assert found is not None
        return found.name


def test_choose_a_place_follow_a_lebenslage_and_get_the_next_services(
    page: Page, forms_server: LiveServer, artifacts: Path
) -> None:
    theme = forms_server.app.config["PORTAL"].theme
    region, journey, suffix = _setup(forms_server)
    page.goto(f"{forms_server.url}/leistungen/{region.passport}/{region.passport_slug}")
    expect(page.locator("[data-choose-place]")).to_be_visible()
    assert_accessible(page)
    page.locator("[data-choose-place]").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Wo wohnen Sie?")
    page.get_by_role("button", name="Ort übernehmen").click()  # empty: a named error
    expect(page.locator("[data-error-summary]")).to_contain_text(
        "Bitte geben Sie Ihre Postleitzahl oder Ihren Ort ein."
    )
    assert_accessible(page)
    page.get_by_label("Postleitzahl oder Ort").fill(region.shared_code)
    page.get_by_role("button", name="Ort übernehmen").click()
    expect(page.locator("[data-several]")).to_be_visible()
    assert_accessible(page)
    page.get_by_label(f"Südweiler{suffix}").check()
    page.get_by_role("button", name="Diesen Ort wählen").click()
    here = page.locator("[data-here]")
    expect(here).to_contain_text(region.names["sued"])
    expect(here).not_to_contain_text(region.names["nord"])
    page.set_viewport_size(PHONE)
    assert_accessible(page)
    page.screenshot(path=artifacts / f"{theme}-ort-leistung-360.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_role("link", name="Anderen Wohnort wählen").click()
    page.get_by_label("Postleitzahl oder Ort").fill(f"Nordhausen-Süd{suffix}")
    page.get_by_role("button", name="Ort übernehmen").click()
    expect(page.locator("[data-here]")).to_contain_text(region.names["nord"])

    page.goto(f"{forms_server.url}/lebenslagen/{journey}")
    steps = page.locator("[data-steps] > li")
    expect(steps).to_have_count(3)
    expect(steps.nth(2)).to_contain_text(region.names["kreis"])
    expect(steps.nth(1)).to_contain_text(region.names["nord"])
    assert_accessible(page)
    page.screenshot(path=artifacts / f"{theme}-lebenslage.png", full_page=True)

    page.goto(f"{forms_server.url}/orte/{region.sued}")  # Südweiler's own entry
    expect(page.locator("[data-authority]")).to_contain_text(region.names["sued"])
    assert_accessible(page)
    page.get_by_role("link", name=re.compile("^Impressum und Datenschutz von")).click()
    assert_accessible(page)


def test_after_a_submission_the_next_services_are_suggested_and_ticked_off(
    page: Page, forms_server: LiveServer, artifacts: Path
) -> None:
    theme = forms_server.app.config["PORTAL"].theme
    region, _journey, _suffix = _setup(forms_server)
    submit_a_dog(page, forms_server.url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Ihr Antrag ist eingegangen")
    next_services = page.locator("[data-next-services]")
    expect(next_services).to_contain_text(_service_name(forms_server, region.passport))
    expect(next_services).to_contain_text(_service_name(forms_server, region.car))
    assert_accessible(page)
    page.get_by_role("link", name="Zum Nutzerkonto").click()
    suggestions = page.locator("[data-account-suggestions]")
    expect(suggestions).to_be_visible()
    passport = suggestions.locator(f'[data-suggestion="{region.passport}"]').first
    passport.get_by_role("button", name=re.compile("^Erledigt")).click()
    expect(page.locator(f'[data-account-suggestions] [data-suggestion="{region.passport}"]')
           ).to_have_count(0)  # fmt: skip
    page.set_viewport_size(PHONE)
    assert_accessible(page)
    page.screenshot(path=artifacts / f"{theme}-vorschlaege-360.png", full_page=True)
