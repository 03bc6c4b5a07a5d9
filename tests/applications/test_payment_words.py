"""What the pages say about a fee paid before the hand-off (issue 31, 1): "Angaben prüfen" no
longer promises that the application goes to the office on submit."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal.extensions import db
from tests.factories import make_application, make_form, make_office, make_person
from tests.support.auth import login_as

pytestmark = pytest.mark.usefixtures("db_session")


@pytest.mark.parametrize("payment", ["before_handoff", "afterwards"])
def test_check_answers_says_when_the_application_reaches_the_office(
    app: Flask, client: FlaskClient, payment: str
) -> None:
    with app.test_request_context("/"):
        person = make_person()
        form = make_form(make_office(), payment=payment)
        draft = make_application(form, person, case_status=None,
                                 answers={"angaben": {"anzahl": "2"}},
                                 complete={"angaben": True})  # fmt: skip
        login_as(client, person)
        db.session.commit()
        public_id = draft.public_id
    page = client.get(f"/antraege/{public_id}/pruefen").get_data(as_text=True)
    if payment == "before_handoff":
        assert "data-pay-first" in page
        assert "sobald die Gebühr von 61,20 € bezahlt ist – bitte innerhalb von 14 Tagen" in page
        assert "Mit dem Absenden geht Ihr Antrag an das zuständige Amt." not in page
    else:
        assert "Mit dem Absenden geht Ihr Antrag an das zuständige Amt." in page
