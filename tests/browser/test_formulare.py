"""The Baukasten in Chromium: an administrator creates a form from the Blue-Card FIM file in
the browser, reads what was not carried over, publishes it, and a citizen opens it; axe on every
page at 1280 and 360 px, both themes. The must-hold journey of issue 28: the Blue Card with a
condition, an upload and a fee, previewed, tried as a Testantrag that reaches the test target,
published, and submitted by a citizen."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import select

from portal.applications.models import Application
from portal.config import PROJECT_ROOT
from portal.extensions import db
from portal.handoff.models import Delivery, DeliveryState
from tests.browser.conftest import LiveServer, fresh_admin
from tests.browser.test_appointments import tab_to
from tests.browser.test_layout import watch_csp
from tests.support.axe import assert_accessible
from tests.support.jobs import run_rq_jobs
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
    page.get_by_label("Gebühr", exact=True).select_option("fixed")
    page.get_by_label("Fester Betrag in Euro").fill("100")
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

    page.goto(page.url.split("#")[0])  # the saved field's anchor is below the form's actions
    publish = page.get_by_role("button", name="Veröffentlichen")
    tab_to(page, publish, limit=400)
    page.keyboard.press("Enter")
    expect(page.locator(".kern-alert").first).to_contain_text("Version 1 ist veröffentlicht")
    assert_accessible(page)
    page.goto(f"{themed_server.url}/antrag/{key}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Blaue Karte")
    _both_widths(page, artifacts / f"{theme}-formular-buerger")
    assert problems == []


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"


def _fill_step(page: Page, upload: Path, yes: set[str]) -> None:
    """Answer every visible question of a citizen's step plausibly: text, numbers, dates, a PDF
    for each upload, "Nein" for yes/no unless the question is in ``yes``, the first choice."""
    form = page.locator("form[enctype], form[action*='/antraege/']").last
    for item in form.locator("input:not([type=hidden]), textarea, select").all():
        if not item.is_visible() or not item.is_editable():
            continue
        kind = (item.get_attribute("type") or item.evaluate("e => e.tagName")).lower()
        if kind == "file":
            item.set_input_files(str(upload))
        elif kind == "date":
            item.fill("2026-01-15")
        elif kind == "select":
            values = [o.get_attribute("value") for o in item.locator("option").all()]
            item.select_option(next(v for v in values if v))
        elif kind in ("radio", "checkbox"):
            continue
        elif (item.get_attribute("inputmode") or "") in ("numeric", "decimal") or kind == "number":
            item.fill("1")
        elif kind == "email":
            item.fill("anna@example.org")
        elif (
            "Postleitzahl" in form.locator(f"label[for='{item.get_attribute('id')}']").inner_text()
        ):
            item.fill("12345")
        else:
            item.fill("Muster")
    for group in form.locator("fieldset:has(input[type=radio])").all():
        legend = group.locator("legend").inner_text()
        wanted = "Ja" if any(words in legend for words in yes) else "Nein"
        choice = group.get_by_label(wanted, exact=True)
        if choice.count() == 0:
            choice = group.locator("input[type=radio]").first
        choice.check()


def _apply(page: Page, artifacts: Path, name: str, yes: set[str], *, look: bool) -> str:
    """From the start page to the confirmation; returns the Aktenzeichen."""
    upload = artifacts / "nachweis.pdf"
    upload.write_bytes(PDF)
    begin = page.get_by_role("button", name=re.compile("Antrag beginnen|Antrag stellen"))
    tab_to(page, begin, limit=200)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    for number in range(1, 40):
        if page.url.endswith("/pruefen"):
            break
        _fill_step(page, upload, yes)
        if look:
            assert_accessible(page)
            if number == 1:
                _both_widths(page, artifacts / f"{name}-schritt")
        page.get_by_role("button", name="Weiter", exact=True).focus()
        with page.expect_navigation():
            page.keyboard.press("Enter")
        summary = page.locator("[data-error-summary]")
        assert summary.count() == 0, summary.inner_text()
    expect(page.get_by_role("heading", level=1)).to_have_text("Angaben prüfen")
    if look:
        _both_widths(page, artifacts / f"{name}-pruefen")
    send = page.get_by_role("button", name=re.compile("absenden", re.IGNORECASE))
    send.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    reference = page.locator("[data-reference]")
    expect(reference).to_be_visible()
    assert_accessible(page)
    return reference.inner_text()


def _baukasten_step(page: Page, title: str, kind: str, label: str) -> None:
    """A new step with one field, from the draft's page, by keyboard."""
    page.get_by_label("Überschrift des neuen Schritts").focus()
    page.keyboard.type(title)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Neues Feld in")
    assert_accessible(page)
    page.get_by_label("Art des Feldes").select_option(kind)
    page.get_by_label("Beschriftung des neuen Feldes").focus()
    page.keyboard.type(label)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Feld „{label}“")


