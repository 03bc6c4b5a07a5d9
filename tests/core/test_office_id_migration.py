"""The migration from office names to office ids, with rows as the previous release wrote them.

Runs on the run's database kind (SQLite, or PostgreSQL with PORTAL_TEST_DATABASE_URL).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import JSON, Boolean, DateTime, Integer, MetaData, Table, insert, select
from sqlalchemy.engine import Connection

from portal.extensions import db
from tests.conftest import empty_database

BEFORE = "1707a2a929bb"  # the last revision with office names


@pytest.fixture
def old_schema(tmp_path: Path, make_app: Callable[..., Flask]) -> Iterator[Flask]:
    with empty_database(tmp_path, "portal_office_ids") as url:
        app = make_app(database_url=url)
        with app.app_context():
            upgrade(directory=str(app.config["PORTAL"].migrations_dir), revision=BEFORE)
        yield app
        with app.app_context():
            db.engine.dispose()


def _insert(connection: Connection, table_name: str, /, **values: Any) -> int:
    """Insert a row, filling every required column the test does not care about."""
    table = Table(table_name, MetaData(), autoload_with=connection)
    row: dict[str, Any] = {}
    for column in table.columns:
        if column.name in values or column.nullable or column.primary_key:
            continue
        if column.server_default is not None:
            continue
        if isinstance(column.type, Boolean):
            row[column.name] = False
        elif isinstance(column.type, Integer):
            row[column.name] = 0
        elif isinstance(column.type, DateTime):
            row[column.name] = dt.datetime.now(dt.UTC)
        elif isinstance(column.type, JSON):
            row[column.name] = {}
        else:
            row[column.name] = secrets.token_hex(4)  # unique where it must be
    row.update(values)
    result = connection.execute(insert(table).values(**row).returning(table.c.id))
    return int(result.scalar_one())


def _office(connection: Connection, source_id: str, slug: str) -> int:
    return _insert(
        connection, "catalog_office", source="demo:musterstadt", source_id=source_id,
        name=slug.title(), slug=slug, published=True, opening_hours=[],
    )  # fmt: skip


def _old_rows(connection: Connection) -> dict[str, int]:
    steueramt = _office(connection, "steueramt", "steueramt")
    kfz = _office(connection, "kfz", "kfz-zulassungsstelle")
    person = _insert(connection, "person", issuer="i", subject="anna", sources={})
    organisation = _insert(connection, "organisation", issuer="i", external_id="DE-UK-4711")
    dog = _insert(
        connection, "form_version", key="hund-anmelden", version=1, title="Hund",
        definition={"office": "steueramt"}, active=True,
    )  # fmt: skip
    parking = _insert(
        connection, "form_version", key="bewohnerparkausweis", version=1, title="Parken",
        definition=json.loads('{"office": "kfz"}'), active=True,
    )  # fmt: skip
    submitted = _insert(
        connection, "application", form_key="hund-anmelden", form_version=1, title="Hund",
        status="eingereicht", office="steueramt", person_id=person, answers={}, prefilled={},
        complete={},
    )  # fmt: skip
    # The defect: the form said "kfz", the office's URL name is "kfz-zulassungsstelle".
    parked = _insert(
        connection, "application", form_key="bewohnerparkausweis", form_version=1,
        title="Parken", status="eingereicht", office="kfz", person_id=person, answers={},
        prefilled={}, complete={},
    )  # fmt: skip
    draft = _insert(
        connection, "application", form_key="hund-anmelden", form_version=1, title="Hund",
        status="entwurf", office="", person_id=person, answers={}, prefilled={}, complete={},
    )  # fmt: skip
    thread = _insert(
        connection, "postfach_thread", subject="Frage", office="steueramt", person_id=person,
        archived=False,
    )  # fmt: skip
    citizen_login = _insert(
        connection, "login_session", kind="buerger", person_id=person,
        organisation_id=organisation, trust_level=1, idle_seconds=60,
        expires_at=dt.datetime.now(dt.UTC), last_seen_at=dt.datetime.now(dt.UTC),
    )  # fmt: skip
    org_login = _insert(
        connection, "login_session", kind="organisation", person_id=person,
        organisation_id=organisation, trust_level=1, idle_seconds=60,
        expires_at=dt.datetime.now(dt.UTC), last_seen_at=dt.datetime.now(dt.UTC),
    )  # fmt: skip
    return {
        "steueramt": steueramt, "kfz": kfz, "dog": dog, "parking": parking,
        "submitted": submitted, "parked": parked, "draft": draft, "thread": thread,
        "citizen_login": citizen_login, "org_login": org_login, "organisation": organisation,
    }  # fmt: skip


def _value(connection: Connection, table: str, column: str, row_id: int) -> Any:
    reflected = Table(table, MetaData(), autoload_with=connection)
    return connection.execute(
        select(reflected.c[column]).where(reflected.c.id == row_id)
    ).scalar_one()


def test_existing_rows_get_their_office_ids(old_schema: Flask) -> None:
    app = old_schema
    with app.app_context():
        with db.engine.begin() as connection:
            ids = _old_rows(connection)
        upgrade(directory=str(app.config["PORTAL"].migrations_dir))
        with db.engine.connect() as connection:
            assert (
                _value(connection, "application", "office_id", ids["submitted"])
                == (ids["steueramt"])
            )
            assert _value(connection, "application", "office_id", ids["parked"]) == ids["kfz"]
            assert _value(connection, "application", "office_id", ids["draft"]) is None
            assert _value(connection, "form_version", "office_id", ids["parking"]) == ids["kfz"]
            assert _value(connection, "form_version", "office_id", ids["dog"]) == ids["steueramt"]
            assert (
                _value(connection, "postfach_thread", "office_id", ids["thread"])
                == (ids["steueramt"])
            )
            # A plain citizen login no longer acts for the organisation; the org login does.
            assert _value(connection, "login_session", "organisation_id", ids["citizen_login"]) is (
                None
            )
            assert (
                _value(connection, "login_session", "asserted_organisation_id", ids["org_login"])
                == (ids["organisation"])
            )
            columns = {c.name for c in Table("application", MetaData(), autoload_with=connection).c}
            assert "office" not in columns


def test_a_row_naming_no_office_stops_the_migration(old_schema: Flask) -> None:
    app = old_schema
    with app.app_context():
        with db.engine.begin() as connection:
            _old_rows(connection)
            orphan = _insert(
                connection, "application", form_key="x", form_version=1, title="X",
                status="eingereicht", office="aufgeloestes-amt", answers={}, prefilled={},
                complete={},
            )  # fmt: skip
        # Alembic itself (Flask-Migrate's upgrade would log the error and exit).
        config = app.extensions["migrate"].migrate.get_config(
            str(app.config["PORTAL"].migrations_dir)
        )
        with pytest.raises(RuntimeError, match=f"application {orphan}: „aufgeloestes-amt“"):
            command.upgrade(config, "head")
        with db.engine.connect() as connection:
            version = connection.exec_driver_sql("SELECT version_num FROM alembic_version")
            assert version.scalar_one() == BEFORE
            columns = {c.name for c in Table("application", MetaData(), autoload_with=connection).c}
            assert "office" in columns  # nothing half-done: the fixed rows can migrate again
            assert "office_id" not in columns
