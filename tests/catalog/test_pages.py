"""Catalogue pages through the test client: what is shown, what is hidden, overrides applied."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, scoped_session

from portal.catalog.models import Leistung, LocalOverride, Office
from tests.catalog.test_import import run_import
from tests.catalog.test_xzufi import MESSAGE
from tests.support.html import unmarked_german


class Ref:
    """Plain values of a row: rows loaded in a test detach when a request ends its session."""

    def __init__(self, row: Leistung | Office) -> None:
        self.id, self.slug = row.id, row.slug
        self.source, self.source_id = row.source, row.source_id


def imported(app: Flask, session: scoped_session[Session]) -> Ref:
    assert run_import(app, MESSAGE).exit_code == 0
    return Ref(session.scalars(select(Leistung).filter_by(source_id="L100042_LEISTUNG_1")).one())


def test_service_page_shows_every_part(
    app: Flask, client: FlaskClient, db_session: scoped_session[Session]
) -> None:
    hund = imported(app, db_session)
    response = client.get(f"/leistungen/{hund.id}/{hund.slug}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<h1 class="kern-heading-x-large">Hund anmelden</h1>' in html
    assert "Erforderliche Unterlagen" in html
    assert "<li>Chipnummer des Hundes</li>" in html
    assert "12,50\xa0€" in html
    needs = html.split("data-you-need")[1].split("</section>")[0]
    assert "mit Ihrem ELSTER-Zertifikat oder der Online-Ausweisfunktion" in needs
    assert "Vertrauensniveau" not in html
    assert "substanziell" not in html
    assert "12,50\xa0€; wie Sie bezahlen, erfahren Sie im Online-Dienst." in needs
    assert 'href="#unterlagen"' in needs
    assert 'id="unterlagen"' in html
    assert html.index("data-you-need") < html.index("Online beantragen")
    assert "data-next-step" not in html  # applied for online: no in-person next step
    assert 'href="https://antrag.example.org/hund"' in html
    assert "Online beantragen" in html
    assert "Steueramt" in html
    assert "Mo–Fr 8–12 Uhr, Do 14–18 Uhr" in html
    assert "<script" not in html.split("</head>")[1]


def test_old_or_missing_slug_redirects_to_the_canonical_address(
    app: Flask, client: FlaskClient, db_session: scoped_session[Session]
) -> None:
    hund = imported(app, db_session)
    for path in (f"/leistungen/{hund.id}", f"/leistungen/{hund.id}/alter-name"):
        response = client.get(path)
        assert response.status_code == 301
        assert response.headers["Location"] == f"/leistungen/{hund.id}/hund-anmelden"


def test_unpublished_and_unknown_records_are_not_found(
    app: Flask, client: FlaskClient, db_session: scoped_session[Session]
) -> None:
    hund = imported(app, db_session)
    row = db_session.get(Leistung, hund.id)
    assert row is not None
    row.published = False
    db_session.commit()
    assert client.get(f"/leistungen/{hund.id}/{hund.slug}").status_code == 404
    assert client.get("/leistungen/999999999").status_code == 404
    assert client.get("/stellen/999999999").status_code == 404
    assert client.get("/themen/gibt-es-nicht").status_code == 404


def test_local_overrides_win_on_the_pages(
    app: Flask, client: FlaskClient, db_session: scoped_session[Session]
) -> None:
    hund = imported(app, db_session)
    office = Ref(db_session.scalars(select(Office).filter_by(source_id="L100042_OE_3")).one())
    db_session.add_all(
        [
            LocalOverride(
                kind="leistung",
                source=hund.source,
                source_id=hund.source_id,
                field="online_url",
                value="https://portal.musterstadt.example/hund",
            ),
            LocalOverride(
                kind="office",
                source=office.source,
                source_id=office.source_id,
                field="phone",
                value="0123 999-1",
            ),
        ]
    )
    db_session.commit()
    html = client.get(f"/leistungen/{hund.id}/{hund.slug}").get_data(as_text=True)
    assert 'href="https://portal.musterstadt.example/hund"' in html
    assert "0123 999-1" in html
    assert "0123 456-0" not in html
    office_page = client.get(f"/stellen/{office.id}/{office.slug}").get_data(as_text=True)
    assert "0123 999-1" in office_page
    assert "Hund anmelden" in office_page


def test_service_page_in_english_uses_the_english_text(
    app: Flask,
    client: FlaskClient,
    db_session: scoped_session[Session],
) -> None:
    hund = imported(app, db_session)
    client.get("/sprache/en?next=/")
    html = client.get(f"/leistungen/{hund.id}/{hund.slug}").get_data(as_text=True)
    assert "Dog owners register their dog" in html
    assert "Documents required" in html
    assert "Nachweis der Haftpflichtversicherung" in html  # no English text: German shown


def test_a_to_z(app: Flask, client: FlaskClient, db_session: scoped_session[Session]) -> None:
    hund = imported(app, db_session)
    assert client.get("/a-z").headers["Location"] == "/a-z/G"  # first letter with services
    assert client.get("/a-z/h").headers["Location"] == "/a-z/H"
    page = client.get("/a-z/H").get_data(as_text=True)
    assert f'href="/leistungen/{hund.id}/hund-anmelden">Hund anmelden</a>' in page
    assert '<span class="letter-list__current" aria-current="page">H</span>' in page
    assert 'href="/a-z/G"' in page
    assert "Hund anmelden" not in client.get("/a-z/G").get_data(as_text=True)
    assert client.get("/a-z/ä").status_code == 404


def test_sitemap_lists_published_pages_only(
    app: Flask, client: FlaskClient, db_session: scoped_session[Session]
) -> None:
    hund = imported(app, db_session)
    response = client.get("/sitemap.xml")
    assert response.mimetype == "application/xml"
    body = response.get_data(as_text=True)
    assert f"<loc>http://localhost/leistungen/{hund.id}/hund-anmelden</loc>" in body
    assert "<loc>http://localhost/barrierefreiheit</loc>" in body
    gewerbe = db_session.scalars(select(Leistung).filter_by(source_id="L100042_LEISTUNG_2")).one()
    gewerbe.published = False
    gewerbe_id = gewerbe.id
    db_session.commit()
    assert f"/leistungen/{gewerbe_id}/" not in client.get("/sitemap.xml").get_data(as_text=True)


def test_service_page_carries_schema_org_json_ld(
    app: Flask, client: FlaskClient, db_session: scoped_session[Session]
) -> None:
    import json
    import re

    hund = imported(app, db_session)
    html = client.get(f"/leistungen/{hund.id}/{hund.slug}").get_data(as_text=True)
    [block] = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    data = json.loads(block)
    assert data["@type"] == "GovernmentService"
    assert data["name"] == "Hund anmelden"
    assert {"@type": "PropertyValue", "propertyID": "Leistungsschlüssel",
            "value": "99108007000000"} in data["identifier"]  # fmt: skip
    channels = data["availableChannel"]
    assert channels[0]["serviceUrl"] == "https://antrag.example.org/hund"
    assert channels[1]["serviceLocation"]["address"]["postalCode"] == "12345"


def test_german_parts_of_an_english_page_say_so(
    app: Flask, client: FlaskClient, db_session: scoped_session[Session]
) -> None:
    """WCAG 3.1.2: German content inside the English interface carries lang="de"."""
    hund = imported(app, db_session)
    client.get("/sprache/en?next=/")
    html = client.get(f"/leistungen/{hund.id}/{hund.slug}").get_data(as_text=True)
    assert '<h1 class="kern-heading-x-large" lang="de">Hund anmelden</h1>' in html
    assert "data-only-german" in html
    german = html.index("Nachweis der Haftpflichtversicherung")
    section = html.rfind('<section class="kern-stack-sm', 0, german)
    assert html.rfind('lang="de"', 0, german) > section
    english = html.index("Dog owners register their dog")
    opening = html.rfind("<div", 0, english)
    assert 'lang="de"' not in html[opening:english]


def test_english_catalogue_pages_mark_every_german_part(
    app: Flask, client: FlaskClient, db_session: scoped_session[Session]
) -> None:
    """Walk the public pages in English: whatever is still German (the Redaktion's texts,
    names, opening hours, fees) is marked lang="de"; the interface around it is English."""
    hund = imported(app, db_session)
    office = Ref(db_session.scalars(select(Office).filter_by(source_id="L100042_OE_3")).one())
    office_page = f"/stellen/{office.id}/{office.slug}"
    client.get("/sprache/en?next=/")
    pages = [
        "/",
        f"/leistungen/{hund.id}/{hund.slug}",
        office_page,
        "/a-z/h",
        "/suche?q=Hund",
        "/leichte-sprache",
        "/gebaerdensprache",
        "/barrierefreiheit",
        "/impressum",
        "/datenschutz",
    ]
    found = {}
    for path in pages:
        answer = client.get(path, follow_redirects=True)
        assert answer.status_code == 200, path
        german = unmarked_german(answer.get_data(as_text=True))
        if german:
            found[path] = german[:3]
    assert found == {}
