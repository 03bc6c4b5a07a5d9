"""The Redaktion keeps the Lebenslagen: create, add steps, reorder, remove; who may."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, scoped_session

from portal.applications.models import AuditEntry
from portal.catalog.models import Journey, Office
from portal.extensions import db
from portal.identity.models import StaffRole
from tests.factories import make_office, make_service, make_staff
from tests.support.auth import staff_login_as

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _client(app: Flask, role: StaffRole, office_id: int | None) -> tuple[FlaskClient, str]:
    client = app.test_client()
    with app.test_request_context("/"):
        office = db.session.get(Office, office_id) if office_id else None
        staff_login_as(client, make_staff((role, office)))
        db.session.commit()
    token = CSRF.search(client.get("/verwaltung/").get_data(as_text=True))
    assert token
    return client, token.group(1)


def _steps(journey_id: int) -> list[str]:
    db.session.expire_all()
    journey = db.session.get(Journey, journey_id)
    assert journey is not None
    return [step.leistung.name for step in journey.steps]


def test_the_redaktion_builds_a_journey_that_citizens_see_in_order(
    app: Flask, client: FlaskClient, db_session: scoped_session[Session]
) -> None:
    with app.test_request_context("/"):
        office = make_office()
        first = make_service(office, name="Wohnsitz ummelden (Test)")
        second = make_service(office, name="Parkausweis ändern (Test)")
        ids = (office.id, first.id, second.id)
        db.session.commit()
    office_id, first_id, second_id = ids
    staff, token = _client(app, StaffRole.REDAKTION, office_id)
    empty = staff.post("/verwaltung/redaktion/lebenslagen/", data={"csrf_token": token})
    assert empty.status_code == 422
    assert "Bitte geben Sie den Namen der Lebenslage ein." in empty.get_data(as_text=True)
    new = {"csrf_token": token, "name": "Umzug (Test)", "intro": "Los geht's"}
    made = staff.post("/verwaltung/redaktion/lebenslagen/", data=new)
    assert made.status_code == 303
    journey_id = int(made.headers["Location"].rsplit("/", 1)[1])
    found = staff.get(f"/verwaltung/redaktion/lebenslagen/{journey_id}?q=(Test)")
    assert f'value="{first_id}"' in found.get_data(as_text=True)
    for service_id, note in ((second_id, ""), (first_id, "innerhalb von zwei Wochen")):
        step_data = {"csrf_token": token, "leistung": str(service_id), "note": note}
        added = staff.post(f"/verwaltung/redaktion/lebenslagen/{journey_id}/schritte",
                           data=step_data)  # fmt: skip
        assert added.status_code == 303
    assert _steps(journey_id) == ["Parkausweis ändern (Test)", "Wohnsitz ummelden (Test)"]
    journey = db.session.get(Journey, journey_id)
    assert journey is not None
    step = journey.steps[1].id
    slug = journey.slug
    staff.post(f"/verwaltung/redaktion/lebenslagen/{journey_id}/schritte/{step}",
               data={"csrf_token": token, "direction": "hoch"})  # fmt: skip
    assert _steps(journey_id) == ["Wohnsitz ummelden (Test)", "Parkausweis ändern (Test)"]

    page = client.get(f"/lebenslagen/{slug}").get_data(as_text=True)
    assert page.index("Wohnsitz ummelden (Test)") < page.index("Parkausweis ändern (Test)")
    assert "innerhalb von zwei Wochen" in page

    staff.post(f"/verwaltung/redaktion/lebenslagen/{journey_id}/schritte/{step}",
               data={"csrf_token": token, "direction": "entfernen"})  # fmt: skip
    assert _steps(journey_id) == ["Parkausweis ändern (Test)"]
    actions = {row.action for row in db.session.scalars(select(AuditEntry))}
    assert {"lebenslage_angelegt", "lebenslage_schritt", "lebenslage_schritt_hoch",
            "lebenslage_schritt_entfernen"} <= actions  # fmt: skip
    bad = staff.post(f"/verwaltung/redaktion/lebenslagen/{journey_id}/schritte",
                     data={"csrf_token": token, "leistung": "kaputt"})  # fmt: skip
    assert bad.status_code == 400


def test_only_the_redaktion_and_administrators_keep_journeys(
    app: Flask, db_session: scoped_session[Session]
) -> None:
    with app.test_request_context("/"):
        office_id = make_office().id
        journey = Journey(slug="nur-test", name="Nur Test")
        db.session.add(journey)
        db.session.commit()
        journey_id = journey.id
    clerk, token = _client(app, StaffRole.SACHBEARBEITUNG, office_id)
    assert clerk.get("/verwaltung/redaktion/lebenslagen/").status_code == 403
    assert clerk.get(f"/verwaltung/redaktion/lebenslagen/{journey_id}").status_code == 403
    answer = clerk.post(f"/verwaltung/redaktion/lebenslagen/{journey_id}",
                        data={"csrf_token": token, "name": "Gekapert"})  # fmt: skip
    assert answer.status_code == 403
    db.session.expire_all()
    assert db.session.get(Journey, journey_id).name == "Nur Test"  # type: ignore[union-attr]
    admin, _token = _client(app, StaffRole.ADMINISTRATION, None)
    assert admin.get(f"/verwaltung/redaktion/lebenslagen/{journey_id}").status_code == 200
