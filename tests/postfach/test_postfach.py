"""The Postfach between an account and an office: receipts both ways, encrypted at rest, notices
without content, and nobody else gets in."""

from __future__ import annotations

import hashlib
import io
import re
import secrets
from pathlib import Path

import pytest
import requests
from flask import Flask
from pypdf import PdfReader
from sqlalchemy import select

from portal.core.mail import FolderMailer
from portal.extensions import db
from portal.postfach.models import Message, Thread
from portal.postfach.services import unseal
from tests.applications.conftest import PDF, Applicant
from tests.applications.test_cases import _staff, _submitted_dog
from tests.identity.conftest import Portal, log_in
from tests.support.jobs import run_rq_jobs
from tests.support.offices import NAMES, ensure_office
from tests.support.staff import clerk_only_of


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found.group(1)


def write_to_office(
    sender: Applicant, office: str, subject: str, text: str, attachment: bytes | None = None
) -> requests.Response:
    """A general enquiry through /postfach/neu to the office ``ensure_office(app, office)``
    made (its name is the slug's title); returns the thread page it lands on."""
    form = sender.get("/postfach/neu")
    name = NAMES.get(office, office.title())
    choices = re.findall(rf'<option value="(\d+)">{re.escape(name)}</option>', form.text)
    assert len(choices) == 1, f"{office}: {choices}"
    files = {"attachment": ("anlage.pdf", attachment, "application/pdf")} if attachment else None
    return sender.browser.post(
        sender.base + "/postfach/neu",
        data={
            "csrf_token": _csrf(form.text),
            "office": choices[0],
            "subject": subject,
            "text": text,
        },
        files=files,
    )


def test_each_submission_gets_an_acknowledgement_in_the_postfach(forms_portal: Portal) -> None:
    anna, _ident, reference = _submitted_dog(forms_portal)
    inbox = anna.get("/postfach")
    assert reference in inbox.text
    link = re.search(r'href="(/postfach/[0-9a-f]{32})">Hund anmelden', inbox.text)
    assert link
    thread = anna.get(link.group(1))
    assert 'data-message-kind="eingangsbestaetigung"' in thread.text
    assert f"Aktenzeichen: {reference}" in thread.text
    # Written in the reader's language: the English interface shows it in English.
    anna.get("/sprache/en?next=/")
    english = anna.get(link.group(1))
    assert f"Reference number: {reference}" in english.text
    assert "ist am" not in english.text
    with forms_portal.app.app_context():
        stored = db.session.scalars(
            select(Message).join(Thread).where(Thread.public_id == link.group(1).rsplit("/", 1)[1])
        ).first()
        assert stored is not None
        assert f"Aktenzeichen: {reference}" in unseal(stored.body)  # the record stays German


def test_a_conversation_with_read_and_retrieval_receipts(forms_portal: Portal) -> None:
    ensure_office(forms_portal.app, "steueramt")
    _staff(forms_portal, "sven@musterstadt.example", "steueramt")
    anna = Applicant(forms_portal, "anna")
    sent = write_to_office(
        anna,
        "steueramt",
        "Frage zur Hundesteuer",
        "Gilt die Ermäßigung auch für Rettungshunde?",
        PDF,
    )
    assert "Ihre Nachricht ist eingegangen." in sent.text
    # Every message gets its own lasting Eingangsbestätigung: time, number, attachment hash.
    receipt = re.search(r"<p[^>]*data-receipt>([^<]+)</p>", sent.text)
    assert receipt
    assert "beim Amt eingegangen am" in receipt.group(1)
    assert hashlib.sha256(PDF).hexdigest()[:16] in receipt.group(1)
    thread_url = sent.url
    assert 'data-read="nein"' in sent.text
    with forms_portal.app.app_context():
        thread = db.session.scalars(select(Thread).filter_by(subject="Frage zur Hundesteuer")).one()
        raw = db.session.scalars(select(Message).filter_by(thread_id=thread.id)).one().body
        assert b"Rettungshunde" not in raw  # encrypted at rest
        public_id = thread.public_id
    clerk, _home = log_in(forms_portal.url, "sachbearbeitung", "/verwaltung/anmelden")
    office_inbox = clerk.get(forms_portal.url + "/verwaltung/postfach")
    assert "Frage zur Hundesteuer" in office_inbox.text
    office_view = clerk.get(forms_portal.url + f"/verwaltung/postfach/{public_id}")
    assert "Gilt die Ermäßigung auch für Rettungshunde?" in office_view.text
    assert 'data-read="ja"' in anna.browser.get(thread_url).text  # "gelesen am" for the sender
    run_rq_jobs(forms_portal.app)
    mail_folder = Path(forms_portal.app.config["PORTAL"].instance_path) / "mail"
    earlier = {m["Message-ID"] for m in FolderMailer(mail_folder).sent()}
    reply = clerk.post(
        forms_portal.url + f"/verwaltung/postfach/{public_id}",
        data={
            "csrf_token": _csrf(office_view.text),
            "text": "Ja, mit Nachweis. Formular anbei.",
            "important": "y",
        },
        files={"attachment": ("formular.pdf", PDF, "application/pdf")},
    )
    assert "Die Antwort ist im Postfach" in reply.text
    assert 'data-retrieved="nein"' in reply.text
    run_rq_jobs(forms_portal.app)
    mails = [m for m in FolderMailer(mail_folder).sent() if m["Message-ID"] not in earlier]
    notice = [
        m for m in mails if m["To"] == "anna.muster@example.org" and "Postfach" in str(m["Subject"])
    ]
    assert len(notice) == 1
    assert all("Nachweis" not in m.get_content() for m in notice)  # never the content
    assert all(f"{forms_portal.url}/anmelden" in m.get_content() for m in notice)
    citizen_view = anna.browser.get(thread_url)
    assert "Ja, mit Nachweis. Formular anbei." in citizen_view.text
    assert "data-important" in citizen_view.text
    download = re.search(
        rf"/postfach/{public_id}/anlagen/[0-9a-f]+(?=\">formular.pdf)", citizen_view.text
    )
    assert download
    assert anna.get(download.group(0)).content == PDF
    office_again = clerk.get(forms_portal.url + f"/verwaltung/postfach/{public_id}")
    assert 'data-retrieved="ja"' in office_again.text
    assert 'data-read="ja"' in office_again.text  # the citizen read the reply


