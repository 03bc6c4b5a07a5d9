"""Online applications in Chromium: each journey from its start to the receipt, axe on every
step, in both themes and on a 360 px wide screen."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from portal.extensions import db
from tests.browser.conftest import LiveServer, fresh_admin, probe_overflow
from tests.browser.test_layout import watch_csp
from tests.support.axe import assert_accessible
from tests.support.offices import ensure_office
from tests.support.staff import grant_staff

PDF = b"%PDF-1.4\n%%EOF\n"


# The journeys on a phone, at the two widths WCAG 1.4.10 and our users need: every page they
# load is measured (tests/browser/conftest.py: no_horizontal_scrolling), error states included.
PHONES = pytest.mark.parametrize("width", [360, 320])


def _log_in(page: Page, persona: str) -> None:
    expect(page.get_by_text("Dies ist eine Test-Anmeldung, keine echte BundID.")).to_be_visible()
    page.get_by_label(persona, exact=False).check()
    page.get_by_role("button", name="Anmelden").click()


def submit_a_dog(page: Page, base_url: str) -> None:
    """Anna Muster logs in and submits "Hund anmelden" (no fee, no upload)."""
    page.goto(base_url + "/antrag/hund-anmelden")
    page.get_by_role("link", name="Anmelden und Antrag beginnen").click()
    _log_in(page, "Anna Muster")
    page.get_by_role("button", name="Antrag beginnen").click()
    page.get_by_label("Straße und Hausnummer").fill("Ringstraße 4")
    page.get_by_label("Postleitzahl").fill("12345")
    page.get_by_label("Ort").fill("Musterstadt")
    page.get_by_role("button", name="Weiter", exact=True).click()
    page.get_by_label("Name des Hundes").fill("Rex")
    page.get_by_label("Rasse oder Mischling").fill("Dackel")
    page.get_by_label("Rüde").check()
    page.get_by_label("Wurfdatum (ungefähr genügt)").fill("2022-02-02")
    page.get_by_role("button", name="Weiter", exact=True).click()
    page.get_by_label("Der Hund lebt bei Ihnen seit").fill("2025-01-15")
    page.get_by_role("group", name=re.compile("anderen Gemeinde")).get_by_label("Nein").check()
    page.get_by_role("button", name="Weiter", exact=True).click()
    page.get_by_role("button", name="Antrag verbindlich absenden").click()


@PHONES
def test_dog_registration_with_upload_and_receipt(  # noqa: PLR0915 - one journey
    page: Page, forms_server: LiveServer, artifacts: Path, tmp_path: Path, width: int
) -> None:
    theme = forms_server.app.config["PORTAL"].theme
    problems = watch_csp(page)
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(forms_server.url + "/antrag/hund-anmelden")
    # The start page is public: what it takes comes before the login.
    expect(page.get_by_role("heading", name="Sie brauchen")).to_be_visible()
    assert_accessible(page)
    page.screenshot(path=artifacts / f"{theme}-antrag-start-{width}.png", full_page=True)
    page.get_by_role("link", name="Anmelden und Antrag beginnen").click()
    _log_in(page, "Anna Muster")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hund anmelden")
    assert_accessible(page)
    page.get_by_role("button", name="Antrag beginnen").click()
    expect(page.get_by_text("Schritt 1 von 3")).to_be_visible()
    expect(page.get_by_label("Vorname")).to_have_value("Anna")
    page.get_by_label("Familienname").fill("")
    page.get_by_role("button", name="Weiter", exact=True).click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Bitte geben Sie „Familienname“ an.")
    assert_accessible(page)
    page.screenshot(path=artifacts / f"{theme}-antrag-fehler-{width}.png", full_page=True)
    summary.get_by_role("link", name=re.compile("Familienname")).click()
    expect(page.get_by_label("Familienname")).to_be_focused()
    page.get_by_label("Familienname").fill("Muster")
    page.get_by_label("Straße und Hausnummer").fill("Ringstraße 4")
    page.get_by_label("Postleitzahl").fill("12345")
    page.get_by_label("Ort").fill("Musterstadt")
    page.get_by_role("button", name="Weiter", exact=True).click()
    expect(page.get_by_text("Schritt 2 von 3")).to_be_visible()
    page.get_by_label("Name des Hundes").fill("Bello")
    page.get_by_label("Rasse oder Mischling").fill("Mischling")
    page.get_by_label("Hündin").check()
    page.get_by_label("Wurfdatum (ungefähr genügt)").fill("2024-05-01")
    assert_accessible(page)
    page.get_by_role("button", name="Weiter", exact=True).click()
    page.get_by_label("Der Hund lebt bei Ihnen seit").fill("2025-01-15")
    page.get_by_role("group", name=re.compile("anderen Gemeinde")).get_by_label("Ja").check()
    page.get_by_role("button", name="Weiter", exact=True).click()
    expect(page.get_by_text("Schritt 4 von 4")).to_be_visible()
    page.get_by_label("Frühere Gemeinde").fill("Beispielstadt")
    upload = tmp_path / "abmeldung.pdf"
    upload.write_bytes(PDF)
    page.get_by_label("Abmeldebescheinigung der früheren Gemeinde").set_input_files(upload)
    assert_accessible(page)
    page.get_by_role("button", name="Weiter", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Angaben prüfen")
    expect(page.get_by_text("abmeldung.pdf")).to_be_visible()
    assert_accessible(page)
    page.screenshot(path=artifacts / f"{theme}-antrag-pruefen-{width}.png", full_page=True)
    page.get_by_role("link", name=re.compile(r"Ändern\s?: Ihr Hund")).click()
    page.get_by_label("Name des Hundes").fill("Bella")
    page.get_by_role("button", name="Weiter", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Angaben prüfen")  # straight back
    expect(page.get_by_text("Bella")).to_be_visible()
    page.get_by_role("button", name="Antrag verbindlich absenden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ihr Antrag ist eingegangen")
    reference = page.locator("[data-reference]").inner_text()
    assert re.fullmatch(r"SP-\d{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", reference)
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Quittung herunterladen (PDF)").click()
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
    page.get_by_role("link", name="Meine Anträge").first.click()
    expect(page.get_by_text(reference, exact=True)).to_be_visible()
    assert_accessible(page)
    assert problems == []


def test_business_registration_from_the_service_page(page: Page, forms_server: LiveServer) -> None:
    page.goto(forms_server.url + "/")
    page.get_by_role("link", name="Unternehmensführung & -entwicklung").click()
    page.get_by_role("link", name="Unternehmensstart & Gewerbezulassung").click()
    page.get_by_role("link", name="Gewerbe-Anmeldung", exact=True).click()
    page.get_by_role("link", name="Online beantragen").click()
    expect(page.get_by_text("Organisationskonto Ihres Unternehmens", exact=False)).to_be_visible()
    page.get_by_role("link", name="Anmelden und Antrag beginnen").click()
    _log_in(page, "Frieda Firma")
    expect(page.get_by_role("heading", level=1)).to_have_text("Gewerbe anmelden")
    page.get_by_role("button", name="Antrag beginnen").click()
    expect(page.get_by_label("Name des Betriebs")).to_have_value("Musterbau GmbH")
    page.get_by_role("button", name="Weiter", exact=True).click()
    page.get_by_label("Angemeldete Tätigkeit").fill("Hochbau und Sanierung von Wohngebäuden")
    page.get_by_label("Beginn der Tätigkeit").fill("2026-12-01")
    page.get_by_label("Zahl der Beschäftigten").fill("zwölf")
    page.get_by_role("group", name=re.compile("Handwerk")).get_by_label("Nein").check()
    page.get_by_role("button", name="Weiter", exact=True).click()
    expect(page.locator("[data-error-summary]")).to_contain_text(
        "Bitte geben Sie bei „Zahl der Beschäftigten“ eine ganze Zahl ein."
    )
    assert_accessible(page)
    page.get_by_label("Zahl der Beschäftigten").fill("12")
    page.get_by_role("button", name="Weiter", exact=True).click()
    page.get_by_label("Funktion im Unternehmen").fill("Geschäftsführerin")
    page.get_by_label("Ich bin berechtigt", exact=False).check()
    assert_accessible(page)
    page.get_by_role("button", name="Weiter", exact=True).click()
    expect(page.locator("[data-fee-cents]")).to_have_text("40,00 €")
    page.get_by_role("button", name="Antrag verbindlich absenden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ihr Antrag ist eingegangen")
    assert_accessible(page)


@PHONES
def test_parking_permit_with_payment_failure_cancel_and_retry(
    page: Page, forms_server: LiveServer, artifacts: Path, tmp_path: Path, width: int
) -> None:
    theme = forms_server.app.config["PORTAL"].theme
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(forms_server.url + "/antrag/bewohnerparkausweis")
    page.get_by_role("link", name="Anmelden und Antrag beginnen").click()
    _log_in(page, "Bernd Beispiel")
    page.get_by_role("button", name="Antrag beginnen").click()
    expect(page.get_by_label("Vorname")).to_have_attribute("readonly", "")
    page.get_by_role("button", name="Weiter", exact=True).click()
    page.get_by_label("Amtliches Kennzeichen").fill("MS-AB 123")
    page.get_by_role("group", name=re.compile("Halterin oder Halter")).get_by_label("Ja").check()
    scan = tmp_path / "fahrzeugschein.pdf"
    scan.write_bytes(PDF)
    page.get_by_label("Fahrzeugschein", exact=False).set_input_files(scan)
    page.get_by_role("button", name="Weiter", exact=True).click()
    # Radio groups with errors: the message sits under the legend, the page fits the phone.
    page.get_by_role("button", name="Weiter", exact=True).click()
    expect(page.locator("[data-error-summary]")).to_be_focused()
    for phone in (360, 320):
        page.set_viewport_size({"width": phone, "height": 800})
        assert page.evaluate("document.documentElement.scrollWidth") <= phone
    assert_accessible(page)
    page.set_viewport_size({"width": width, "height": 800})
    page.get_by_label("Zone B – Bahnhofsviertel").check()
    page.get_by_label("2 Jahre (61,20 Euro)").check()
    page.get_by_role("button", name="Weiter", exact=True).click()
    expect(page.locator("[data-fee-cents]")).to_have_text("61,20 €")
    page.get_by_role("button", name="Antrag verbindlich absenden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Noch nicht vollständig: bitte bezahlen Sie die Gebühr"
    )
    assert_accessible(page)
    page.screenshot(path=artifacts / f"{theme}-antrag-unbezahlt-{width}.png", full_page=True)
    page.get_by_role("button", name="Jetzt 61,20 € bezahlen").click()
    expect(page.get_by_text("Dies ist eine Testzahlung der Vorführinstallation.")).to_be_visible()
    assert_accessible(page)
    page.screenshot(path=artifacts / f"{theme}-testzahlung-{width}.png", full_page=True)
    page.get_by_role("button", name="Zahlung schlägt fehl").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Zahlung fehlgeschlagen")
    assert_accessible(page)
    page.get_by_role("button", name="Erneut bezahlen").click()
    page.get_by_role("button", name="Abbrechen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Zahlung abgebrochen")
    assert_accessible(page)
    page.get_by_role("button", name="Erneut bezahlen").click()
    page.get_by_role("button", name="Zahlung erfolgreich").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Zahlung eingegangen")
    kassenzeichen = page.locator("[data-kassenzeichen]").inner_text()
    assert re.fullmatch(r"\d{12}", kassenzeichen)
    assert_accessible(page)
    page.get_by_role("link", name="Zu Meine Anträge").click()
    expect(page.locator("[data-payment-state]").first).to_have_text("bezahlt")
    assert_accessible(page)


def test_certificate_of_conduct_needs_hoch_and_keeps_the_id_card_data(
    page: Page, forms_server: LiveServer
) -> None:
    page.goto(forms_server.url + "/anmelden")
    _log_in(page, "Bernd Beispiel")  # substanziell only
    page.goto(forms_server.url + "/antrag/fuehrungszeugnis")
    expect(page.get_by_text("Vertrauensniveau „hoch“ nötig", exact=False)).to_be_visible()
    assert_accessible(page)
    _log_in(page, "Clara Hoch")
    expect(page.get_by_role("heading", level=1)).to_have_text("Führungszeugnis beantragen")
    page.get_by_role("button", name="Antrag beginnen").click()
    expect(page.get_by_label("Geburtsname")).to_have_value("Tief")
    expect(page.get_by_text("Diese Angabe kann hier nicht geändert werden.").first).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Weiter", exact=True).click()
    page.get_by_label("Zur Vorlage bei einer Behörde").check()
    page.get_by_role("button", name="Weiter", exact=True).click()
    page.get_by_label("Anschrift der Behörde").fill("Ordnungsamt Musterstadt, Marktstraße 12")
    page.get_by_role("button", name="Weiter", exact=True).click()
    expect(page.locator("[data-fee-cents]")).to_have_text("13,00 €")
    page.get_by_role("button", name="Antrag verbindlich absenden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Noch nicht vollständig: bitte bezahlen Sie die Gebühr"
    )
    assert_accessible(page)


def test_a_draft_is_resumed_after_a_new_login(page: Page, forms_server: LiveServer) -> None:
    page.goto(forms_server.url + "/antrag/hund-anmelden")
    page.get_by_role("link", name="Anmelden und Antrag beginnen").click()
    _log_in(page, "Anna Muster")
    page.get_by_role("button", name="Antrag beginnen").click()
    page.get_by_label("Straße und Hausnummer").fill("Entwurfsweg 9")
    page.get_by_role("button", name="Speichern und später weitermachen").click()
    expect(page.get_by_text("Ihr Entwurf ist gespeichert.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Abmelden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sie sind abgemeldet")
    page.goto(forms_server.url + "/antraege")
    _log_in(page, "Anna Muster")
    page.get_by_role("link", name="Weitermachen").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Angaben prüfen")
    expect(page.get_by_text("Entwurfsweg 9")).to_be_visible()
    expect(page.get_by_role("link", name="Halterin oder Halter", exact=True)).to_be_visible()
    assert_accessible(page)


def test_the_back_office_works_a_case(page: Page, forms_server: LiveServer) -> None:
    """The administrator reads the queue and a case but is told that deciding is for the
    office's clerks; the clerk works it."""
    fresh_admin(forms_server)
    grant_staff(forms_server.app, "sven@musterstadt.example", "sachbearbeitung", "steueramt")
    page.goto(forms_server.url + "/verwaltung/vorgaenge")
    _log_in(page, "Ada Admin")
    expect(page.get_by_role("heading", level=1)).to_have_text("Vorgänge")
    assert_accessible(page)
    page.get_by_label("Status").select_option("eingegangen")
    page.get_by_role("button", name="Filtern").click()
    page.locator(".case-queue tbody a").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Vorgang")
    expect(page.locator("[data-read-only]")).to_be_visible()
    expect(page.get_by_label("Neuer Status")).to_have_count(0)
    assert_accessible(page)
    case_url = page.url
    office = page.context.browser.new_context()  # type: ignore[union-attr]
    clerk = office.new_page()
    clerk.goto(case_url)
    _log_in(clerk, "Sven Sachbearbeiter")
    clerk.get_by_label("Neuer Status").select_option("in_bearbeitung")
    clerk.get_by_label("Hinweis für die antragstellende Person").fill("Wir sind dran.")
    clerk.get_by_role("button", name="Status ändern").click()
    expect(clerk.get_by_text("Der Status ist jetzt „In Bearbeitung“.")).to_be_visible()
    expect(clerk.get_by_text("„Wir sind dran.“")).to_be_visible()
    assert_accessible(clerk)
    office.close()


