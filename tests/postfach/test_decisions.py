"""What a generated Bescheid says about the fee."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from sqlalchemy.orm import Session, scoped_session

from portal.applications import services as applications
from portal.identity.models import StaffRole
from portal.payments.models import PaymentState
from portal.payments.services import payment_for
from portal.postfach import decisions
from tests.factories import (
    make_application,
    make_form,
    make_office,
    make_payment,
    make_person,
    make_staff,
)


def _preview(app: Flask, paid: bool) -> tuple[str, str]:
    office = make_office(name="Kfz-Zulassungsstelle")
    application = make_application(make_form(office), make_person(), fee_cents=6120)
    payment = make_payment(
        application,
        state=PaymentState.PAID if paid else PaymentState.OPEN,
        paid_at=dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC),
    )
    context = decisions.decision_context(
        application,
        make_staff((StaffRole.SACHBEARBEITUNG, office)),
        decisions.DecisionText("Der Antrag wird genehmigt.", "", ""),
        applicant=applications.applicant_of(application),
        payment=payment_for(application),
        today=dt.date(2026, 12, 3),
    )
    return " ".join(decisions.render_preview(context).split()), payment.kassenzeichen


def test_a_fee_paid_online_is_stated_as_paid(
    app: Flask, db_session: scoped_session[Session]
) -> None:
    """Defect: "Die Gebühr beträgt 61,20 €" although it had been paid online."""
    with app.test_request_context():
        text, kassenzeichen = _preview(app, paid=True)
    assert "haben Sie am 01.12.2026 online bezahlt" in text  # the day in German time
    assert f"Kassenzeichen {kassenzeichen}" in text
    assert "beträgt" not in text


def test_an_unpaid_fee_is_stated_as_owed(app: Flask, db_session: scoped_session[Session]) -> None:
    with app.test_request_context():
        text, _kassenzeichen = _preview(app, paid=False)
    assert "Die Gebühr für diese Entscheidung beträgt 61,20 €." in text
