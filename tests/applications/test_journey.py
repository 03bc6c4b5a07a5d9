"""A citizen applies online: steps, drafts, conditions, uploads, check answers, submit, receipt."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from pathlib import Path

from pypdf import PdfReader
from sqlalchemy import select, update

from portal.applications import services as applications
from portal.applications.models import Application, ApplicationStatus
from portal.applications.reference import is_valid
from portal.config import PROJECT_ROOT
from portal.core.db import utcnow
from portal.core.mail import FolderMailer
from portal.extensions import db
from portal.identity.models import LoginSession
from tests.applications.conftest import PDF, Applicant, public_id
from tests.identity.conftest import Portal
from tests.support.jobs import run_rq_jobs

DATA = PROJECT_ROOT.parent / "shared" / "data"


def test_dog_registration_from_start_to_receipt(forms_portal: Portal) -> None:  # noqa: PLR0915
    anna = Applicant(forms_portal, "anna")
    step1 = anna.begin("hund-anmelden")
    assert "Schritt 1 von 3" in step1.text  # the conditional step is not counted yet
    assert 'value="Anna"' in step1.text  # prefilled from the identity
    assert "Aus Ihrem Nutzerkonto übernommen." in step1.text
    refused = anna.post_step(step1, {"vorname": "Anna", "nachname": "", "strasse": ""})
    assert refused.status_code == 422
    assert "Bitte geben Sie „Familienname“ an." in refused.text
    assert 'href="#nachname"' in refused.text  # the error summary links to the field
    assert "<title>Fehler:" in refused.text
    step2 = anna.post_step(
        refused,
        {
            "vorname": "Anna",
            "nachname": "Muster",
            "strasse": "Ring 1",
            "plz": "12345",
            "ort": "Musterstadt",
        },
    )
    assert "Schritt 2 von 3" in step2.text
    step3 = anna.post_step(
        step2,
        {
            "name": "Bello",
            "rasse": "Mischling",
            "geschlecht": "ruede",
            "wurfdatum": "2024-05-01",
            "chip": "12345",
        },
    )
    assert "Die Chipnummer hat genau 15 Ziffern." in step3.text
    step3 = anna.post_step(
        step3,
        {
            "name": "Bello",
            "rasse": "Mischling",
            "geschlecht": "ruede",
            "wurfdatum": "01.05.2024",
            "chip": "",
        },
    )
    assert "Schritt 3 von 3" in step3.text
    step4 = anna.post_step(step3, {"seit": "2025-01-15", "zuzug": "ja"})
    assert "Schritt 4 von 4" in step4.text  # "ja" opens the step for the former municipality
    assert 'enctype="multipart/form-data"' in step4.text
    missing = anna.post_step(step4, {"gemeinde": "Beispielstadt"})
    assert "Bitte laden Sie „Abmeldebescheinigung der früheren Gemeinde“ hoch." in missing.text
    summary = anna.post_step(
        missing,
        {"gemeinde": "Beispielstadt"},
        files={"bescheinigung": ("abmeldung.pdf", PDF, "application/pdf")},
    )
    assert summary.url.endswith("/pruefen")
    assert "Bello" in summary.text
    assert "01.05.2024" in summary.text
    assert "abmeldung.pdf" in summary.text
    assert "Für diesen Antrag fällt keine Gebühr an." in summary.text
    ident = public_id(summary.url)
    done = anna.browser.post(
        anna.base + f"/antraege/{ident}/absenden", data={"csrf_token": anna.token(summary.text)}
    )
    assert "Ihr Antrag ist eingegangen" in done.text
    with forms_portal.app.app_context():
        application = db.session.scalars(select(Application).filter_by(public_id=ident)).one()
        assert application.status == ApplicationStatus.SUBMITTED
        assert application.reference is not None
        assert is_valid(application.reference)
        assert application.reference in done.text
        assert application.answers["hund"]["name"] == "Bello"
        reference = application.reference
    run_rq_jobs(forms_portal.app)
    mailer = FolderMailer(Path(forms_portal.app.config["PORTAL"].instance_path) / "mail")
    notice = next(m for m in mailer.sent() if reference in str(m["Subject"]))
    assert notice["To"] == "anna.muster@example.org"
    assert "Bello" not in notice.get_content()  # names the application, not its answers
    # No fee: the package goes to the office's DMS folder at once (after the commit).
    confirmation = anna.get(f"/antraege/{ident}/bestaetigung")
    assert 'data-transmitted="ja"' in confirmation.text
    receipt = anna.get(f"/antraege/{ident}/quittung.pdf")
    assert receipt.headers["Content-Type"] == "application/pdf"
    assert receipt.content.startswith(b"%PDF")
    text = " ".join(
        " ".join(
            page.extract_text() for page in PdfReader(io.BytesIO(receipt.content)).pages
        ).split()
    )
    assert "Musterstadt · Steueramt" in text  # the authority that received it
    assert "Zuständige Stelle Steueramt" in text
    overview = anna.get("/antraege")
    assert reference in overview.text
    # Submitted means final: the steps lead to the confirmation, not to an editable form.
    again = anna.get(f"/antraege/{ident}/hund", allow_redirects=False)
    assert again.headers["Location"].endswith(f"/antraege/{ident}/bestaetigung")


def test_a_session_ending_mid_form_loses_nothing_saved(forms_portal: Portal) -> None:
    anna = Applicant(forms_portal, "anna")
    step1 = anna.begin("hund-anmelden")
    step2 = anna.post_step(
        step1,
        {"vorname": "Anna", "nachname": "Muster", "strasse": "Ring 1", "plz": "12345", "ort": "M"},
    )
    ident = public_id(step2.url)
    token = anna.browser.cookies["portal_login"]
    with forms_portal.app.app_context():
        db.session.execute(
            update(LoginSession)
            .where(LoginSession.token_hash == hashlib.sha256(token.encode()).hexdigest())
            .values(last_seen_at=utcnow() - dt.timedelta(hours=2))
        )
        db.session.commit()
    expired = anna.post_step(step2, {"name": "Bello"})
    assert "Test-Anmeldung" in expired.text  # sent to log in again
    assert "Ihre Sitzung ist aus Sicherheitsgründen abgelaufen" in expired.text
    again = Applicant(forms_portal, "anna")
    summary = again.get(f"/antraege/{ident}/pruefen")
    assert summary.status_code == 200
    assert "Ring 1" in summary.text  # the step saved before the session ended


def test_an_imported_fim_form_can_be_filled_in(forms_portal: Portal) -> None:
    """The converted Waffenbesitzkarte schema is a working form: every step renders, info
    fields show as text, and a step's required fields are enforced."""
    runner = forms_portal.app.test_cli_runner()
    result = runner.invoke(
        args=[
            "forms",
            "import-fim",
            str(DATA / "fim_xdatenfelder1_S00000036_waffenbesitzkarte.xml"),
            "--key",
            "wbk-probe",
            "--office",
            "ordnungsamt",
        ]
    )
    assert result.exit_code == 0, result.output
    anna = Applicant(forms_portal, "anna")
    first = anna.begin("wbk-probe")
    assert "Schritt 1 von 7" in first.text
    assert "Urkundenbezeichnung" in first.text  # a FIM label field, shown as text
    refused = anna.post_step(first, {})
    assert refused.status_code == 422
    assert "Bitte geben Sie „Urkundennummer“ an." in refused.text
    with forms_portal.app.app_context():
        row = applications.active_form("wbk-probe")
        assert row is not None
        definition = applications.definition_of(row)
    ident = public_id(first.url)
    for step in definition.steps:
        page = anna.get(f"/antraege/{ident}/{step.key}")
        assert page.status_code == 200, step.key
        assert step.title in page.text
