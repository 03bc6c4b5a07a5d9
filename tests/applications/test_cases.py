"""The office works on a case; the applicant follows it; nobody else gets in."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.applications.models import Application, AuditEntry
from portal.catalog.models import Office
from portal.extensions import db
from portal.identity.models import StaffAccount
from tests.applications.conftest import PDF, Applicant, public_id
from tests.identity.conftest import Portal, log_in
from tests.support.offices import ensure_office
from tests.support.staff import grant_staff


def _staff(portal: Portal, email: str, office: str) -> None:
    grant_staff(portal.app, email, "sachbearbeitung", office)


def _submitted_dog(portal: Portal) -> tuple[Applicant, str, str]:
    anna = Applicant(portal, "anna")
    step1 = anna.begin("hund-anmelden")
    step2 = anna.post_step(
        step1, {"vorname": "A", "nachname": "M", "strasse": "R 1", "plz": "12345", "ort": "M"}
    )
    step3 = anna.post_step(
        step2, {"name": "Rex", "rasse": "Dackel", "geschlecht": "ruede", "wurfdatum": "2020-01-01"}
    )
    step4 = anna.post_step(step3, {"seit": "2021-01-01", "zuzug": "ja"})
    summary = anna.post_step(
        step4, {"gemeinde": "X"}, files={"bescheinigung": ("b.pdf", PDF, "application/pdf")}
    )
    ident = public_id(summary.url)
    done = anna.browser.post(
        anna.base + f"/antraege/{ident}/absenden", data={"csrf_token": anna.token(summary.text)}
    )
    reference = re.search(r"data-reference>([^<]+)<", done.text)
    assert reference
    return anna, ident, reference.group(1)


def test_a_clerk_works_the_case_and_the_citizen_follows(forms_portal: Portal) -> None:
    ensure_office(forms_portal.app, "steueramt")
    _staff(forms_portal, "sven@musterstadt.example", "steueramt")
    anna, ident, reference = _submitted_dog(forms_portal)
    clerk, _home = log_in(forms_portal.url, "sachbearbeitung", "/verwaltung/anmelden")
    queue = clerk.get(forms_portal.url + "/verwaltung/vorgaenge?status=eingegangen")
    assert reference in queue.text
    case = clerk.get(forms_portal.url + f"/verwaltung/vorgaenge/{ident}")
    assert case.status_code == 200
    assert "Rex" in case.text
    assert "basisregistrierung" in case.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', case.text).group(1)  # type: ignore[union-attr]
    wrong = clerk.post(
        forms_portal.url + f"/verwaltung/vorgaenge/{ident}/status",
        data={"csrf_token": token, "status": "beschieden"},
    )
    assert wrong.status_code == 422  # not from "eingegangen"
    moved = clerk.post(
        forms_portal.url + f"/verwaltung/vorgaenge/{ident}/status",
        data={"csrf_token": token, "status": "in_bearbeitung", "note": "Wir prüfen die Abmeldung."},
    )
    assert "Der Status ist jetzt „In Bearbeitung“." in moved.text
    file_link = re.search(rf"/verwaltung/vorgaenge/{ident}/dateien/([0-9a-f]+)", moved.text)
    assert file_link
    assert clerk.get(forms_portal.url + file_link.group(0)).content == PDF
    with forms_portal.app.app_context():
        application = db.session.scalars(select(Application).filter_by(public_id=ident)).one()
        actions = [
            e.action
            for e in db.session.scalars(select(AuditEntry).filter_by(application_id=application.id))
        ]
        assert actions.count("case.view") >= 1
        assert "file.download" in actions
    citizen_view = anna.get(f"/antraege/{ident}/bestaetigung")
    assert 'data-case-status="in_bearbeitung"' in citizen_view.text
    assert "Wir prüfen die Abmeldung." in citizen_view.text
    assert 'data-case-status="in_bearbeitung"' in anna.get("/antraege").text


def test_staff_of_another_office_and_citizens_never_get_in(forms_portal: Portal) -> None:
    ensure_office(forms_portal.app, "steueramt")
    ensure_office(forms_portal.app, "ordnungsamt")
    _staff(forms_portal, "sven@musterstadt.example", "ordnungsamt")
    with forms_portal.app.app_context():  # Sven works for the Ordnungsamt only, this time
        sven = db.session.scalar(select(StaffAccount).filter_by(email="sven@musterstadt.example"))
        assert sven is not None
        office = db.session.scalar(select(Office).filter_by(slug="steueramt"))
        sven.roles = [item for item in sven.roles if item.office_id != office.id]  # type: ignore[union-attr]
        db.session.commit()
    _anna, ident, reference = _submitted_dog(forms_portal)
    with forms_portal.app.app_context():
        application = db.session.scalars(select(Application).filter_by(public_id=ident)).one()
        file_id = application.files[0].public_id
    other, _home = log_in(forms_portal.url, "sachbearbeitung", "/verwaltung/anmelden")
    assert reference not in other.get(forms_portal.url + "/verwaltung/vorgaenge").text
    for path in (
        f"/verwaltung/vorgaenge/{ident}",
        f"/verwaltung/vorgaenge/{ident}/dateien/{file_id}",
    ):
        assert other.get(forms_portal.url + path, allow_redirects=False).status_code == 404, path
    citizen = Applicant(forms_portal, "bernd")
    for path in (f"/verwaltung/vorgaenge/{ident}", "/verwaltung/vorgaenge"):
        response = citizen.get(path, allow_redirects=False)
        assert response.status_code == 302  # a citizen login is no staff login
        assert response.headers["Location"].startswith("/verwaltung/anmelden")
