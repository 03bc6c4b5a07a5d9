"""The applicant's journey after submitting, using only links the applicant sees."""

from __future__ import annotations

import html
import re

from tests.applications.conftest import PDF, PNG, Applicant, public_id
from tests.applications.test_cases import _staff, _submitted_dog
from tests.applications.test_rules import _to_upload_step
from tests.identity.conftest import TOKEN, Portal, log_in
from tests.support.offices import ensure_office


def _follow(applicant: Applicant, page: str, marker: str) -> str:
    """The path of the first link carrying ``marker`` (a data attribute) on ``page``."""
    found = re.search(rf'<a [^>]*href="([^"]+)"[^>]*{marker}', page) or re.search(
        rf'<a [^>]*{marker}[^>]*href="([^"]+)"', page
    )
    assert found, f"kein Link {marker}"
    return html.unescape(found.group(1))


def _link_to(page: str, reference: str) -> str:
    found = re.search(
        rf'href="(/antraege/[0-9a-f]{{32}}/bestaetigung)" data-application-link>[^<]*'
        rf'<span class="kern-sr-only">, {reference}',
        page,
    )
    assert found, reference
    return found.group(1)


def _post(browser: Applicant, base_page: str, path: str, **data: str) -> str:
    token = TOKEN.search(base_page)
    assert token
    response = browser.browser.post(
        browser.base + path, data={"csrf_token": token.group(1), **data}
    )
    return response.text


def test_from_my_applications_to_the_bescheid(forms_portal: Portal) -> None:
    ensure_office(forms_portal.app, "steueramt")
    _staff(forms_portal, "sven@musterstadt.example", "steueramt")
    anna, ident, reference = _submitted_dog(forms_portal)
    clerk, _home = log_in(forms_portal.url, "sachbearbeitung", "/verwaltung/anmelden")
    case_url = f"{forms_portal.url}/verwaltung/vorgaenge/{ident}"
    case = clerk.get(case_url).text
    token = TOKEN.search(case)
    assert token
    for status, note in (("in_bearbeitung", ""), ("rueckfrage", "Bitte den Impfpass.")):
        clerk.post(f"{case_url}/status", data={"csrf_token": token.group(1), "status": status,
                                               "note": note})  # fmt: skip

    # From "Meine Anträge" to the application: the Rückfrage is the first thing it asks for.
    mine = anna.get("/antraege").text
    assert "Rückfrage des Amtes: bitte antworten" in mine
    page = anna.get(_link_to(mine, reference)).text
    assert "Das Amt hat eine Rückfrage an Sie" in page
    assert "Ihr Antrag ist eingegangen" not in page
    thread_path = _follow(anna, page, "data-answer-query")
    thread = anna.get(thread_path).text
    assert "Bitte den Impfpass." in thread
    _post(anna, thread, thread_path, text="Anbei der Impfpass.")
    page = anna.get(_link_to(anna.get("/antraege").text, reference)).text
    assert "data-answer-query" not in page
    assert "Ihr Antrag wird bearbeitet" in page
    assert "Antwort eingegangen" in clerk.get(f"{forms_portal.url}/verwaltung/vorgaenge").text

    # The Bescheid: from "Meine Anträge", through the application's page, to the PDF.
    case = clerk.get(case_url).text
    clerk.post(f"{case_url}/status", data={"csrf_token": token.group(1),
                                           "status": "in_bearbeitung"})  # fmt: skip
    preview = clerk.post(
        f"{case_url}/bescheid",
        data={"csrf_token": token.group(1), "text": "Anbei."},
        files={"document": ("bescheid.pdf", PDF, "application/pdf")},
    ).text
    fingerprint = re.search(r'name="vorschau" value="([0-9a-f]{64})"', preview)
    assert fingerprint
    clerk.post(f"{case_url}/bescheid", data={"csrf_token": token.group(1), "text": "Anbei.",
               "aktion": "zustellen", "vorschau": fingerprint.group(1)})  # fmt: skip
    page = anna.get(_link_to(anna.get("/antraege").text, reference)).text
    assert "Ihr Antrag ist beschieden" in page
    assert anna.get(_follow(anna, page, "data-decision-link")).content == PDF


def test_a_fee_due_first_is_asked_for_before_anything_is_said_to_be_received(
    forms_portal: Portal,
) -> None:
    """Defect: a green "Ihr Antrag ist eingegangen" although the application goes nowhere
    until the fee is paid."""
    ensure_office(forms_portal.app, "kfz")
    bernd, step2 = _to_upload_step(forms_portal)
    step3 = bernd.post_step(
        step2,
        {"kennzeichen": "MS-AB 123", "halter": "ja"},
        files={"fahrzeugschein": ("scan.png", PNG, "image/png")},
    )
    summary = bernd.post_step(step3, {"zone": "A", "jahre": "1"})
    done = bernd.browser.post(
        f"{bernd.base}/antraege/{public_id(summary.url)}/absenden",
        data={"csrf_token": bernd.token(summary.text)},
    )
    assert "Noch nicht vollständig: bitte bezahlen Sie die Gebühr" in done.text
    assert "Ihr Antrag ist eingegangen" not in done.text
    assert "Bitte bezahlen Sie bis zum" in done.text
    assert 'data-application-state="unbezahlt"' in done.text


def test_a_service_with_an_open_draft_offers_to_go_on(forms_portal: Portal) -> None:
    anna = Applicant(forms_portal, "anna")
    anna.begin("hund-anmelden")
    start = anna.get("/antrag/hund-anmelden").text
    assert "data-open-draft" in start
    assert "Entwurf weitermachen" in start
