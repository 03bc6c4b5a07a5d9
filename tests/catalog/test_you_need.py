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


def test_form_fee_and_catalogue_costs_do_not_contradict_each_other(
    app_context: None, client: FlaskClient, db_session: scoped_session[Session]
) -> None:
    """Issue 31, 9: "Kosten: keine" stood next to "Hundesteuer: 96 Euro im Jahr"."""
    office = make_office()
    tax = {"amount_cents": None, "currency": "EUR", "text": "Hundesteuer: 96 Euro im Jahr"}
    dog = make_service(office, name="Hund anmelden Test", fees=[tax])
    db_session.add(LeistungKey(leistung=dog, key=KEY))
    form_key = make_form(office, service=KEY, fee={"kind": "none"}).key
    db_session.commit()
    page = visible_text(_page(client, dog.id, dog.slug))
    expected = (
        "Kosten Mit dem Online-Antrag bezahlen Sie nichts. Die Leistungsbeschreibung nennt: "
        "Hundesteuer: 96 Euro im Jahr. Das setzt das Amt danach mit einem Bescheid fest; Sie "
        "bezahlen es erst, wenn Sie den Bescheid haben."
    )
    assert expected in page
    assert "Kosten keine" not in page
    start = visible_text(client.get(f"/antrag/{form_key}").get_data(as_text=True))
    assert expected in start  # the form's start page says the same

    # A form charging what the catalogue names says it once; a free service stays "keine".
    other_key = "99123456100000"
    permit = make_service(office, name="Parkausweis Test", fees=[
        {"amount_cents": 3060, "currency": "EUR", "text": "für ein Jahr"}])  # fmt: skip
    db_session.add(LeistungKey(leistung=permit, key=other_key))
    make_form(office, service=other_key, fee={"kind": "fixed", "amount_cents": 3060})
    free_key = "99123456200000"
    free = make_service(office, name="Frei Test", fees=[
        {"amount_cents": None, "currency": "EUR", "text": "gebührenfrei"}])  # fmt: skip
    db_session.add(LeistungKey(leistung=free, key=free_key))
    make_form(office, service=free_key, fee={"kind": "none"})
    db_session.commit()
    permit_page = visible_text(_page(client, permit.id, permit.slug))
    assert "30,60 €." in permit_page
    assert "außerdem" not in permit_page
    assert "Kosten keine" in visible_text(_page(client, free.id, free.slug))
