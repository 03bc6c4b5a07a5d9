"""In English, a form's German questions are marked as German and the reader is told once why
(issue 31, 12)."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal.extensions import db
from tests.factories import make_application, make_form, make_office, make_person
from tests.support.auth import login_as

pytestmark = pytest.mark.usefixtures("db_session")


def test_an_english_reader_learns_that_the_questions_are_german(
    app: Flask, client: FlaskClient
) -> None:
    with app.test_request_context("/"):
        person = make_person()
        form = make_form(make_office())
        draft = make_application(form, person, case_status=None)
        login_as(client, person)
        db.session.commit()
        public_id, key = draft.public_id, form.key
    german = client.get(f"/antraege/{public_id}/angaben").get_data(as_text=True)
    assert "data-form-german" not in german
    client.set_cookie("portal_sprache", "en")
    for path in (f"/antrag/{key}", f"/antraege/{public_id}/angaben"):
        page = client.get(path).get_data(as_text=True)
        assert page.count("data-form-german") == 1, path
        assert "The questions of this form are in German" in page, path
    step = client.get(f"/antraege/{public_id}/angaben").get_data(as_text=True)
    label = re.search(r'<label[^>]*for="anzahl"[^>]*>(.*?)</label>', step, re.S)
    assert label is not None
    assert '<span lang="de">Anzahl</span>' in label.group(1)  # the German part, marked