def test_nobody_else_reads_a_thread_or_its_files(forms_portal: Portal) -> None:
    ensure_office(forms_portal.app, "steueramt")
    ensure_office(forms_portal.app, "ordnungsamt")
    anna = Applicant(forms_portal, "anna")
    sent = write_to_office(anna, "steueramt", "Privat", "Geheim", PDF)
    thread_path = sent.url.replace(anna.base, "")
    attachment = re.search(rf"{thread_path}/anlagen/[0-9a-f]+", sent.text)
    assert attachment
    public_id = thread_path.rsplit("/", 1)[1]
    for other in (
        Applicant(forms_portal, "bernd"),
        Applicant(forms_portal, "firma", "/anmelden/organisation"),
        Applicant(forms_portal, "firma"),
    ):
        for path in (thread_path, attachment.group(0)):
            assert other.get(path, allow_redirects=False).status_code == 404, path
        assert "Privat" not in other.get("/postfach").text
    clerk_only_of(forms_portal.app, "sven@musterstadt.example", "ordnungsamt")
    clerk, _home = log_in(forms_portal.url, "sachbearbeitung", "/verwaltung/anmelden")
    for path in (
        f"/verwaltung/postfach/{public_id}",
        attachment.group(0).replace("/postfach/", "/verwaltung/postfach/"),
    ):
        assert clerk.get(forms_portal.url + path, allow_redirects=False).status_code == 404, path
    assert "Privat" not in clerk.get(forms_portal.url + "/verwaltung/postfach").text


def test_an_organisations_postfach_is_shared_by_its_members(forms_portal: Portal) -> None:
    ensure_office(forms_portal.app, "ordnungsamt")
    frieda = Applicant(forms_portal, "firma", "/anmelden/organisation")
    write_to_office(frieda, "ordnungsamt", "Baustelle Marktplatz", "Wann?")
    member = Applicant(forms_portal, "kollege", "/anmelden/organisation")
    assert "Baustelle Marktplatz" in member.get("/postfach").text
    herself = Applicant(forms_portal, "firma")  # Frieda acting for herself
    assert "Baustelle Marktplatz" not in herself.get("/postfach").text


def test_the_inbox_is_paged_newest_first(forms_portal: Portal) -> None:
    clara = Applicant(forms_portal, "clara")  # logging in makes her account
    office_id = ensure_office(forms_portal.app, "buergerbuero")
    with forms_portal.app.app_context():
        from portal.identity.models import Person
        from portal.postfach import services

        person = db.session.scalars(select(Person).filter_by(subject="test-clara")).one()
        for number in range(30):
            thread = services.new_thread(
                person,
                None,
                office_id,
                f"Seitenprobe {number:02d}",
            )
            services.post(thread, "Text", from_office=True)
        db.session.commit()
    first = clara.get("/postfach")
    assert "Seite 1 von" in first.text
    assert "Seitenprobe 29" in first.text  # newest first
    assert "Seitenprobe 00" not in first.text
    assert 'data-unread="1"' in first.text
    last_page = re.search(r"Seite 1 von (\d+)", first.text)
    assert last_page
    last = clara.get(f"/postfach?seite={last_page.group(1)}")
    assert "Seitenprobe 00" in last.text
    assert clara.get("/postfach?seite=kaputt").status_code == 200


