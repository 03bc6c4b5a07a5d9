"""Responsibility by place in a region (a Kreis and its Gemeinden), and the place chooser."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, scoped_session

from portal.catalog import places
from portal.catalog.models import (
    Authority,
    AuthorityKind,
    Leistung,
    LeistungKey,
    Office,
    Zustaendigkeit,
)
from portal.extensions import db
from tests.factories import (
    make_authority,
    make_calendar,
    make_form,
    make_office,
    make_person,
    make_service,
)
from tests.support.auth import login_as

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass(frozen=True)
class Region:
    kreis: int
    nord: str  # slugs
    sued: str
    shared_code: str
    passport: int  # a Gemeinde service: each Gemeinde's own Bürgerbüro
    passport_slug: str
    car: int  # a Kreis service: the Kreis's office for every Gemeinde
    car_slug: str
    dog: int  # only Nord has an office for it
    licence: int  # the Kreis for all, but Nord (a große Kreisstadt) does it itself
    names: dict[str, str]


def build_region(suffix: str = "") -> Region:
    """Kreis K with Gemeinden Nord and Süd (ARS under the Kreis's), sharing one postal code.
    ``suffix`` keeps the place names apart where regions are built twice in one database."""
    land = secrets.choice("0123456789") + secrets.choice("0123456789")
    kreis_ars = f"{land}{secrets.randbelow(1000):03d}"
    kreis = make_authority("Kreis Testland", kind=AuthorityKind.KREIS, ars=kreis_ars)
    base = secrets.randbelow(90000) + 10000
    shared = str(base)
    nord = make_authority(f"Nordhausen-Süd{suffix}", ars=kreis_ars + "0001001", parent_id=kreis.id,
                          postal_codes=[shared, str(base + 1)])  # fmt: skip
    sued = make_authority(f"Südweiler{suffix}", ars=kreis_ars + "0002002", parent_id=kreis.id,
                          postal_codes=[shared, str(base + 2)])  # fmt: skip
    office_nord = make_office(name="Bürgerbüro Nordhausen", authority_id=nord.id)
    office_sued = make_office(name="Bürgerbüro Südweiler", authority_id=sued.id)
    office_kreis = make_office(name="Zulassungsstelle des Kreises", authority_id=kreis.id)
    passport = make_service(office_nord, office_sued, name="Reisepass beantragen")
    car = make_service(office_kreis, name="Fahrzeug zulassen")
    dog = make_service(office_nord, name="Hund anmelden")
    licence = make_service(office_kreis, office_nord, name="Führerschein umtauschen")
    return Region(
        kreis.id, nord.slug, sued.slug, shared, passport.id, passport.slug, car.id, car.slug,
        dog.id, licence.id,
        {"nord": office_nord.name, "sued": office_sued.name, "kreis": office_kreis.name},
    )  # fmt: skip


def _here(service_id: int, slug: str) -> list[str]:
    leistung = db.session.get(Leistung, service_id)
    place = places.by_slug(slug)
    assert leistung is not None
    assert place is not None
    return [office.name for office in places.responsible_here(leistung, place)]


@pytest.mark.usefixtures("app_context")
def test_the_gemeinde_serves_its_own_the_kreis_serves_all_and_a_gap_stays_a_gap() -> None:
    region = build_region()
    assert _here(region.passport, region.nord) == [region.names["nord"]]
    assert _here(region.passport, region.sued) == [region.names["sued"]]
    assert _here(region.car, region.nord) == [region.names["kreis"]]
    assert _here(region.car, region.sued) == [region.names["kreis"]]
    assert _here(region.dog, region.sued) == []  # Südweiler has no office for it
    assert _here(region.licence, region.nord) == [region.names["nord"]]  # the closer one
    assert _here(region.licence, region.sued) == [region.names["kreis"]]


@pytest.mark.usefixtures("app_context")
def test_an_explicit_area_wins_over_the_office_authority() -> None:
    """A Gemeinde's office that serves the whole Kreis for one service (a shared Standesamt)."""
    region = build_region()
    leistung = db.session.get(Leistung, region.car)
    assert leistung is not None
    nord = places.by_slug(region.nord)
    assert nord is not None
    office = make_office(name="Standesamt Nordhausen", authority_id=nord.id)
    db.session.add(Zustaendigkeit(leistung_id=leistung.id, office_id=office.id,
                                  area=(nord.ars or "")[:5], origin="local"))  # fmt: skip
    db.session.flush()
    db.session.refresh(leistung)
    assert sorted(_here(region.car, region.sued)) == sorted(
        [region.names["kreis"], "Standesamt Nordhausen"]
    )


@pytest.mark.usefixtures("app_context")
def test_places_are_found_by_postal_code_name_start_and_spelling() -> None:
    region = build_region()
    assert {p.slug for p in places.find(region.shared_code)} == {region.nord, region.sued}
    assert [p.slug for p in places.find("nordhausen-sued")] == [region.nord]
    assert [p.slug for p in places.find("  NORDHAUSEN süd ")] == [region.nord]
    assert [p.slug for p in places.find("Südw")] == [region.sued]
    assert places.find("00000") == []
    assert places.find("Atlantis") == []
    assert places.find("  ") == []
    assert places.by_slug(f"{region.nord}x") is None
    kreis = db.session.get(Authority, region.kreis)
    assert kreis is not None
    assert places.by_slug(kreis.slug) is None  # a Kreis is not a place one lives in


def _page(client: FlaskClient, region: Region, service: str) -> str:
    service_id, slug = {"passport": (region.passport, region.passport_slug),
                        "car": (region.car, region.car_slug)}[service]  # fmt: skip
    return client.get(f"/leistungen/{service_id}/{slug}").get_data(as_text=True)


def _built(app: Flask) -> Region:
    with app.test_request_context("/"):
        region = build_region()
        db.session.commit()
    return region


def test_the_service_page_names_the_office_of_the_chosen_place(
    app: Flask, client: FlaskClient
) -> None:
    region = _built(app)
    anonymous = _page(client, region, "passport")
    assert "data-choose-place" in anonymous
    assert 'data-place=""' in anonymous
    client.set_cookie(places.PLACE_COOKIE, region.sued)
    chosen = _page(client, region, "passport")
    here = chosen.split("data-here", 1)[1].split("zustaendige-stelle", 1)[0]
    assert region.names["sued"] in here
    assert region.names["nord"] not in here
    car = _page(client, region, "car").split("data-here", 1)[1].split("zustaendige-stelle", 1)[0]
    assert region.names["kreis"] in car
    client.set_cookie(places.PLACE_COOKIE, "gibt-es-nicht")
    assert "data-choose-place" in _page(client, region, "passport")


def test_the_page_cache_keeps_one_page_per_place(
    make_app: Callable[..., Flask], db_session: scoped_session[Session]
) -> None:
    app = make_app(page_cache_size=50)
    region = _built(app)
    nord, sued = app.test_client(), app.test_client()
    nord.set_cookie(places.PLACE_COOKIE, region.nord)
    sued.set_cookie(places.PLACE_COOKIE, region.sued)
    for _ in range(2):  # the second round comes from the cache
        assert f'data-place="{region.nord}"' in _page(nord, region, "passport")
        assert f'data-place="{region.sued}"' in _page(sued, region, "passport")


def test_a_logged_in_citizens_address_decides_until_a_place_is_chosen(
    app: Flask, client: FlaskClient
) -> None:
    region = _built(app)
    with app.test_request_context("/"):
        sued = places.by_slug(region.sued)
        assert sued is not None
        person = make_person(postal_code=sued.postal_codes[1], locality="Südweiler")
        login_as(client, person)
        db.session.commit()
    assert f'data-place="{region.sued}"' in _page(client, region, "passport")
    client.set_cookie(places.PLACE_COOKIE, region.nord)
    assert f'data-place="{region.nord}"' in _page(client, region, "passport")


def _csrf(client: FlaskClient) -> str:
    found = CSRF.search(client.get("/ort").get_data(as_text=True))
    assert found
    return found.group(1)


def test_the_chooser_takes_a_postal_code_or_a_name_and_refuses_bad_input_in_german(
    app: Flask, client: FlaskClient
) -> None:
    region = _built(app)
    token = _csrf(client)
    cases = {
        "": "Bitte geben Sie Ihre Postleitzahl oder Ihren Ort ein.",
        "x" * 200: "Postleitzahl oder Ort: höchstens 100 Zeichen.",
        "00000": "„00000“ liegt nicht in unserer Region.",
        "Atlantis": "„Atlantis“ liegt nicht in unserer Region.",
    }
    for text, message in cases.items():
        answer = client.post("/ort", data={"csrf_token": token, "q": text, "next": "/"})
        page = answer.get_data(as_text=True)
        assert answer.status_code == 422, text
        assert message in page
        assert places.PLACE_COOKIE not in answer.headers.get("Set-Cookie", "")
    assert "verwaltung.bund.de" in client.post(
        "/ort", data={"csrf_token": token, "q": "00000"}).get_data(as_text=True)  # fmt: skip
    several = client.post("/ort", data={"csrf_token": token, "q": region.shared_code})
    assert "data-several" in several.get_data(as_text=True)
    one = client.post("/ort", data={"csrf_token": token, "q": "südweiler",
                                    "next": f"/leistungen/{region.passport}"})  # fmt: skip
    assert one.status_code == 303
    assert one.headers["Location"] == f"/leistungen/{region.passport}"
    cookie = one.headers["Set-Cookie"]
    assert f"{places.PLACE_COOKIE}={region.sued}" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    offsite = client.post("/ort", data={"csrf_token": token, "q": "südweiler",
                                        "next": "https://evil.example/"})  # fmt: skip
    assert offsite.headers["Location"] == "/"
    picked = client.post("/ort/waehlen", data={"csrf_token": token, "place": region.nord})
    assert f"{places.PLACE_COOKIE}={region.nord}" in picked.headers["Set-Cookie"]
    bad_pick = client.post("/ort/waehlen", data={"csrf_token": token, "place": "atlantis"})
    assert bad_pick.status_code == 422
    assert "Bitte wählen Sie Ihren Wohnort aus der Liste." in bad_pick.get_data(as_text=True)
    forgotten = client.post("/ort/vergessen", data={"csrf_token": token})
    assert f"{places.PLACE_COOKIE}=;" in forgotten.headers["Set-Cookie"]
    assert client.post("/ort", data={"q": "südweiler"}).status_code == 400  # no CSRF token


def test_each_authority_has_its_entry_and_its_imprint(app: Flask, client: FlaskClient) -> None:
    region = _built(app)
    with app.test_request_context("/"):
        kreis = db.session.get(Authority, region.kreis)
        assert kreis is not None
        kreis.imprint = "Kreis Testland\nLandrätin Erika Beispiel"
        kreis.coat_of_arms = "img/logo.svg"
        kreis_slug = kreis.slug
        db.session.commit()
    entry = client.get(f"/orte/{region.sued}")
    page = entry.get_data(as_text=True)
    assert entry.status_code == 200
    assert f"{places.PLACE_COOKIE}={region.sued}" in entry.headers["Set-Cookie"]
    assert region.names["sued"] in page  # its own office
    assert region.names["kreis"] in page  # and the Kreis's, which serves it too
    assert region.names["nord"] not in page
    assert f'data-place="{region.sued}"' in _page(client, region, "passport")  # now chosen
    kreis_page = client.get(f"/orte/{kreis_slug}")
    assert (
        "Set-Cookie" not in kreis_page.headers
        or places.PLACE_COOKIE not in (kreis_page.headers["Set-Cookie"])
    )
    assert f"/orte/{region.nord}" in kreis_page.get_data(as_text=True)  # its Gemeinden
    assert 'alt="Wappen von Kreis Testland"' in kreis_page.get_data(as_text=True)
    imprint = client.get(f"/orte/{kreis_slug}/impressum").get_data(as_text=True)
    assert "Landrätin Erika Beispiel" in imprint
    assert "preserve-lines" in imprint
    assert client.get("/orte/atlantis").status_code == 404
    assert client.get("/orte/atlantis/impressum").status_code == 404


def test_a_gemeindes_own_host_serves_its_place_until_another_is_chosen(
    make_app: Callable[..., Flask], db_session: scoped_session[Session]
) -> None:
    probe = make_app()
    region = _built(probe)
    app = make_app(home_authority=region.nord)
    client = app.test_client()
    assert f'data-place="{region.nord}"' in _page(client, region, "passport")
    client.set_cookie(places.PLACE_COOKIE, region.sued)
    assert f'data-place="{region.sued}"' in _page(client, region, "passport")


def _newest_office(name: str) -> Office | None:
    """The office of that name the latest ``build_region`` made (names repeat across tests)."""
    found: Office | None = db.session.scalar(
        db.select(Office).where(Office.name == name).order_by(Office.id.desc())
    )
    return found


def elsewhere_block(html: str) -> str:
    return html.split("data-online-elsewhere>", 1)[1].split("</ul>", 1)[0]


@pytest.mark.usefixtures("app_context")
def test_booking_and_the_online_form_follow_the_chosen_place(
    app: Flask, client: FlaskClient
) -> None:
    """Issue 31, 7 and 8: with Südweiler chosen, the page named Südweiler's Bürgerbüro but
    booked Nordhausen's, and said "nicht online" where the portal's form goes to Nordhausen."""
    with app.test_request_context("/"):
        region = build_region()
        passport = db.session.get(Leistung, region.passport)
        assert passport is not None
        nord = _newest_office(region.names["nord"])
        sued = _newest_office(region.names["sued"])
        assert nord is not None
        assert sued is not None
        sued.phone, sued.url = "0761 12 34", "https://suedweiler.example/"
        key = f"99{secrets.randbelow(10**12):012d}"
        db.session.add(LeistungKey(leistung=passport, key=key))
        make_form(nord, service=key)
        make_calendar(nord, passport)
        db.session.commit()

    client.set_cookie(places.PLACE_COOKIE, region.nord)
    north = _page(client, region, "passport")
    assert f"Termin buchen: <span>{region.names['nord']}</span>" in north
    assert "Online beantragen" in north
    client.set_cookie(places.PLACE_COOKIE, region.sued)
    south = _page(client, region, "passport")
    assert "Termin buchen:" not in south  # not Nordhausen's calendar for a Südweiler citizen
    no_booking = south.split("data-no-booking-here", 1)[1].split("</section>", 1)[0]
    assert (
        f"{region.names['sued']} bietet für diese Leistung keine Online-Terminbuchung an."
        in no_booking
    )
    assert "wie oben unter „So erledigen Sie das“" in no_booking  # its phone is just above
    assert 'href="tel:07611234"' in elsewhere_block(south)
    assert "Online beantragen" not in south  # the form goes to Nordhausen
    elsewhere = elsewhere_block(south)
    assert elsewhere.startswith("Den Online-Antrag dieses Portals nimmt für Südweiler keine")
    assert f"Zuständig ist: {region.names['sued']}." in elsewhere
    assert 'href="https://suedweiler.example/"' in elsewhere
    assert "Diese Leistung gibt es nicht online" not in south


@pytest.mark.usefixtures("app_context")
def test_where_nobody_is_known_for_the_place_its_own_administration_is_named(
    app: Flask, client: FlaskClient
) -> None:
    """Issue 31, 8: "Hund anmelden" for a place the form does not serve was a dead end."""
    with app.test_request_context("/"):
        region = build_region()
        dog = db.session.get(Leistung, region.dog)
        assert dog is not None
        nord = _newest_office(region.names["nord"])
        assert nord is not None
        key = f"99{secrets.randbelow(10**12):012d}"
        db.session.add(LeistungKey(leistung=dog, key=key))
        make_form(nord, service=key)
        path = f"/leistungen/{dog.id}/{dog.slug}"
        db.session.commit()
    client.set_cookie(places.PLACE_COOKIE, region.sued)
    page = client.get(path).get_data(as_text=True)
    ask = page.split("data-ask-town>", 1)[1].split("</ul>", 1)[0]
    assert ask.startswith(
        "Den Online-Antrag dieses Portals nimmt für Südweiler keine Stelle entgegen. "
        f"Welche Stelle in Südweiler zuständig ist, sagt Ihnen: {region.names['sued']}."
    )
    assert 'href="tel:115"' in ask
    assert "Diese Leistung gibt es nicht online" not in page