def test_the_postfach_pages(
    page: Page, forms_server: LiveServer, tmp_path: Path, artifacts: Path
) -> None:
    page.goto(forms_server.url + "/postfach")
    _log_in(page, "Anna Muster")
    expect(page.get_by_role("heading", level=1)).to_have_text("Postfach")
    assert_accessible(page)
    page.get_by_role("link", name="Neue Nachricht an ein Amt").click()
    page.get_by_role("button", name="Senden").click()
    expect(page.locator("[data-error-summary]")).to_be_focused()
    assert_accessible(page)
    page.get_by_label("An welches Amt?").select_option(index=1)
    page.get_by_label("Betreff").fill("Frage")
    page.get_by_label("Ihre Nachricht").fill("Wie lange dauert es?")
    scan = tmp_path / "nachweis.pdf"
    scan.write_bytes(PDF)
    page.get_by_label("Anlage").set_input_files(scan)
    page.get_by_role("button", name="Senden").click()
    expect(page.get_by_text("Ihre Nachricht ist eingegangen.")).to_be_visible()
    expect(page.get_by_text("noch nicht gelesen")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Als wichtig markieren").click()
    expect(page.get_by_text("Als wichtig markiert.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Postfach", exact=True).first.click()
    page.get_by_role("link", name="Nur wichtige").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Postfach – Wichtig")
    expect(page.locator("[data-flagged]").first).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Nachrichten durchsuchen").fill("dauert")
    page.get_by_role("button", name="Suchen").click()
    expect(page.get_by_text("Suchergebnisse für „dauert“")).to_be_visible()
    expect(page.get_by_role("link", name="Frage").first).to_be_visible()
    assert_accessible(page)
    theme = forms_server.app.config["PORTAL"].theme
    page.screenshot(path=artifacts / f"{theme}-postfach-suche.png", full_page=True)


@pytest.mark.parametrize("width", [1280, 360, 320])
def test_from_submission_to_retrieved_bescheid(  # noqa: PLR0915, PLR0917 - one journey
    page: Page,
    forms_server: LiveServer,
    tmp_path: Path,
    artifacts: Path,
    width: int,
    no_horizontal_scrolling: list[str],
) -> None:
    """Citizen submits, clerk asks for a document, citizen uploads it into the case, clerk
    issues the Bescheid, citizen retrieves it; receipts on both sides; axe on every page."""
    theme = forms_server.app.config["PORTAL"].theme
    ensure_office(forms_server.app, "steueramt")
    grant_staff(forms_server.app, "sven@musterstadt.example", "sachbearbeitung", "steueramt")
    page.set_viewport_size({"width": width, "height": 800})
    # The citizen submits (no fee: straight through).
    submit_a_dog(page, forms_server.url)
    reference = page.locator("[data-reference]").inner_text()
    # The clerk, in a second browser, opens the case and asks for a document.
    office = page.context.browser.new_context(  # type: ignore[union-attr]
        viewport={"width": width, "height": 800}
    )
    clerk = office.new_page()
    probe_overflow(clerk, no_horizontal_scrolling)  # the clerk's pages at the same width
    clerk.goto(forms_server.url + "/verwaltung/vorgaenge")
    _log_in(clerk, "Sven Sachbearbeiter")
    clerk.get_by_role("link", name=reference).click()
    clerk.get_by_label("Neuer Status").select_option("in_bearbeitung")
    clerk.get_by_role("button", name="Status ändern").click()
    clerk.get_by_label("Neuer Status").select_option("rueckfrage")
    clerk.get_by_label("Hinweis für die antragstellende Person").fill(
        "Bitte senden Sie den Impfpass."
    )
    clerk.get_by_role("button", name="Status ändern").click()
    expect(clerk.get_by_text("Der Status ist jetzt „Rückfrage“.")).to_be_visible()
    assert_accessible(clerk)
    # The citizen answers with the document, into the running case, by the links she sees:
    # Meine Anträge → the application's page → "Rückfrage beantworten".
    page.get_by_role("link", name="Meine Anträge").first.click()
    page.get_by_role("link", name=re.compile(f"Hund anmelden.*{reference}")).click()
    expect(page.get_by_role("heading", level=1)).not_to_contain_text("ist eingegangen")
    assert_accessible(page)
    page.get_by_role("link", name="Rückfrage beantworten").click()
    expect(page.get_by_text("Bitte senden Sie den Impfpass.")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Ihre Nachricht").fill("Anbei der Impfpass.")
    document = tmp_path / "impfpass.pdf"
    document.write_bytes(PDF)
    page.get_by_label("Anlage").set_input_files(document)
    page.get_by_role("button", name="Senden").click()
    expect(page.locator("[data-read]").last).to_have_text("noch nicht gelesen")
    # The clerk sees the upload in the case and issues the Bescheid.
    clerk.reload()
    expect(clerk.get_by_role("link", name="impfpass.pdf")).to_be_visible()
    clerk.get_by_label("Neuer Status").select_option("in_bearbeitung")
    clerk.get_by_role("button", name="Status ändern").click()
    clerk.get_by_role("link", name="Postfach dieses Vorgangs").click()
    expect(clerk.get_by_text("Anbei der Impfpass.")).to_be_visible()  # opening marks it read
    clerk.go_back()
    bescheid = tmp_path / "bescheid.pdf"
    bescheid.write_bytes(PDF)
    clerk.screenshot(path=artifacts / f"{theme}-vorgang-bescheid.png", full_page=True)
    clerk.get_by_label("Entscheidung").fill("Die Hundesteuer wird ab 2025 festgesetzt.")
    clerk.get_by_label("Begleittext").fill("Anbei Ihr Hundesteuerbescheid.")
    clerk.get_by_role("button", name="Vorschau ansehen").click()
    preview = clerk.locator("[data-decision-preview]")
    expect(preview).to_contain_text("Die Hundesteuer wird ab 2025 festgesetzt.")
    expect(preview).to_contain_text("Rechtsbehelfsbelehrung")
    assert_accessible(clerk)
    clerk.screenshot(path=artifacts / f"{theme}-bescheid-vorschau.png", full_page=True)
    # The signed PDF instead: a new preview, then the confirmation.
    clerk.get_by_label("Bescheid (PDF)").set_input_files(bescheid)
    clerk.get_by_role("button", name="Vorschau aktualisieren").click()
    expect(clerk.locator("[data-decision-preview]")).to_contain_text("bescheid.pdf")
    clerk.get_by_role("button", name="Bescheid verbindlich zustellen").click()
    expect(clerk.get_by_text("Der Bescheid liegt im Postfach")).to_be_visible()
    expect(clerk.locator("[data-decision]")).to_contain_text("bescheid-")
    assert_accessible(clerk)
    # The citizen sees "gelesen", and finds the Bescheid from Meine Anträge: the application's
    # page links it; the thread shows the retrieval. Both sides see it.
    page.reload()
    expect(page.locator("[data-read]").first).to_contain_text("gelesen am")
    page.get_by_role("link", name="Meine Anträge").first.click()
    page.get_by_role("link", name=re.compile(f"Hund anmelden.*{reference}")).click()
    expect(page.get_by_text("Der Bescheid liegt in Ihrem Postfach.")).to_be_visible()
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Bescheid öffnen (PDF)").click()
    assert Path(download.value.path()).read_bytes() == PDF
    page.get_by_role("link", name="Nachrichten zu diesem Antrag im Postfach").click()
    expect(page.locator('[data-message-kind="bescheid"]')).to_be_visible()
    expect(page.get_by_text("gilt als bekanntgegeben am", exact=False)).to_be_visible()
    assert_accessible(page)
    page.set_viewport_size({"width": min(width, 360), "height": 800})
    page.screenshot(
        path=artifacts / f"{theme}-postfach-bescheid-{min(width, 360)}.png", full_page=True
    )
    clerk.get_by_role("link", name="Postfach dieses Vorgangs").click()
    expect(clerk.locator('[data-retrieved="ja"]').first).to_be_visible()
    assert_accessible(clerk)
    thread_path = urlsplit(clerk.url).path
    clerk.get_by_role("link", name="Postfach der Ämter").click()
    expect(clerk.get_by_role("heading", level=1)).to_have_text("Postfach der Ämter")
    assert_accessible(clerk)
    clerk.get_by_label("Nachrichten durchsuchen").fill("Hundesteuerbescheid")
    clerk.get_by_role("button", name="Suchen").click()
    expect(clerk.locator("[data-search-results]")).to_be_visible()
    found = clerk.locator(".application-list__item").filter(
        has=clerk.locator(f'a[href="{thread_path}"]')
    )
    expect(found).to_have_count(1)  # this case's thread (earlier runs may have their own)
    assert_accessible(clerk)
    # Issue 31, 11: closed cases' threads (the demo's history) only behind the filter.
    clerk.get_by_label("Nachrichten durchsuchen").fill("")
    clerk.get_by_label("Anzeigen").select_option("abgeschlossen")
    clerk.get_by_role("button", name="Suchen").click()
    expect(clerk.locator(f'a[href="{thread_path}"]')).to_have_count(0)  # decided, not closed
    assert_accessible(clerk)
    for narrow in (360, 320):
        clerk.set_viewport_size({"width": narrow, "height": 800})
        assert clerk.evaluate("document.documentElement.scrollWidth") <= narrow
    assert_accessible(clerk)
    office.close()


def test_wrong_account_and_payment_unavailable_pages(
    page: Page, forms_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The wrong kind of account, and a payment service that does not answer."""
    from sqlalchemy import select

    from portal.applications import services
    from portal.identity.models import Person

    page.goto(forms_server.url + "/anmelden")
    _log_in(page, "Bernd Beispiel")  # substanziell, as the form asks
    page.goto(forms_server.url + "/antrag/gewerbe-anmelden")  # for organisations only
    expect(page.get_by_text("mit ihrem Organisationskonto", exact=False)).to_be_visible()
    assert_accessible(page)
    with forms_server.app.app_context():
        bernd = db.session.scalars(
            select(Person).filter_by(subject="test-bernd").order_by(Person.last_login_at.desc())
        ).first()
        assert bernd is not None
        row = services.active_form("bewohnerparkausweis")
        assert row is not None
        draft = services.start_draft(row, bernd, None)
        draft.answers = {**draft.answers, "ausweis": {"zone": "A", "jahre": "2"}}
        assert services.submit(draft, services.definition_of(row), 2)
        db.session.commit()
        ident = draft.public_id
    # The payment service is down: a German page that says the application is kept.
    app = forms_server.app
    monkeypatch.setitem(
        app.extensions["payment_routes"], "form:bewohnerparkausweis", "xbd:testdienst"
    )
    monkeypatch.setattr(app.extensions["xbd_testdienst"], "down", True)
    page.goto(forms_server.url + f"/antraege/{ident}/bestaetigung")
    page.get_by_role("button", name="Jetzt 61,20 € bezahlen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bezahlen gerade nicht möglich")
    expect(page.get_by_text("Es wurde nichts abgebucht.", exact=False)).to_be_visible()
    assert_accessible(page)
