"""Catalogue import against the real München DLDB files and the OZG/LeiKa CSVs in ../shared/data."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from flask import Flask
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, scoped_session

from portal.catalog.importers.taxonomy import (
    COMPACT_FILE,
    dump_compact,
    export_compact,
    is_placeholder,
)
from portal.catalog.models import (
    Lebenslage,
    LeikaKey,
    Leistung,
    LocalOverride,
    Office,
    OzgLeistung,
    Themenfeld,
    Zustaendigkeit,
)
from portal.config import PROJECT_ROOT

DATA = PROJECT_ROOT.parent / "shared" / "data"
SERVICES = DATA / "muenchen_dldb_services_de.json"
LOCATIONS = DATA / "muenchen_dldb_locations_de.json"
OZG_CSVS = [
    DATA / "ozg_katalog_2019_themenfelder_lebenslagen.csv",
    DATA / "ozg_katalog_2019_ozg_leistungen.csv",
    DATA / "ozg_katalog_2019_leika_leistungen.csv",
]
MUENCHEN = "dldb:stadt.muenchen.de"

pytestmark = pytest.mark.skipif(
    not SERVICES.exists(), reason="../shared/data fehlt neben dem Projekt"
)


def run_import(app: Flask, *paths: Path) -> Result:
    return app.test_cli_runner().invoke(args=["catalog", "import", *map(str, paths)])


def count(session: scoped_session[Session], model: type[Any], **filters: Any) -> int:
    return session.scalar(select(func.count()).select_from(model).filter_by(**filters)) or 0


@pytest.fixture
def writes(app: Flask) -> Iterator[list[str]]:
    """SQL statements that change data, recorded while the test runs."""
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            statements.append(statement)

    with app.app_context():
        from portal.extensions import db

        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    yield statements
    event.remove(engine, "before_cursor_execute", record)


def test_munich_files_import_completely(app: Flask, db_session: scoped_session[Session]) -> None:
    result = run_import(app, SERVICES, LOCATIONS)
    assert result.exit_code == 0, result.output
    assert "Leistungen: 287 neu, 0 geändert, 0 unverändert, 0 zurückgezogen" in result.output
    assert "Stellen: 109 neu" in result.output

    raw = json.loads(SERVICES.read_text(encoding="utf-8"))["data"]
    assert count(db_session, Leistung, source=MUENCHEN) == len(raw) == 287
    assert count(db_session, Office, source=MUENCHEN) == 109

    gewerbe = db_session.scalars(select(Leistung).filter_by(source_id="1063423")).one()
    assert gewerbe.name == "Gewerbe-Anmeldung"
    assert [row.key for row in gewerbe.keys] == ["99050012104000"]
    assert "Gewinn zu erzielen" in gewerbe.texts["volltext"]["de"]
    assert "\u200b" not in gewerbe.texts["volltext"]["de"]
    assert "50 bis 60 Euro" in gewerbe.texts["kosten"]["de"]
    assert gewerbe.published
    [office] = [row.office for row in gewerbe.zustaendigkeiten if row.office.source_id == "10546"]
    assert office.name == "Gewerbeamt"
    assert (office.street, office.postal_code, office.city) == (
        "Implerstraße 11",
        "81371",
        "München",
    )
    assert office.email == "gewerbemeldung.kvr@muenchen.de"


def test_munich_messy_cases(app: Flask, db_session: scoped_session[Session]) -> None:
    assert run_import(app, SERVICES, LOCATIONS).exit_code == 0
    raw = {item["id"]: item for item in json.loads(SERVICES.read_text(encoding="utf-8"))["data"]}
    [multi] = [item for item in raw.values() if item["leika"] and "," in item["leika"]]
    stored = db_session.scalars(select(Leistung).filter_by(source_id=multi["id"])).one()
    assert len(stored.keys) == 4
    # The export's internal test record is kept but never shown.
    test_record = db_session.scalars(select(Leistung).filter_by(name="Testleistung")).one()
    assert not test_record.published
    test_location = db_session.scalars(
        select(Office).where(Office.name.like("Teststandort%"))
    ).one()
    assert not test_location.published
    # Non-public records stay unpublished; public ones with text are published.
    hidden = sum(1 for item in raw.values() if not item["public"])
    assert count(db_session, Leistung, source=MUENCHEN, published=False) == hidden
    without_text = [item for item in raw.values() if not item["description"]]
    empty = db_session.scalars(select(Leistung).filter_by(source_id=without_text[0]["id"])).one()
    assert "volltext" not in empty.texts
    for leistung in db_session.scalars(select(Leistung)):
        for module in leistung.texts.values():
            assert "<script" not in module["de"]
            assert "style=" not in module["de"]


def test_a_second_import_writes_nothing(
    app: Flask, db_session: scoped_session[Session], writes: list[str]
) -> None:
    assert run_import(app, *OZG_CSVS, SERVICES, LOCATIONS).exit_code == 0
    writes.clear()
    result = run_import(app, *OZG_CSVS, SERVICES, LOCATIONS)
    assert result.exit_code == 0
    assert "Leistungen: 0 neu, 0 geändert, 287 unverändert, 0 zurückgezogen" in result.output
    assert "Leistungsschlüssel: 0 neu, 0 geändert, 4813 unverändert" in result.output
    assert writes == []


def test_changed_and_withdrawn_records(
    app: Flask, db_session: scoped_session[Session], tmp_path: Path
) -> None:
    assert run_import(app, SERVICES, LOCATIONS).exit_code == 0
    gewerbe_id = db_session.scalars(select(Leistung.id).filter_by(source_id="1063423")).one()
    db_session.add(
        LocalOverride(
            kind="leistung",
            source=MUENCHEN,
            source_id="1063423",
            field="online_url",
            value="https://portal.example/gewerbe",
        )
    )
    local_office = db_session.scalars(select(Office).filter_by(source_id="10546")).one()
    other = db_session.scalars(select(Leistung).filter_by(source_id="1063422")).one()
    db_session.add(
        Zustaendigkeit(leistung=other, office=local_office, area="091620000000", origin="local")
    )
    db_session.commit()

    payload = json.loads(SERVICES.read_text(encoding="utf-8"))
    for item in payload["data"]:
        if item["id"] == "1063423":
            item["name"] = "Gewerbe anmelden"
    withdrawn_id = payload["data"][-1]["id"]
    payload["data"] = payload["data"][:-1]
    changed = tmp_path / "services.json"
    changed.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")

    result = run_import(app, changed, LOCATIONS)
    assert result.exit_code == 0, result.output
    assert "Leistungen: 0 neu, 1 geändert, 285 unverändert, 1 zurückgezogen" in result.output
    # Each command is its own unit of work; load afresh after it.
    gewerbe = db_session.scalars(select(Leistung).filter_by(source_id="1063423")).one()
    assert gewerbe.id == gewerbe_id  # stable id across re-imports
    assert gewerbe.name == "Gewerbe anmelden"
    assert gewerbe.slug == "gewerbe-anmelden"
    withdrawn = db_session.scalars(select(Leistung).filter_by(source_id=withdrawn_id)).one()
    assert not withdrawn.published  # unpublished, not deleted
    # Local changes survive the re-import.
    assert count(db_session, LocalOverride, source_id="1063423") == 1
    assert count(db_session, Zustaendigkeit, origin="local") == 1


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"meta": {}, "data": [{"id": "1", "name": "A", "leika": null', "kein gültiges JSON"),
        ('{"meta": {}, "data": {"id": "1"}}', "unbekanntes JSON-Format"),
        (
            '{"data": [{"id": "7", "name": "Hund anmelden", "leika": "99123"}]}',
            "Datensatz id 7 (Hund anmelden): ungültiger Leistungsschlüssel '99123'",
        ),
        (
            '{"data": [{"id": "8", "name": "", "leika": null, "authorities": []}]}',
            "Datensatz id 8: hat keinen Namen",
        ),
        (
            "themenfeld_id,themenfeld,lebenslage_id,lebenslage\n1,Arbeit\n",
            "Zeile 2: hat zu wenige Spalten",
        ),
        ("<xzufi", "kein gültiges XML"),
    ],
)
def test_a_corrupt_file_changes_nothing_and_names_the_record(
    app: Flask, db_session: scoped_session[Session], tmp_path: Path, content: str, expected: str
) -> None:
    assert run_import(app, SERVICES, LOCATIONS).exit_code == 0
    before = count(db_session, Leistung), count(db_session, Office), count(db_session, Themenfeld)
    broken = tmp_path / ("broken.csv" if content.startswith("themen") else "broken.json")
    broken.write_text(content, encoding="utf-8")
    # The good file comes first: it must not be written either.
    result = run_import(app, *OZG_CSVS, broken)
    assert result.exit_code != 0
    assert "Import abgebrochen, nichts geändert" in result.output
    assert expected in result.output
    after = count(db_session, Leistung), count(db_session, Office), count(db_session, Themenfeld)
    assert after == before


def test_taxonomy_from_the_ozg_csvs(app: Flask, db_session: scoped_session[Session]) -> None:
    result = run_import(app, *OZG_CSVS)
    assert result.exit_code == 0, result.output
    assert (
        "Leistungsschlüssel: 4813 neu, 0 geändert, 0 unverändert, 0 zurückgezogen, 436 abgelehnt"
        in result.output
    )
    assert count(db_session, Themenfeld) == 14
    assert count(db_session, OzgLeistung) == 557
    elterngeld = db_session.scalars(select(OzgLeistung).filter_by(ozg_id="10000")).one()
    assert elterngeld.name == "Elterngeld"
    assert elterngeld.lebenslage is not None
    assert elterngeld.lebenslage.name == "Geburt"
    assert elterngeld.lebenslage.themenfeld.name == "Familie & Kind"
    gewerbe_key = db_session.get(LeikaKey, "99050012104000")
    assert gewerbe_key is not None
    assert gewerbe_key.ozg_leistung_id is not None


def test_the_shipped_compact_taxonomy_is_what_the_csvs_give(
    app: Flask, db_session: scoped_session[Session]
) -> None:
    """portal/catalog/data/ozg_taxonomy.json can be rebuilt with `catalog export-taxonomy`."""
    assert run_import(app, *OZG_CSVS).exit_code == 0
    with app.app_context():
        rebuilt = dump_compact(export_compact())
    assert rebuilt == COMPACT_FILE.read_text(encoding="utf-8")


def test_placeholder_lebenslagen_are_refused_and_taken_back(
    app: Flask, db_session: scoped_session[Session]
) -> None:
    """Defect: rows "aaaaaaaaaaaaaaaaa", "aaaaabbbbb", "aaabbbccc" of the OZG source were
    published as Lebenslagen."""
    feld = Themenfeld(key="1", name="Arbeit & Ruhestand", slug="arbeit-ruhestand", position=0)
    db_session.add(feld)
    db_session.flush()
    db_session.add(
        Lebenslage(key="64", name="aaaaaaaaaaaaaaaaa", slug="a-64", themenfeld_id=feld.id)
    )
    db_session.commit()
    result = run_import(app, *OZG_CSVS)
    assert result.exit_code == 0
    assert "Lebenslagen: 55 neu, 0 geändert, 0 unverändert, 0 zurückgezogen, 3 abgelehnt" in (
        result.output
    )
    names = set(db_session.scalars(select(Lebenslage.name)))
    assert not {"aaaaaaaaaaaaaaaaa", "aaaaabbbbb", "aaabbbccc"} & names
    assert "Geburt" in names
    assert is_placeholder("aaabbbccc")
    assert not is_placeholder("Umzug")
    assert not is_placeholder("Aal")
