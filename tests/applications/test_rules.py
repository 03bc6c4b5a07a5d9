"""What the portal enforces around an application: level, account type, ownership, locked
prefill, uploads by content and size, exactly-once submission, drafts across logins."""

from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
import requests
from sqlalchemy import func, select

from portal.applications.models import Application, ApplicationStatus
from portal.core.storage import StoredFileMissingError, file_store
from portal.extensions import db
from portal.handoff import services as handoff
from tests.applications.conftest import EXE, PDF, PNG, Applicant, public_id
from tests.identity.conftest import Portal, pick_persona
from tests.support.jobs import run_rq_jobs


def test_a_lower_trust_level_is_sent_to_step_up(forms_portal: Portal) -> None:
    anna = Applicant(forms_portal, "anna")  # basis
    response = anna.get("/antrag/bewohnerparkausweis", allow_redirects=False)
    assert response.status_code == 302
    assert "niveau=substanziell" in response.headers["Location"]
    # Logging in again with the right level opens the form.
    page = anna.get("/antrag/bewohnerparkausweis")
    done = pick_persona(anna.browser, anna.base, page, "bernd")
    assert done.url.endswith("/antrag/bewohnerparkausweis")
    assert "Antrag beginnen" in done.text


def test_forms_for_businesses_need_the_organisation_account(forms_portal: Portal) -> None:
    anonymous = requests.get(
        forms_portal.url + "/antrag/gewerbe-anmelden", allow_redirects=False, timeout=10
    )
    assert anonymous.status_code == 200  # the start page is public: what it takes comes first
    start = re.search(r'href="([^"]+)" data-login-to-start', anonymous.text)
    assert start
    assert start.group(1).startswith("/anmelden/organisation?next=")
    assert "Organisationskonto Ihres Unternehmens" in anonymous.text
    anna = Applicant(forms_portal, "bernd")
    page = anna.get("/antrag/gewerbe-anmelden")
    assert "mit ihrem Organisationskonto" in page.text
    assert "Antrag beginnen" not in page.text
    frieda = Applicant(forms_portal, "firma", "/anmelden/organisation")
    page = frieda.get("/antrag/hund-anmelden")
    assert "für sich selbst, nicht für eine Organisation" in page.text


def test_an_organisations_application_belongs_to_the_organisation(forms_portal: Portal) -> None:
    frieda = Applicant(forms_portal, "firma", "/anmelden/organisation")
    step = frieda.begin("gewerbe-anmelden")
    assert 'value="Musterbau GmbH"' in step.text  # prefilled from the organisation
    ident = public_id(step.url)
    max_ = Applicant(forms_portal, "kollege", "/anmelden/organisation")
    assert "Gewerbe anmelden" in max_.get("/antraege").text
    assert max_.get(f"/antraege/{ident}/pruefen").status_code == 200
    # Frieda acting for herself does not see it; nor does anyone else.
    frieda_self = Applicant(forms_portal, "firma")
    assert frieda_self.get(f"/antraege/{ident}/pruefen").status_code == 404
    assert "Gewerbe anmelden" not in frieda_self.get("/antraege").text