def test_a_bescheid_is_delivered_retrieved_and_counts_as_delivered(forms_portal: Portal) -> None:
    ensure_office(forms_portal.app, "steueramt")
    _staff(forms_portal, "sven@musterstadt.example", "steueramt")
    anna, ident, reference = _submitted_dog(forms_portal)
    clerk, _home = log_in(forms_portal.url, "sachbearbeitung", "/verwaltung/anmelden")
    case_url = forms_portal.url + f"/verwaltung/vorgaenge/{ident}"
    case = clerk.get(case_url)
    early = clerk.post(
        case_url + "/bescheid",
        data={"csrf_token": _csrf(case.text), "text": "Zu früh"},
        files={"document": ("b.pdf", PDF, "application/pdf")},
    )
    assert "erst möglich, wenn der Vorgang in Bearbeitung ist" in early.text
    clerk.post(
        case_url + "/status", data={"csrf_token": _csrf(case.text), "status": "in_bearbeitung"}
    )
    from tests.applications.conftest import PNG

    not_pdf = clerk.post(
        case_url + "/bescheid",
        data={"csrf_token": _csrf(case.text), "text": "Anbei"},
        files={"document": ("bescheid.png", PNG, "image/png")},
    )
    assert "kein erlaubtes Format" in not_pdf.text
    preview = clerk.post(
        case_url + "/bescheid",
        data={"csrf_token": _csrf(case.text), "text": "Anbei Ihr Hundesteuerbescheid."},
        files={"document": ("bescheid.pdf", PDF, "application/pdf")},
    )
    assert "data-decision-preview" in preview.text
    assert "Das PDF „bescheid.pdf“ wird unverändert zugestellt." in preview.text
    assert 'data-message-kind="bescheid"' not in anna.get(_thread_of(anna, reference)).text
    issued = clerk.post(
        case_url + "/bescheid",
        data={
            "csrf_token": _csrf(case.text),
            "text": "Anbei Ihr Hundesteuerbescheid.",
            "aktion": "zustellen",
            "vorschau": _fingerprint(preview.text),
        },
    )
    assert "Der Bescheid liegt im Postfach" in issued.text
    assert "data-decision" in issued.text  # the case page shows and links the Bescheid
    assert 'data-case-status="beschieden"' in issued.text
    inbox = anna.get("/postfach")
    link = re.search(rf'href="(/postfach/[0-9a-f]{{32}})">Hund anmelden – {reference}', inbox.text)
    assert link
    thread = anna.get(link.group(1))
    assert 'data-message-kind="bescheid"' in thread.text
    assert 'data-retrieved="nein"' in thread.text
    pdf_link = re.search(rf"{link.group(1)}/anlagen/[0-9a-f]+(?=\">bescheid-)", thread.text)
    assert pdf_link
    assert anna.get(pdf_link.group(0)).content == PDF
    after = anna.get(link.group(1))
    assert 'data-retrieved="ja"' in after.text
    assert "gilt als bekanntgegeben am" in after.text
    office_view = clerk.get(forms_portal.url + f"/verwaltung/vorgaenge/{ident}/postfach")
    assert 'data-retrieved="ja"' in office_view.text
    assert "gilt als bekanntgegeben am" in office_view.text


