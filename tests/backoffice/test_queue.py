"""The queue and the case page say what a clerk needs, in words, not internal values."""

from __future__ import annotations

from flask import Flask

from portal.applications.models import CaseStatus
from portal.extensions import db
from portal.handoff.models import DeliveryState
from portal.identity.models import StaffRole
from portal.postfach import services as postfach
from tests.factories import (
    make_application,
    make_delivery,
    make_form,
    make_office,
    make_payment,
    make_person,
    make_staff,
)
from tests.support.auth import staff_login_as
from tests.support.html import visible_text


def test_the_queue_names_office_applicant_payment_and_an_answered_query(
    app: Flask, app_context: None
) -> None:
    office = make_office(name="Kfz-Zulassungsstelle")
    anna = make_person(given_name="Anna", family_name="Muster")
    case = make_application(make_form(office), anna, case_status=CaseStatus.QUERY, fee_cents=3060)
    make_payment(case)
    thread = postfach.thread_for_application(case)
    postfach.post(thread, "Bitte den Fahrzeugschein.", from_office=True, kind="rueckfrage")
    postfach.post(thread, "Anbei.", from_office=False, person_id=anna.id)
    clerk = make_staff((StaffRole.SACHBEARBEITUNG, office))
    db.session.commit()
    client = app.test_client()
    staff_login_as(client, clerk)
    db.session.commit()
    page = visible_text(client.get("/verwaltung/vorgaenge").get_data(as_text=True))
    assert "1 Vorgang " in page + " "
    assert "Kfz-Zulassungsstelle" in page
    assert "Anna Muster" in page
    assert "Antwort eingegangen" in page
    assert "bezahlt" in page
    assert "rueckfrage" not in page


def test_the_case_page_shows_no_internal_values(app: Flask, app_context: None) -> None:
    office = make_office()
    case = make_application(make_form(office), make_person(), fee_cents=3060)
    make_payment(case)
    make_delivery(case, state=DeliveryState.DELIVERED)
    clerk = make_staff((StaffRole.SACHBEARBEITUNG, office))
    db.session.commit()
    client = app.test_client()
    staff_login_as(client, clerk)
    db.session.commit()
    page = visible_text(
        client.get(f"/verwaltung/vorgaenge/{case.public_id}").get_data(as_text=True)
    )
    for internal in ("*:folder", "zugestellt", "eingegangen_", "niemand"):
        assert internal not in page, internal
    assert "Ablage des Dokumentenmanagements: übermittelt am" in page
    assert "Zahlung: bezahlt am" in page
