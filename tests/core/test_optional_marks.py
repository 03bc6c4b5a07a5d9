"""'– optional' is on exactly the fields a person may leave empty, on every kind of form page."""

from __future__ import annotations

import re

from flask import Flask

from portal.applications.models import CaseStatus
from portal.extensions import db
from portal.identity.models import StaffRole
from tests.factories import (
    make_application,
    make_form,
    make_office,
    make_payment,
    make_person,
    make_staff,
)
from tests.support.auth import login_as, staff_login_as

LABEL = re.compile(r'<label class="kern-label" for="([^"]+)">(.*?)</label>', re.S)
SEARCH_OR_FILTER = {"q", "status", "form", "seite", "von", "bis"}  # filters: never marked


def mismatches(html: str) -> list[str]:
    """Fields whose '– optional' mark disagrees with the input's ``required`` attribute."""
    wrong = []
    for field_id, label in LABEL.findall(html):
        control = re.search(
            rf'<(input|select|textarea)\b[^>]*\bid="{re.escape(field_id)}"[^>]*>', html
        )
        if control is None or 'type="checkbox"' in control.group(0):
            continue
        if field_id in SEARCH_OR_FILTER or 'type="radio"' in control.group(0):
            continue
        marked = "– optional" in label
        required = re.search(r"\srequired(\s|>|=)", control.group(0)) is not None
        if marked == required:
            problem = "marked optional but required" if marked else "unmarked but optional"
            wrong.append(f"{field_id}: {problem}")
    return wrong


def test_marks_follow_the_rules_on_citizen_staff_and_public_forms(
    app: Flask, app_context: None
) -> None:
    office = make_office()
    anna = make_person()
    case = make_application(
        make_form(office), anna, case_status=CaseStatus.IN_PROGRESS, fee_cents=3060
    )
    make_payment(case)
    clerk = make_staff((StaffRole.SACHBEARBEITUNG, office), (StaffRole.ADMINISTRATION, None))
    db.session.commit()
    citizen = app.test_client()
    login_as(citizen, anna)
    empty_citizen = app.test_client()  # "Meine Anträge" without any application was a 500
    login_as(empty_citizen, make_person())
    staff = app.test_client()
    staff_login_as(staff, clerk)
    db.session.commit()
    pages = {
        "Meine Anträge (leer)": empty_citizen.get("/antraege"),
        "Barrierefreiheit": app.test_client().get("/barrierefreiheit"),
        "Neue Nachricht": citizen.get("/postfach/neu"),
        "Vorgang": staff.get(f"/verwaltung/vorgaenge/{case.public_id}"),
        "Konten": staff.get("/verwaltung/konten"),
        "Zahlungen": staff.get("/verwaltung/zahlungen"),
    }
    checked = 0
    for name, response in pages.items():
        assert response.status_code == 200, (name, response.headers.get("Location"))
        html = response.get_data(as_text=True)
        checked += len(LABEL.findall(html))
        assert mismatches(html) == [], name
    assert checked > 15  # the pages had their forms
