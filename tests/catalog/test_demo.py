"""The demo catalogue that `make run` loads."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, scoped_session

from portal.catalog import places
from portal.catalog.demo import DEMO_SOURCE
from portal.catalog.models import Authority, AuthorityKind, Leistung, Office
from portal.catalog.services import lebenslagen_of


def load_demo(app: Flask) -> str:
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    return result.output


def test_demo_loads_a_believable_municipality_once(
    app: Flask, db_session: scoped_session[Session]
) -> None:
    first = load_demo(app)
    assert "Themenfelder: 14 neu" in first
    assert "Leistungen: 40 neu" in first
    assert "Stellen: 12 neu" in first
    second = load_demo(app)
    assert "Leistungen: 0 neu, 0 geändert, 40 unverändert" in second
    assert "Themenfelder: 0 neu, 0 geändert, 14 unverändert" in second
    count = db_session.scalar(
        select(func.count()).select_from(Leistung).filter_by(source=DEMO_SOURCE, published=True)
    )
    assert count == 40
    offices = db_session.scalar(
        select(func.count()).select_from(Office).filter_by(source=DEMO_SOURCE)
    )
    assert offices == 12


def test_the_demo_region_answers_differently_by_place(
    app: Flask, db_session: scoped_session[Session]
) -> None:
    """A Kreis with three Gemeinden, offices in each, and services whose responsibility differs:
    the Gemeinde's own Bürgerbüro for a Personalausweis, the Kreis for a car."""
    load_demo(app)
    with app.test_request_context("/"):
        kreis = db_session.scalar(select(Authority).filter_by(kind=AuthorityKind.KREIS))
        assert kreis is not None
        gemeinden = list(db_session.scalars(select(Authority).filter_by(parent_id=kreis.id)))
        assert len(gemeinden) >= 3
        for gemeinde in gemeinden:
            assert db_session.scalar(select(func.count()).select_from(Office).filter_by(
                authority_id=gemeinde.id)), gemeinde.name  # fmt: skip

        def here(service: str, place: str) -> list[str]:
            leistung = db_session.scalar(select(Leistung).filter_by(source_id=service))
            found = places.by_slug(place)
            assert leistung is not None
            assert found is not None
            return [office.name for office in places.responsible_here(leistung, found)]

        assert here("personalausweis", "neudorf") == ["Bürgerbüro Neudorf"]
        assert here("personalausweis", "musterstadt") == ["Bürgerbüro"]
        assert (
            here("kfz-zulassung", "neudorf")
            == here("kfz-zulassung", "beispielhausen")
            == ["Kfz-Zulassungsstelle"]
        )
        assert here("hund-anmelden", "neudorf") == []


def test_every_demo_service_has_a_place_text_and_office(
    app: Flask, db_session: scoped_session[Session]
) -> None:
    load_demo(app)
    with app.app_context():
        from portal.extensions import db

        services = list(db.session.scalars(select(Leistung).filter_by(source=DEMO_SOURCE)))
        homeless = [item.name for item in services if not lebenslagen_of(item)]
        assert homeless == []
        assert all(item.texts["volltext"]["de"] and item.zustaendigkeiten for item in services)
        levels = {item.trust_level for item in services}
        assert {"basisregistrierung", "substanziell", "hoch", None} <= levels
        assert any("unternehmen" in item.addressees for item in services)


def test_demo_search_and_pages(
    app: Flask, client: FlaskClient, db_session: scoped_session[Session]
) -> None:
    load_demo(app)
    html = client.get("/suche?q=Perso").get_data(as_text=True)
    assert "Personalausweis beantragen" in html
    page = client.get("/suche?q=Hundemarke").get_data(as_text=True)
    assert "Hund anmelden" in page
    start = client.get("/").get_data(as_text=True)
    assert "Familie &amp; Kind" in start