def test_a_bescheid_rendered_from_the_template(forms_portal: Portal) -> None:
    ensure_office(forms_portal.app, "steueramt")
    _staff(forms_portal, "sven@musterstadt.example", "steueramt")
    anna, ident, reference = _submitted_dog(forms_portal)
    clerk, _home = log_in(forms_portal.url, "sachbearbeitung", "/verwaltung/anmelden")
    case_url = forms_portal.url + f"/verwaltung/vorgaenge/{ident}"
    case = clerk.get(case_url)
    moved = clerk.post(
        case_url + "/status", data={"csrf_token": _csrf(case.text), "status": "in_bearbeitung"}
    )
    assert "Widerspruch" in moved.text  # the default Rechtsbehelfsbelehrung, to be checked
    empty = clerk.post(
        case_url + "/bescheid", data={"csrf_token": _csrf(case.text), "text": "Anbei"}
    )
    assert "schreiben Sie die Entscheidung" in empty.text
    clerk.get(forms_portal.url + "/sprache/en")  # the clerk reads English; the Bescheid is German
    values = {
        "csrf_token": _csrf(case.text),
        "text": "Anbei Ihr Bescheid.",
        "tenor": "Der Hund Rex wird zur Hundesteuer angemeldet.\nSteuermarke folgt per Post.",
        "reasons": "Die Angaben sind vollständig.",
        "remedy": "Gegen diesen Bescheid kann Klage erhoben werden.",
    }
    preview = clerk.post(case_url + "/bescheid", data=values)
    assert preview.status_code == 200
    assert "Der Hund Rex wird zur Hundesteuer angemeldet." in preview.text
    assert "Im Auftrag" in preview.text  # the German Bescheid, shown before it goes out
    # Changed after the preview: a new preview, nothing delivered.
    changed = clerk.post(
        case_url + "/bescheid",
        data={**values, "reasons": "Anders.", "aktion": "zustellen",
              "vorschau": _fingerprint(preview.text)},
    )  # fmt: skip
    assert "data-decision-preview" in changed.text
    assert 'data-message-kind="bescheid"' not in anna.get(_thread_of(anna, reference)).text
    issued = clerk.post(
        case_url + "/bescheid",
        data={**values, "aktion": "zustellen", "vorschau": _fingerprint(preview.text)},
    )
    assert "The decision is in the applicant" in issued.text
    inbox = anna.get("/postfach")
    link = re.search(rf'href="(/postfach/[0-9a-f]{{32}})">Hund anmelden – {reference}', inbox.text)
    assert link
    thread = anna.get(link.group(1))
    pdf_link = re.search(rf"{link.group(1)}/anlagen/[0-9a-f]+(?=\">bescheid-)", thread.text)
    assert pdf_link
    pdf = anna.get(pdf_link.group(0)).content
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    text = " ".join(text.split())
    assert "Bescheid" in text
    assert reference in text
    assert "Der Hund Rex wird zur Hundesteuer angemeldet." in text
    assert "Die Angaben sind vollständig." in text
    assert "Gegen diesen Bescheid kann Klage erhoben werden." in text
    assert "Anna Muster" in text  # the addressee, as submitted
    assert "Steueramt" in text
    assert "Entscheidung" in text
    assert "Im Auftrag" in text


def _fingerprint(page: str) -> str:
    found = re.search(r'name="vorschau" value="([0-9a-f]{64})"', page)
    assert found, "keine Vorschau"
    return found.group(1)


def _thread_of(applicant: Applicant, reference: str) -> str:
    inbox = applicant.get("/postfach")
    link = re.search(rf'href="(/postfach/[0-9a-f]{{32}})">[^<]*{reference}', inbox.text)
    assert link
    return link.group(1)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"text": ""}, "Bitte schreiben Sie einen kurzen Begleittext."),
        ({"tenor": "x" * 5001}, "höchstens 5.000 Zeichen"),
        ({"reasons": "x" * 20001}, "höchstens 20.000 Zeichen"),
        ({"remedy": "x" * 5001}, "höchstens 5.000 Zeichen"),
        ({"tenor": ""}, "schreiben Sie die Entscheidung"),
    ],
)
def test_each_bescheid_error_keeps_every_field(
    forms_portal: Portal, change: dict[str, str], message: str
) -> None:
    """Defect: any validation error on "Bescheid erteilen" was a 500, and the text was lost."""
    ensure_office(forms_portal.app, "steueramt")
    _staff(forms_portal, "sven@musterstadt.example", "steueramt")
    _anna, ident, _reference = _submitted_dog(forms_portal)
    clerk, _home = log_in(forms_portal.url, "sachbearbeitung", "/verwaltung/anmelden")
    case_url = forms_portal.url + f"/verwaltung/vorgaenge/{ident}"
    case = clerk.get(case_url)
    clerk.post(
        case_url + "/status", data={"csrf_token": _csrf(case.text), "status": "in_bearbeitung"}
    )
    values = {
        "text": "Begleittext Nummer 7", "tenor": "Entscheidung Nummer 7",
        "reasons": "Begründung Nummer 7", "remedy": "Belehrung Nummer 7", **change,
    }  # fmt: skip
    refused = clerk.post(case_url + "/bescheid", data={"csrf_token": _csrf(case.text), **values})
    assert refused.status_code == 422
    assert message in refused.text
    assert "data-error-summary" in refused.text
    for value in values.values():
        if value and len(value) < 100:
            assert value in refused.text  # every field as it was typed