def test_nobody_else_reaches_an_application_or_its_files(forms_portal: Portal) -> None:
    anna = Applicant(forms_portal, "anna")
    step1 = anna.begin("hund-anmelden")
    ident = public_id(step1.url)
    step2 = anna.post_step(
        step1,
        {"vorname": "A", "nachname": "M", "strasse": "R 1", "plz": "12345", "ort": "M"},
    )
    step3 = anna.post_step(
        step2, {"name": "Rex", "rasse": "Dackel", "geschlecht": "ruede", "wurfdatum": "2020-01-01"}
    )
    step4 = anna.post_step(step3, {"seit": "2021-01-01", "zuzug": "ja"})
    anna.post_step(
        step4,
        {"gemeinde": "X"},
        files={"bescheinigung": ("b.pdf", PDF, "application/pdf")},
    )
    with forms_portal.app.app_context():
        application = db.session.scalars(select(Application).filter_by(public_id=ident)).one()
        file_id = application.files[0].public_id
    paths = [
        f"/antraege/{ident}/halter",
        f"/antraege/{ident}/pruefen",
        f"/antraege/{ident}/bestaetigung",
        f"/antraege/{ident}/quittung.pdf",
        f"/antraege/{ident}/dateien/{file_id}",
    ]
    assert anna.get(paths[-1]).content == PDF
    others = [
        Applicant(forms_portal, "bernd"),
        Applicant(forms_portal, "firma", "/anmelden/organisation"),
    ]
    for other in others:
        for path in paths:
            assert other.get(path, allow_redirects=False).status_code == 404, path
        for path in (f"/antraege/{ident}/absenden", f"/antraege/{ident}/loeschen"):
            page = other.get("/antraege")
            response = other.browser.post(
                other.base + path, data={"csrf_token": other.token(page.text)}
            )
            assert response.status_code == 404, path
    anonymous = requests.get(forms_portal.url + paths[1], allow_redirects=False, timeout=10)
    assert anonymous.status_code == 302


def test_locked_prefill_cannot_be_changed(forms_portal: Portal) -> None:
    bernd = Applicant(forms_portal, "bernd")
    step1 = bernd.begin("bewohnerparkausweis")
    assert "Diese Angabe kann hier nicht geändert werden." in step1.text
    assert "readonly" in step1.text
    bernd.post_step(
        step1,
        {
            "vorname": "Mallory",
            "nachname": "Beispiel",
            "strasse": "Lindenweg 3",
            "plz": "12345",
            "email": "bernd@example.org",
        },
    )
    with forms_portal.app.app_context():
        application = db.session.scalars(
            select(Application).filter_by(public_id=public_id(step1.url))
        ).one()
        assert application.answers["person"]["vorname"] == "Bernd"
        assert application.prefilled["person.vorname"] == "person.given_name"


def _to_upload_step(forms_portal: Portal) -> tuple[Applicant, requests.Response]:
    bernd = Applicant(forms_portal, "bernd")
    step1 = bernd.begin("bewohnerparkausweis")
    step2 = bernd.post_step(
        step1,
        {"strasse": "Lindenweg 3", "plz": "12345", "email": "bernd@example.org"},
    )
    assert "Ihr Fahrzeug" in step2.text
    return bernd, step2


def test_a_renamed_program_is_refused_by_its_content(forms_portal: Portal) -> None:
    bernd, step2 = _to_upload_step(forms_portal)
    refused = bernd.post_step(
        step2,
        {"kennzeichen": "MS-AB 123", "halter": "ja"},
        files={"fahrzeugschein": ("fahrzeugschein.pdf", EXE, "application/pdf")},
    )
    assert refused.status_code == 422
    assert "Die Datei ist kein erlaubtes Format. Erlaubt sind: PDF, JPEG, PNG." in refused.text
    assert 'href="#fahrzeugschein"' in refused.text
    with forms_portal.app.app_context():
        application = db.session.scalars(
            select(Application).filter_by(public_id=public_id(refused.url))
        ).one()
        assert application.files == []
        assert application.answers["fahrzeug"]["kennzeichen"] == "MS-AB 123"  # kept
    accepted = bernd.post_step(
        refused,
        {"kennzeichen": "MS-AB 123", "halter": "ja"},
        files={"fahrzeugschein": ("scan.png", PNG, "image/png")},
    )
    assert "Laufzeit" in accepted.text


def test_a_50_mb_upload_is_refused_without_reading_it(forms_portal: Portal) -> None:
    bernd, step2 = _to_upload_step(forms_portal)

    class Zeros:
        """50 MB of zeros, made while sent: the test never holds them either."""

        def __init__(self, size: int) -> None:
            self.len = self.left = size

        def read(self, amount: int = -1) -> bytes:
            amount = self.left if amount < 0 else min(amount, self.left)
            self.left -= amount
            return b"\0" * amount

    response = bernd.browser.post(
        step2.url,
        data=Zeros(50 * 1024 * 1024),
        headers={"Content-Type": "multipart/form-data; boundary=x"},
    )
    assert response.status_code == 413, response.text[response.text.find("<h1") :][:300]
    assert "Die Datei ist zu groß" in response.text