def test_must_hold_the_blue_card_with_a_condition_an_upload_and_a_fee_tested_then_published(  # noqa: PLR0915 - one journey
    page: Page, live_servers: Callable[[str], LiveServer], artifacts: Path
) -> None:
    server = live_servers("default")
    problems = watch_csp(page)
    ensure_office(server.app, "auslaenderbehoerde")
    fresh_admin(server)
    page.goto(server.url + "/verwaltung/")
    page.get_by_label("Ada Admin", exact=False).check()
    page.get_by_role("button", name="Anmelden").click()
    page.goto(server.url + "/verwaltung/formulare/neu")
    office = page.get_by_label("Amt, das die Anträge bearbeitet")
    office.select_option(label=office.locator("option", has_text="Ausl").first.inner_text())
    page.get_by_label("FIM-Stammdatenschema (XML-Datei)").set_input_files(str(BLUE_CARD))
    page.get_by_label("Kurzname in der Adresse").fill("blaue-karte-eu")
    tab_to(page, page.get_by_role("button", name="Schema übernehmen"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Blaue Karte")
    draft_url = page.url.split("#")[0]

    # The fee: 100 Euro, paid after sending.
    tab_to(page, page.locator("[data-settings]"))
    page.keyboard.press("Enter")
    page.get_by_label("Gebühr", exact=True).select_option("fixed")
    page.get_by_label("Fester Betrag in Euro").fill("100")
    page.get_by_label("Bezahlung").select_option("afterwards")
    tab_to(page, page.get_by_role("button", name="Speichern"), limit=200)
    page.keyboard.press("Enter")
    expect(page.locator(".kern-alert").first).to_contain_text("Die Angaben zum Formular sind")

    # An upload that is asked for only when the citizen has health insurance (one condition).
    _baukasten_step(page, "Nachweis der Krankenversicherung", "file", "Versicherungsnachweis")
    _both_widths(page, artifacts / "baukasten-feld-datei")
    page.get_by_label("Pflichtfeld").check()
    page.get_by_label("Bild (PNG)").uncheck()
    page.get_by_label("Größte Datei in MB").fill("5")
    condition = page.get_by_label("Nur zeigen, wenn")
    value = condition.locator("option", has_text="= Ja").first.get_attribute("value")
    assert value
    condition.select_option(value)
    tab_to(page, page.get_by_role("button", name="Speichern"), limit=200)
    page.keyboard.press("Enter")
    expect(page.locator(".kern-alert").first).to_contain_text("ist gespeichert")
    expect(page.locator("[data-field$='.versicherungsnachweis']")).to_contain_text("mit Bedingung")
    _both_widths(page, artifacts / "baukasten-entwurf")

    # The preview of the new step, as a citizen would see it.
    tab_to(page, page.locator("[data-preview]"))
    page.keyboard.press("Enter")
    expect(page.locator("[data-preview-note]")).to_be_visible()
    _both_widths(page, artifacts / "baukasten-vorschau")
    page.get_by_role("link", name=re.compile("Nachweis der Krankenversicherung")).focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Nachweis der Krankenversicherung")
    expect(page.locator(".condition-note").first).to_contain_text("Ja")
    _both_widths(page, artifacts / "baukasten-vorschau-schritt")

    # A Testantrag through the whole path, to the test target.
    page.goto(draft_url)
    tab_to(page, page.locator("[data-make-test]"), limit=400)
    page.keyboard.press("Enter")
    link = page.locator("[data-test-link] a")
    expect(link).to_be_visible()
    test_url = link.get_attribute("href")
    assert test_url
    page.goto(server.url + test_url)
    page.get_by_role("link", name="Anmelden und Antrag beginnen").click()
    page.get_by_label("Anna Muster", exact=False).check()
    page.get_by_role("button", name="Anmelden").click()
    reference = _apply(page, artifacts, "baukasten-testantrag", {"Krankenversicherung"},
                       look=True)  # fmt: skip
    expect(page.locator("[data-test-mark]")).to_be_visible()
    _both_widths(page, artifacts / "baukasten-testantrag-eingang")
    run_rq_jobs(server.app)
    with server.app.app_context():
        application = db.session.scalar(select(Application).filter_by(reference=reference))
        assert application is not None
        assert application.test
        files = {f.field for f in application.files}
        assert "versicherungsnachweis" in files  # the condition held, the upload was asked for
        delivery = db.session.scalar(select(Delivery).filter_by(application_id=application.id))
        assert delivery is not None
        assert delivery.target.startswith("test:")
        assert delivery.state == DeliveryState.DELIVERED
    page.goto(draft_url)
    expect(page.locator(f"[data-test-application='{reference}']")).to_contain_text("übermittelt")

    # Published: a citizen submits the real thing, which goes to the office, with the fee.
    tab_to(page, page.locator("[data-publish]"), limit=400)
    page.keyboard.press("Enter")
    expect(page.locator(".kern-alert").first).to_contain_text("Version 1 ist veröffentlicht")
    assert_accessible(page)
    page.goto(server.url + "/antrag/blaue-karte-eu")
    real = _apply(page, artifacts, "baukasten-buerger", set(), look=False)
    expect(page.locator("[data-test-mark]")).to_have_count(0)
    with server.app.app_context():
        submitted = db.session.scalar(select(Application).filter_by(reference=real))
        assert submitted is not None
        assert not submitted.test
        assert submitted.fee_cents == 10000
        assert "versicherungsnachweis" not in {f.field for f in submitted.files}  # "Nein"
    assert problems == []