def test_the_acknowledgement_is_dated_in_german_time(app: Flask) -> None:
    import datetime as dt

    from portal.applications.models import Application
    from portal.postfach.services import receipt_text

    late = Application(
        title="Hund anmelden",
        reference="SP-2026-AAAA-AAAA",
        submitted_at=dt.datetime(2026, 11, 22, 23, 30, tzinfo=dt.UTC),  # 00:30 in Berlin
    )
    with app.test_request_context():
        assert "am 23.11.2026 eingegangen" in receipt_text(late)


def test_search_finds_words_inside_encrypted_messages_of_this_account_only(
    forms_portal: Portal,
) -> None:
    ensure_office(forms_portal.app, "ordnungsamt")
    word = "Zwetschgen" + secrets.token_hex(3)
    bernd = Applicant(forms_portal, "bernd")
    write_to_office(bernd, "ordnungsamt", "Marktstand", f"Darf ich am Samstag {word} verkaufen?")
    with forms_portal.app.app_context():
        stored = db.session.scalars(select(Message.body).order_by(Message.id.desc())).first()
        assert stored is not None
        assert word.encode() not in stored  # encrypted at rest
    found = bernd.get("/postfach", params={"q": word.lower()})
    assert "Marktstand" in found.text
    assert "data-search-results" in found.text
    assert "Marktstand" in bernd.get("/postfach", params={"q": "marktst"}).text  # the subject
    assert "Marktstand" not in bernd.get("/postfach", params={"q": "Birnen"}).text
    too_long = bernd.get("/postfach", params={"q": "x" * 201})
    assert "höchstens 200 Zeichen" in too_long.text
    # Another account searching for the same word finds nothing.
    assert (
        "Marktstand"
        not in Applicant(forms_portal, "clara").get("/postfach", params={"q": word}).text
    )
    # The office searches its own Postfach the same way.
    _staff(forms_portal, "sven@musterstadt.example", "ordnungsamt")
    clerk, _home = log_in(forms_portal.url, "sachbearbeitung", "/verwaltung/anmelden")
    office = clerk.get(forms_portal.url + "/verwaltung/postfach", params={"q": word})
    assert "Marktstand" in office.text


def test_the_account_marks_a_thread_as_important_for_itself(forms_portal: Portal) -> None:
    ensure_office(forms_portal.app, "ordnungsamt")
    bernd = Applicant(forms_portal, "bernd")
    sent = write_to_office(bernd, "ordnungsamt", "Sperrmüll Termin", "Wann kommt die Abholung?")
    thread_path = sent.url.replace(bernd.base, "")
    assert "Sperrmüll Termin" not in bernd.get("/postfach?wichtig=1").text
    flagged = bernd.browser.post(
        bernd.base + thread_path + "/wichtig", data={"csrf_token": _csrf(sent.text)}
    )
    assert "Als wichtig markiert." in flagged.text
    only = bernd.get("/postfach?wichtig=1").text
    assert "Sperrmüll Termin" in only
    assert "data-flagged" in only
    # Nobody else can flag it, and the office does not see the account's own marking.
    clara = Applicant(forms_portal, "clara")
    token = _csrf(clara.get("/postfach").text)
    answer = clara.browser.post(
        clara.base + thread_path + "/wichtig", data={"csrf_token": token}, allow_redirects=False
    )
    assert answer.status_code == 404
    unflagged = bernd.browser.post(
        bernd.base + thread_path + "/wichtig", data={"csrf_token": _csrf(flagged.text)}
    )
    assert "entfernt" in unflagged.text
    assert "Sperrmüll Termin" not in bernd.get("/postfach?wichtig=1").text


def test_a_message_with_a_nul_byte_or_a_subject_with_a_line_break_is_refused(
    forms_portal: Portal,
) -> None:
    """The review stored a NUL byte in a Postfach message: now the field says what is wrong."""
    ensure_office(forms_portal.app, "steueramt")
    _staff(forms_portal, "sven@musterstadt.example", "steueramt")
    anna = Applicant(forms_portal, "anna")
    subject = f"Frage {secrets.token_hex(3)}"
    refused = write_to_office(anna, "steueramt", subject, "Guten Tag\x00, eine Frage")
    assert "Bitte ohne Steuerzeichen eingeben" in refused.text
    broken = write_to_office(anna, "steueramt", subject + "\nBitte überweisen Sie", "Frage")
    assert "Bitte in einer Zeile eingeben" in broken.text
    with forms_portal.app.app_context():
        stored = db.session.scalar(select(Thread).where(Thread.subject.startswith(subject)))
    assert stored is None
