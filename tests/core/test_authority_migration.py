"""The region migration on a single-municipality database: what was there becomes the first
authority, with every office, and nothing else changes (SQLite, or PostgreSQL in CI)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import MetaData, Table, func, select
from sqlalchemy.engine import Connection

from portal.extensions import db
from tests.conftest import empty_database
from tests.core.test_office_id_migration import _insert

BEFORE = "92bee7dfdcfb"  # the last revision of the single-municipality portal


@pytest.fixture
def single_municipality(tmp_path: Path, make_app: Callable[..., Flask]) -> Iterator[Flask]:
    with empty_database(tmp_path, "portal_authorities") as url:
        app = make_app(database_url=url)
        with app.app_context():
            upgrade(directory=str(app.config["PORTAL"].migrations_dir), revision=BEFORE)
        yield app
        with app.app_context():
            db.engine.dispose()


def _office(connection: Connection, key: str, organization: str) -> int:
    return _insert(
        connection, "catalog_office", source="dldb", source_id=key, name=key.title(), slug=key,
        published=True, opening_hours=[], organization=organization,
    )  # fmt: skip


def _rows(connection: Connection, table: str) -> list[tuple[object, ...]]:
    reflected = Table(table, MetaData(), autoload_with=connection)
    return [tuple(row) for row in connection.execute(select(reflected).order_by(reflected.c.id))]


def test_the_existing_municipality_becomes_the_first_authority_with_every_office(
    single_municipality: Flask,
) -> None:
    app = single_municipality
    with app.app_context():
        with db.engine.begin() as connection:
            offices = [
                _office(connection, "buergerbuero", "Stadtverwaltung Altstadt"),
                _office(connection, "standesamt", "Stadtverwaltung Altstadt"),
                _office(connection, "jobcenter", "Jobcenter Altstadt"),
            ]
            service = _insert(
                connection, "catalog_leistung", source="dldb", source_id="1", name="Pass",
                slug="pass", texts={}, fees=[], deadlines=[], processing_times=[], forms=[],
                links=[], addressees=[], published=True,
            )  # fmt: skip
            _insert(connection, "catalog_zustaendigkeit", leistung_id=service,
                    office_id=offices[0], area="", origin="import")  # fmt: skip
            before = {table: _rows(connection, table)
                      for table in ("catalog_leistung", "catalog_zustaendigkeit")}  # fmt: skip
        upgrade(directory=str(app.config["PORTAL"].migrations_dir))
        with db.engine.connect() as connection:
            authorities = _rows(connection, "catalog_authority")
            assert len(authorities) == 1
            table = Table("catalog_authority", MetaData(), autoload_with=connection)
            first = connection.execute(select(table.c.id, table.c.name, table.c.slug)).one()
            assert (first.name, first.slug) == ("Altstadt", "altstadt")
            office_table = Table("catalog_office", MetaData(), autoload_with=connection)
            owners = connection.execute(
                select(office_table.c.authority_id, func.count()).group_by(
                    office_table.c.authority_id)
            ).all()  # fmt: skip
            assert owners == [(first.id, len(offices))]
            for name, rows in before.items():
                assert _rows(connection, name) == rows  # untouched
            assert not office_table.c.authority_id.nullable
