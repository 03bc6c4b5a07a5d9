"""A service page says what applying takes in plain words, or what to do in person."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy.orm import Session, scoped_session

from portal.catalog.models import LeistungKey
from tests.factories import make_form, make_office, make_service
from tests.support.html import visible_text

KEY = "99123456000000"


def _page(client: FlaskClient, service_id: int, slug: str) -> str:
    response = client.get(f"/leistungen/{service_id}/{slug}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_service_done_in_person_starts_with_whom_to_contact(
    client: FlaskClient, db_session: scoped_session[Session]
) -> None:
    office = make_office(name="Bürgerbüro", phone="0123 45 67", email="buero@example.org")
    service = make_service(
        office, name="Meldebescheinigung", texts={"volltext": {"de": "<p>T</p>"}}
    )
    html = _page(client, service.id, service.slug)
    step = html.split("data-next-step")[1].split("</section>")[0]
    assert "persönlich bei: Bürgerbüro" in step
    assert 'href="tel:01234567"' in step
    assert 'href="mailto:buero@example.org"' in step
    assert 'href="#zustaendige-stelle"' in step
    assert 'id="zustaendige-stelle"' in html
    assert html.index("data-next-step") < html.index("Beschreibung")
    assert "data-you-need" not in html


def test_without_an_office_the_next_step_is_the_115(
    client: FlaskClient, db_session: scoped_session[Session]
) -> None:
    service = make_service(name="Ohne Stelle")
    step = _page(client, service.id, service.slug).split("data-next-step")[1]
    assert 'href="tel:115"' in step.split("</section>")[0]


def test_the_portals_own_form_says_what_it_asks_for(
    app_context: None, client: FlaskClient, db_session: scoped_session[Session]
) -> None:
    office = make_office()
    service = make_service(office, name="Mit Formular", trust_level="basisregistrierung")
    db_session.add(LeistungKey(leistung=service, key=KEY))
    steps = [
        {
            "key": "angaben",
            "title": "Angaben",
            "fields": [
                {"key": "anzahl", "type": "number", "label": "Anzahl", "required": True,
                 "min": 1, "max": 10},
                {"key": "nachweis", "type": "file", "label": "Nachweis", "required": False},
            ],
        },
        {
            "key": "mehr",
            "title": "Mehr",
            "show_if": {"field": "angaben.anzahl", "equals": "2"},
            "fields": [{"key": "x", "type": "text", "label": "X", "required": False}],
        },
    ]  # fmt: skip
    form_key = make_form(office, service=KEY, trust_level="hoch", steps=steps).key
    db_session.commit()  # a savepoint of the test's transaction: requests end their session
    html = _page(client, service.id, service.slug)
    needs = html.split("data-you-need")[1].split("</section>")[0]
    assert "Online-Ausweisfunktion Ihres Personalausweises" in needs  # the form's level counts
    assert "<li><span>Nachweis</span> (wenn vorhanden)</li>" in needs
    assert "je nach Ihren Angaben" in needs
    assert "nach dem Absenden online bezahlen" in needs
    assert "1 Schritte, je nach Ihren Angaben bis zu 2" not in needs  # no 'Zeit' here: see start
    response = client.get(f"/antrag/{form_key}")
    assert response.status_code == 200, response.headers
    start = response.get_data(as_text=True)
    start_needs = start.split("data-you-need")[1].split("</section>")[0]
    assert "<li><span>Nachweis</span> (wenn vorhanden)</li>" in start_needs
    assert "1 Schritt, je nach Ihren Angaben bis zu 2" in start_needs  # agrees with the counter
    assert "(nur wenn es für Sie zutrifft)" in start
    assert 'href="/antraege"' not in start  # not logged in: no crumb to a page behind a login


def test_the_leistungsschluessel_is_metadata_not_text(
    client: FlaskClient, db_session: scoped_session[Session]
) -> None:
    service = make_service(make_office(), name="Mit Schlüssel")
    db_session.add(LeistungKey(leistung=service, key=KEY))
    db_session.flush()
    html = _page(client, service.id, service.slug)
    assert f'<meta name="leistungsschluessel" content="{KEY}">' in html
    assert KEY not in visible_text(html)
    assert "Leistungsschlüssel" not in visible_text(html)