def test_two_tabs_submitting_at_once_make_one_application(forms_portal: Portal) -> None:
    anna = Applicant(forms_portal, "anna")
    step1 = anna.begin("hund-anmelden")
    step2 = anna.post_step(
        step1, {"vorname": "A", "nachname": "M", "strasse": "R 1", "plz": "12345", "ort": "M"}
    )
    step3 = anna.post_step(
        step2, {"name": "Rex", "rasse": "Dackel", "geschlecht": "ruede", "wurfdatum": "2020-01-01"}
    )
    summary = anna.post_step(step3, {"seit": "2021-01-01", "zuzug": "nein"})
    assert summary.url.endswith("/pruefen")
    ident = public_id(summary.url)
    token = anna.token(summary.text)
    barrier = threading.Barrier(4)
    results: list[requests.Response] = []

    def submit() -> None:
        barrier.wait()
        results.append(
            anna.browser.post(anna.base + f"/antraege/{ident}/absenden", data={"csrf_token": token})
        )

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all("Ihr Antrag ist eingegangen" in result.text for result in results)
    references = {result.text.split("data-reference>")[1].split("<")[0] for result in results}
    assert len(references) == 1
    with forms_portal.app.app_context():
        submitted = db.session.scalar(
            select(func.count())
            .select_from(Application)
            .where(
                Application.public_id == ident, Application.status == ApplicationStatus.SUBMITTED
            )
        )
        assert submitted == 1


def test_a_draft_waits_for_the_next_login(forms_portal: Portal) -> None:
    clara = Applicant(forms_portal, "clara")
    step1 = clara.begin("fuehrungszeugnis")
    assert 'value="Tief"' in step1.text  # birth name from the ID card
    ident = public_id(step1.url)
    step2 = clara.post_step(step1, {})
    saved = clara.browser.post(
        step2.url,
        data={
            "csrf_token": clara.token(step2.text),
            "aktion": "speichern",
            "art": "privat",
            "zweck": "Bewerbung",
        },
    )
    assert "Ihr Entwurf ist gespeichert." in saved.text
    assert "Entwurf wird gelöscht am" in saved.text
    later = Applicant(forms_portal, "clara")  # another browser, a new login
    overview = later.get("/antraege")
    assert "Führungszeugnis beantragen" in overview.text
    summary = later.get(f"/antraege/{ident}/pruefen")
    assert "Bewerbung" in summary.text
    assert "Für private Zwecke" in summary.text


def test_expired_drafts_are_purged_with_their_files(forms_portal: Portal) -> None:
    bernd, step2 = _to_upload_step(forms_portal)
    bernd.post_step(
        step2,
        {"kennzeichen": "MS-AB 123", "halter": "ja"},
        files={"fahrzeugschein": ("scan.png", PNG, "image/png")},
    )
    ident = public_id(step2.url)
    with forms_portal.app.app_context():
        application = db.session.scalars(select(Application).filter_by(public_id=ident)).one()
        key = application.files[0].storage_key
        application.draft_expires_at = application.updated_at - dt.timedelta(days=1)
        db.session.commit()
        assert file_store().get(key) == PNG
    result = forms_portal.app.test_cli_runner().invoke(args=["forms", "purge-drafts"])
    assert result.exit_code == 0, result.output
    assert "abgelaufene Entwürfe gelöscht" in result.output
    run_rq_jobs(forms_portal.app)  # the files' bytes go in a job after the commit
    with forms_portal.app.app_context():
        assert db.session.scalars(select(Application).filter_by(public_id=ident)).first() is None
        with pytest.raises(StoredFileMissingError):
            file_store().get(key)
    assert bernd.get(f"/antraege/{ident}/pruefen").status_code == 404


