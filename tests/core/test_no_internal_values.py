"""Every status and state, rendered in both languages, reads as words: no enum value or key."""

from __future__ import annotations

import itertools
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal.applications.models import CaseStatus
from portal.extensions import db
from portal.handoff.models import DeliveryState
from portal.identity.models import StaffRole
from portal.payments.models import PaymentState
from tests.factories import (
    make_application,
    make_delivery,
    make_form,
    make_office,
    make_payment,
    make_person,
    make_staff,
)
from tests.support.auth import login_as, staff_login_as
from tests.support.html import visible_text

ENUMS = (CaseStatus, PaymentState, DeliveryState)
# German words that are also the German label: fine on a German page, never on an English one.
GERMAN_VALUES = {member.value for kind in ENUMS for member in kind}


def _forbidden(language: str) -> set[str]:
    """Keys no page may show: names (IN_PROGRESS), values with an underscore (in_bearbeitung),
    and in English every German value."""
    keys = {member.name for kind in ENUMS for member in kind}
    keys |= {value for value in GERMAN_VALUES if "_" in value}
    keys |= {"*:folder", "folder"}
    if language == "en":
        keys |= GERMAN_VALUES
    return keys


def _in_language(client: FlaskClient, language: str) -> None:
    if language == "en":
        client.get("/sprache/en?next=/")


@pytest.mark.parametrize("language", ["de", "en"])
def test_every_status_reads_as_words_in_both_languages(
    app: Flask, app_context: None, language: str
) -> None:
    office = make_office(name="Kfz-Zulassungsstelle")
    anna = make_person(given_name="Anna", family_name="Muster")
    cases = []
    for status, payment, delivery in itertools.product(CaseStatus, PaymentState, DeliveryState):
        case = make_application(make_form(office), anna, case_status=status, fee_cents=3060)
        make_payment(case, state=payment)
        make_delivery(case, state=delivery)
        cases.append((case.public_id, f"{status}/{payment}/{delivery}"))
    clerk = make_staff((StaffRole.SACHBEARBEITUNG, office))
    db.session.commit()
    citizen = app.test_client()
    login_as(citizen, anna)
    staff = app.test_client()
    staff_login_as(staff, clerk)
    db.session.commit()
    _in_language(citizen, language)
    _in_language(staff, language)
    forbidden = _forbidden(language)
    pages = {
        "Meine Anträge": citizen.get("/antraege"),
        "Vorgänge": staff.get("/verwaltung/vorgaenge?status=alle"),
    }
    for public_id, combination in cases:
        pages[f"Antrag {combination}"] = citizen.get(f"/antraege/{public_id}/bestaetigung")
        pages[f"Vorgang {combination}"] = staff.get(f"/verwaltung/vorgaenge/{public_id}")
    for name, response in pages.items():
        assert response.status_code == 200, name
        words = set(re.findall(r"[\w*:]+", visible_text(response.get_data(as_text=True))))
        shown = forbidden & words
        assert not shown, f"{name} ({language}) shows {sorted(shown)}"
    # The pages were what they claim: in the language asked for, with every case listed.
    overview = visible_text(pages["Meine Anträge"].get_data(as_text=True))
    assert ("My applications" in overview) == (language == "en")
    queue = pages["Vorgänge"].get_data(as_text=True)
    assert all(public_id in queue for public_id, _ in cases[:20])
