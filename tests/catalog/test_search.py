"""Search over the real München catalogue, on whichever database the run uses."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, scoped_session

from portal.catalog.models import Leistung
from portal.catalog.search import (
    _joined,
    _split_compound,
    _within_one_edit,
    analyse,
    fold,
    query_groups,
    ranked,
    search,
    synonyms,
)
from portal.extensions import db
from tests.catalog.test_import import LOCATIONS, SERVICES, run_import


@pytest.fixture
def munich(app: Flask, db_session: scoped_session[Session]) -> Flask:
    assert run_import(app, SERVICES, LOCATIONS).exit_code == 0
    return app


def names(app: Flask, query: str, **filters: object) -> list[str]:
    with app.test_request_context():
        return [leistung.name for leistung in search(query, **filters)]  # type: ignore[arg-type]


def test_the_analyser_folds_umlauts_and_stems() -> None:
    assert fold("Führerschein Straße") == "fuehrerschein strasse"
    assert analyse("Führerschein") == analyse("Fuehrerschein") == analyse("FÜHRERSCHEIN")
    assert analyse("Anmeldungen") == analyse("Anmeldung")


@pytest.mark.parametrize(
    ("a", "b", "close"),
    [
        ("personalausweis", "personalauswies", True),  # swapped letters
        ("reisepass", "reisepas", True),  # one missing
        ("hund", "hunde", True),
        ("gewerbe", "gewerbe", True),
        ("gewerbe", "gewarbi", False),
        ("pass", "passen", False),
    ],
)
def test_one_edit(a: str, b: str, close: bool) -> None:
    assert _within_one_edit(a, b) is close


def test_gewerbe_finds_the_gewerbe_anmeldung_first(munich: Flask) -> None:
    found = names(munich, "Gewerbe")
    assert found[0] == "Gewerbe-Anmeldung"
    with munich.app_context():
        from portal.extensions import db

        first = db.session.scalars(select(Leistung).filter_by(name=found[0])).one()
        assert [row.key for row in first.keys] == ["99050012104000"]


def test_perso_finds_the_personalausweis(munich: Flask) -> None:
    assert names(munich, "Perso")[0] == "Personalausweis"
    assert names(munich, "perso")[0] == "Personalausweis"


def test_the_exact_name_comes_first(munich: Flask) -> None:
    assert names(munich, "Reisepass")[0] == "Reisepass"
    assert names(munich, "reisepass")[0] == "Reisepass"


def test_synonyms_umlauts_and_a_typo_are_forgiven(munich: Flask) -> None:
    assert "Wohnsitzanmeldung" in names(munich, "Ummeldung")
    fuehrerschein = names(munich, "Führerschein")
    assert fuehrerschein
    assert names(munich, "Fuehrerschein") == fuehrerschein
    assert names(munich, "Personalauswies")[0] == "Personalausweis"  # one typo
    with munich.test_request_context():
        assert query_groups("Perso")[0] == [("perso",), ("personalausweis",)]


def test_filler_words_are_passed_over(munich: Flask) -> None:
    reisepass = names(munich, "Reisepass")
    assert names(munich, "einen Reisepass für mich") == reisepass
    assert names(munich, "Pass für den Hund") == names(munich, "Pass Hund")


def test_filler_words_alone_search_the_names_only(munich: Flask) -> None:
    found = names(munich, "für")
    assert "Parkausweis für Härtefalle" in found  # sic, as München spells it
    assert all("für" in name.lower() for name in found)  # most texts say „für“: not those


def test_unknown_words_and_unpublished_services_find_nothing(munich: Flask) -> None:
    assert names(munich, "Quarkstrudelverordnung") == []
    assert "Testleistung" not in names(munich, "Testleistung")


def test_filters(munich: Flask) -> None:
    assert names(munich, "Gewerbe", addressee="unternehmen") == []  # DLDB: all for citizens
    assert names(munich, "Gewerbe", online_only=True) == []  # München lists no online link


def test_search_page(munich: Flask, client: FlaskClient) -> None:
    html = client.get("/suche?q=Gewerbe").get_data(as_text=True)
    assert "Gewerbe-Anmeldung" in html
    assert html.index("Gewerbe-Anmeldung") < html.index("Gewerbe-Ummeldung")
    assert 'value="Gewerbe"' in html
    empty = client.get("/suche?q=Quarkstrudelverordnung")
    assert empty.status_code == 200
    text = empty.get_data(as_text=True)
    assert "Keine Leistung gefunden für „Quarkstrudelverordnung“" in text
    assert "Behördennummer 115" in text
    too_long = client.get("/suche?q=" + "x" * 201)
    assert too_long.status_code == 422
    assert "höchstens 200 Zeichen" in too_long.get_data(as_text=True)


def test_reimport_keeps_the_index_in_step(
    munich: Flask, db_session: scoped_session[Session], tmp_path: object
) -> None:
    """A withdrawn service leaves the index with the import that withdrew it."""
    import json
    from pathlib import Path

    payload = json.loads(SERVICES.read_text(encoding="utf-8"))
    payload["data"] = [item for item in payload["data"] if item["name"] != "Reisepass"]
    changed = Path(str(tmp_path)) / "services.json"
    changed.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    assert run_import(munich, changed, LOCATIONS).exit_code == 0
    assert "Reisepass" not in names(munich, "Reisepass")


def test_search_results_are_paged(munich: Flask, client: FlaskClient) -> None:
    with munich.test_request_context():
        total = len(search("Perso"))
    assert total > 40
    first = client.get("/suche?q=Perso").get_data(as_text=True)
    assert f"{total} Leistungen gefunden" in first
    assert first.count('class="service-list__item"') == 20
    assert "Seite 1 von" in first
    assert 'rel="next" href="/suche?seite=2&amp;q=Perso"' in first
    assert 'rel="prev"' not in first
    second = client.get("/suche?q=Perso&seite=2").get_data(as_text=True)
    assert 'rel="prev"' in second
    assert 'start="21"' in second
    first_names = set(re.findall(r'kern-heading-small"><a[^>]*>([^<]+)<', first))
    second_names = set(re.findall(r'kern-heading-small"><a[^>]*>([^<]+)<', second))
    assert first_names.isdisjoint(second_names)
    beyond = client.get("/suche?q=Perso&seite=999").get_data(as_text=True)
    pages = -(-total // 20)
    assert f"Seite {pages} von {pages}" in beyond  # past the end shows the last page
    assert client.get("/suche?q=Perso&seite=0").status_code == 422


@pytest.mark.parametrize(
    "query",
    [
        '"',
        "*",
        ")(",
        "OR AND NOT",
        "NEAR(a b)",
        "a:*",
        "' OR 1=1 --",
        "ßßß",
        "ä",
        "\u200b",
        "x" * 200,
    ],
)
def test_odd_input_never_breaks_the_search(munich: Flask, client: FlaskClient, query: str) -> None:
    response = client.get("/suche", query_string={"q": query})
    assert response.status_code == 200
    assert response.mimetype == "text/html"


def test_a_corrected_query_says_what_was_searched_for(munich: Flask, client: FlaskClient) -> None:
    html = client.get("/suche?q=Personalauswies").get_data(as_text=True)
    notice = re.search(r"data-corrected>([^<]+)<", html)
    assert notice
    assert (
        notice.group(1) == "Ergebnisse für „Personalausweis“. Ihre Eingabe war „Personalauswies“."
    )
    exact = client.get("/suche?q=Personalausweis").get_data(as_text=True)
    assert "data-corrected" not in exact  # nothing corrected, nothing said
    synonym = client.get("/suche?q=Perso").get_data(as_text=True)
    assert "data-corrected" not in synonym  # a prefix or synonym is not a correction


def test_verbs_and_everyday_phrases_find_the_service(munich: Flask) -> None:
    moving = names(munich, "Umzug")
    assert "Wohnsitzanmeldung" in moving
    assert "Wohnsitzanmeldung" in names(munich, "umziehen")
    assert "Wohnsitzanmeldung" in names(munich, "ich ziehe um")
    assert "Wohnsitzanmeldung" in names(munich, "umgezogen")


def test_english_words_find_services_in_the_english_interface(
    munich: Flask, client: FlaskClient
) -> None:
    client.get("/sprache/en?next=/")
    html = client.get("/suche?q=passport").get_data(as_text=True)
    assert '<h3 class="kern-heading-small" lang="de"><a class="kern-link"' in html
    first = re.search(r'lang="de"><a class="kern-link" href="[^"]+">([^<]+)<', html)
    assert first
    assert first.group(1) == "Reisepass"
    assert ("dog",) not in synonyms("de")  # German interface: English words stay English
    assert synonyms("en")[("dog",)] == ["Hund"]


def test_a_word_nothing_matches_with_the_others_falls_back_to_partial_matches(
    munich: Flask, client: FlaskClient
) -> None:
    with munich.test_request_context():
        assert ranked("Reisepass", language="de")[1] is False
        ids, partial = ranked("Reisepass Quarkstrudel")
        assert partial is True
        assert ids
        assert ranked("Quarkstrudelverordnung") == ([], False)  # one unknown word: nothing
    assert names(munich, "Reisepass Quarkstrudel")[0] == "Reisepass"
    html = client.get("/suche?q=Reisepass+Quarkstrudel").get_data(as_text=True)
    notice = re.search(r"data-partial>([^<]+)<", html)
    assert notice
    assert notice.group(1) == (
        "Keine Leistung passt zu allen Wörtern von „Reisepass Quarkstrudel“. "
        "Diese Leistungen passen zu einem Teil davon:"
    )
    assert "data-corrected" not in html
    assert "Reisepass" in html
    assert "data-partial" not in client.get("/suche?q=Reisepass").get_data(as_text=True)
    # A service matching two of the words ranks above those matching one.
    with munich.test_request_context():
        three, partial_three = ranked("Gewerbe Anmeldung Quarkstrudel")
        assert partial_three is True
        first = db.session.get(Leistung, three[0])
        assert first is not None
        assert first.name == "Gewerbe-Anmeldung"


def test_what_citizens_do_with_a_service_is_read_as_the_catalogue_says_it(munich: Flask) -> None:
    # "beantragen" says nothing about which service: passed over like a filler word.
    assert names(munich, "Reisepass beantragen")[0] == "Reisepass"
    assert names(munich, "neuer Reisepass")[0] == "Reisepass"
    # What happened, in the catalogue's words: "verloren" → "Verlust".
    assert "Verlust oder Diebstahl Personalausweis" in names(munich, "Personalausweis verloren")[:3]
    assert "Verlust oder Diebstahl Personalausweis" in names(munich, "perso gestohlen")[:3]


def test_compounds_are_split_and_joined(munich: Flask) -> None:
    with munich.test_request_context():
        assert _joined(["taxi", "genehmigung"]) == ["taxigenehmigung"]
        assert _joined(["quark", "strudel"]) is None
        split = _split_compound("anwohnerparkausweis", "de")
        assert split is not None
        assert "".join(split) == "anwohnerparkausweis"
        assert _split_compound("quarkstrudelverordnung", "de") is None
    assert "arkausweis" in names(munich, "Anwohnerparkausweis")[0]  # Bewohner- or Parkausweis
    assert names(munich, "taxi genehmigung")[0].startswith("Taxigenehmigung")