def test_an_upload_can_be_replaced_or_removed_before_submission(forms_portal: Portal) -> None:
    bernd, step2 = _to_upload_step(forms_portal)
    first = bernd.post_step(
        step2,
        {"kennzeichen": "MS-AB 123", "halter": "ja"},
        files={"fahrzeugschein": ("alt.png", PNG, "image/png")},
    )
    ident = public_id(first.url)
    back = bernd.get(f"/antraege/{ident}/fahrzeug")
    assert "alt.png" in back.text
    bernd.post_step(
        back,
        {"kennzeichen": "MS-AB 123", "halter": "ja"},
        files={"fahrzeugschein": ("neu.pdf", PDF, "application/pdf")},
    )
    with forms_portal.app.app_context():
        application = db.session.scalars(select(Application).filter_by(public_id=ident)).one()
        assert [f.filename for f in application.files] == ["neu.pdf"]  # replaced
        file_id = application.files[0].public_id
    page = bernd.get(f"/antraege/{ident}/fahrzeug")
    removed = bernd.browser.post(
        page.url,
        data={
            "csrf_token": bernd.token(page.text),
            "entfernen": file_id,
            "kennzeichen": "MS-AB 123",
            "halter": "ja",
        },
    )
    assert "Die Datei „neu.pdf“ wurde entfernt." in removed.text
    with forms_portal.app.app_context():
        application = db.session.scalars(select(Application).filter_by(public_id=ident)).one()
        assert application.files == []
        assert application.complete.get("fahrzeug") is False  # the required file is gone


def test_a_fee_due_before_hand_off_holds_the_package_until_paid(forms_portal: Portal) -> None:
    bernd, step2 = _to_upload_step(forms_portal)
    step3 = bernd.post_step(
        step2,
        {"kennzeichen": "MS-AB 123", "halter": "ja"},
        files={"fahrzeugschein": ("scan.png", PNG, "image/png")},
    )
    summary = bernd.post_step(step3, {"zone": "A", "jahre": "1"})
    ident = public_id(summary.url)
    done = bernd.browser.post(
        bernd.base + f"/antraege/{ident}/absenden", data={"csrf_token": bernd.token(summary.text)}
    )
    run_rq_jobs(forms_portal.app)
    assert 'data-transmitted="nein"' in bernd.get(f"/antraege/{ident}/bestaetigung").text
    with forms_portal.app.app_context():
        application = db.session.scalars(select(Application).filter_by(public_id=ident)).one()
        assert handoff.deliveries_of(application) == []
    checkout = bernd.browser.post(
        bernd.base + f"/antraege/{ident}/bezahlen", data={"csrf_token": bernd.token(done.text)}
    )
    assert "Testzahlung" in checkout.text
    paid = bernd.browser.post(
        checkout.url, data={"csrf_token": bernd.token(checkout.text), "ergebnis": "erfolg"}
    )
    assert "Zahlung eingegangen" in paid.text
    run_rq_jobs(forms_portal.app)
    assert 'data-transmitted="ja"' in bernd.get(f"/antraege/{ident}/bestaetigung").text


def test_saving_a_draft_with_a_refused_file_says_so(forms_portal: Portal) -> None:
    """Defect: "Entwurf speichern" with a refused upload said "gespeichert" and dropped the
    file silently."""
    bernd, step2 = _to_upload_step(forms_portal)
    saved = bernd.post_step(
        step2,
        {"kennzeichen": "ms ab 123", "halter": "ja", "aktion": "speichern"},
        files={"fahrzeugschein": ("fahrzeugschein.pdf", EXE, "application/pdf")},
    )
    assert saved.status_code == 422
    assert "Ihr Entwurf ist gespeichert." not in saved.text
    assert "Die Datei wurde nicht übernommen" in saved.text
    assert "Die Datei ist kein erlaubtes Format." in saved.text
    with forms_portal.app.app_context():
        application = db.session.scalars(
            select(Application).filter_by(public_id=public_id(saved.url))
        ).one()
        assert application.files == []
        assert application.answers["fahrzeug"]["kennzeichen"] == "MS-AB 123"  # kept, normalised
