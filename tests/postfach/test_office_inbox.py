"""The office Postfach and the queue agree on what is open (issue 31, point 11)."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from portal.applications.models import CaseStatus
from portal.extensions import db
from portal.identity.models import StaffRole
from portal.postfach import services as postfach
from tests.factories import (
    make_application,
    make_form,
    make_office,
    make_person,
    make_staff,
    make_thread,
)
from tests.support.auth import staff_login_as

pytestmark = pytest.mark.usefixtures("db_session")


def test_threads_of_closed_cases_are_behind_a_filter(app: Flask) -> None:
    with app.test_request_context("/"):
        office = make_office(name="Ordnungsamt Filter")
        form = make_form(office)
        anna = make_person()
        open_case = make_application(form, anna, case_status=CaseStatus.IN_PROGRESS)
        decided = make_application(form, anna, case_status=CaseStatus.DECIDED)
        closed = make_application(form, anna, case_status=CaseStatus.CLOSED)
        for application in (open_case, decided, closed):
            make_thread(application, with_attachment=False)
        enquiry = postfach.new_thread(anna, None, office.id, "Allgemeine Frage zur Hundesteuer")
        postfach.post(enquiry, "Wie hoch ist sie?", from_office=False, person_id=anna.id)
        cases = {"open": open_case, "decided": decided, "closed": closed}
        references = {key: item.reference for key, item in cases.items()}
        links = {key: f"– {item.reference}</a>" for key, item in cases.items()}
        client = app.test_client()
        staff_login_as(client, make_staff((StaffRole.SACHBEARBEITUNG, office)))
        db.session.commit()

    inbox = client.get("/verwaltung/postfach").get_data(as_text=True)
    queue = client.get("/verwaltung/vorgaenge").get_data(as_text=True)
    for key in ("open", "decided"):  # in the queue, so in the inbox
        assert references[key] in queue
        assert links[key] in inbox
    assert references["closed"] not in queue
    assert links["closed"] not in inbox
    assert "Allgemeine Frage zur Hundesteuer" in inbox  # an enquiry has no case to close
    hidden = re.search(r"data-hidden-closed>([^<]+)<", inbox)
    assert hidden
    assert hidden.group(1).strip() == "1 Verlauf eines abgeschlossenen Vorgangs ist ausgeblendet."
    assert 'href="/verwaltung/postfach?zeigen=abgeschlossen"' in inbox

    closed_view = client.get("/verwaltung/postfach?zeigen=abgeschlossen").get_data(as_text=True)
    assert links["closed"] in closed_view
    assert links["open"] not in closed_view
    assert "Allgemeine Frage" not in closed_view
    assert "data-hidden-closed" not in closed_view
    every = client.get("/verwaltung/postfach?zeigen=alle").get_data(as_text=True)
    assert all(link in every for link in links.values())
    # The search keeps to the chosen view, and the pager keeps both.
    found = client.get(f"/verwaltung/postfach?q={references['closed']}").get_data(as_text=True)
    assert links["closed"] not in found
    assert "zeigen=abgeschlossen&amp;q=" in found  # the way to the closed ones keeps the words
    found = client.get(f"/verwaltung/postfach?q={references['closed']}&zeigen=alle")
    assert links["closed"] in found.get_data(as_text=True)
    odd = client.get("/verwaltung/postfach?zeigen=geheim")
    assert odd.status_code == 200
    assert links["closed"] not in odd.get_data(as_text=True)
