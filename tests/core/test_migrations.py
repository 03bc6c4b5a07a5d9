"""Models and migrations agree, and the history runs down and up again."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from portal.core.db import include_in_migrations, render_migration_item
from portal.extensions import db
from tests.conftest import empty_database


def test_models_match_the_migrations(app: Flask) -> None:
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "render_item": render_migration_item,
                "include_object": include_in_migrations,
            },
        )
        differences = compare_metadata(context, db.metadata)
    assert differences == [], f"models and migrations differ: {differences}"


def test_history_is_linear(app: Flask) -> None:
    script = ScriptDirectory(str(app.config["PORTAL"].migrations_dir))
    assert len(script.get_heads()) == 1
    assert len(script.get_bases()) == 1


@pytest.fixture
def scratch_database(tmp_path: Path) -> Iterator[str]:
    with empty_database(tmp_path, "portal_scratch") as url:
        yield url


def test_migrations_run_down_to_nothing_and_up_again(
    scratch_database: str, make_app: Callable[..., Flask]
) -> None:
    app = make_app(database_url=scratch_database)
    directory = str(app.config["PORTAL"].migrations_dir)
    with app.app_context():
        upgrade(directory=directory)
        tables = set(inspect(db.engine).get_table_names())
        assert "accessibility_feedback" in tables
        downgrade(directory=directory, revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade(directory=directory)
        assert set(inspect(db.engine).get_table_names()) == tables
        db.engine.dispose()
