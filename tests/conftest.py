"""Fixtures shared by every test.

- ``app``: one application per run on one database built by running the migrations. SQLite in a
  temporary folder by default; ``PORTAL_TEST_DATABASE_URL`` (a PostgreSQL server URL) makes the run
  create a fresh database on that server and drop it afterwards.
- ``db_session``: each test inside a transaction that is rolled back; the code under test may
  commit as often as it likes (commits become savepoints).
- ``client``: a test client on that isolated session.
- ``login``: the login helper later domains fill in (see tests/support/auth.py).
- ``PORTAL_TEST_REDIS_URL`` switches the jobs to RQ on that Redis.
- Browser fixtures live in tests/browser/conftest.py.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from portal import create_app
from portal.extensions import db
from portal.identity.access import trust_required
from portal.identity.models import LoginSession, TrustLevel
from tests.support.auth import login_as
from tests.support.live import Portal, serve

TEST_DATABASE_URL = os.environ.get("PORTAL_TEST_DATABASE_URL", "")
TEST_REDIS_URL = os.environ.get("PORTAL_TEST_REDIS_URL", "")


@contextmanager
def empty_database(folder: Path, prefix: str = "portal_test") -> Iterator[str]:
    """A new, empty database of the run's kind (SQLite file or PostgreSQL), dropped afterwards."""
    if not TEST_DATABASE_URL:
        yield f"sqlite:///{folder / f'{prefix}.db'}"
        return
    server = make_url(TEST_DATABASE_URL)
    name = f"{prefix}_{secrets.token_hex(4)}"
    # pool_pre_ping: a test restarts PostgreSQL (tests/handoff), killing pooled connections.
    admin = create_engine(server, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with empty_database(tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture(scope="session")
def job_queue_name() -> str:
    return f"portal-test-{secrets.token_hex(4)}"


@pytest.fixture(scope="session")
def settings_for(
    database_url: str, tmp_path_factory: pytest.TempPathFactory, job_queue_name: str
) -> Callable[..., dict[str, Any]]:
    """Settings overrides for a test application; keyword arguments win."""

    def build(**overrides: Any) -> dict[str, Any]:
        return {
            "env": "test",
            "database_url": database_url,
            "redis_url": TEST_REDIS_URL,
            "job_queue": job_queue_name,
            "instance_path": str(tmp_path_factory.mktemp("instance")),
            # Tests change the catalogue behind the pages' back; the cache has its own tests.
            "page_cache_size": 0,
            "login_rate_limit": "10000 per minute",
            # Anonymous writes have their own tests of their limits (tests/appointments/test_abuse).
            "appointment_rate_limit": "10000 per minute",
            "appointment_email_rate_limit": "10000 per minute",
            "anonymous_rate_limit": "10000 per minute",
            "draft_rate_limit": "10000 per minute",
            **overrides,
        }

    return build


def dispose_engines(application: Flask) -> None:
    """Close pooled connections: an app left to the garbage collector leaks them."""
    with application.app_context():
        for engine in db.engines.values():
            engine.dispose()


@pytest.fixture(scope="session")
def app(settings_for: Callable[..., dict[str, Any]]) -> Iterator[Flask]:
    application = create_app(settings_for())
    with application.app_context():
        upgrade(directory=str(application.config["PORTAL"].migrations_dir))
    yield application
    dispose_engines(application)


@pytest.fixture
def make_app(settings_for: Callable[..., dict[str, Any]]) -> Iterator[Callable[..., Flask]]:
    """``make_app(**overrides)``: another application on the run's database, closed afterwards."""
    created: list[Flask] = []

    def build(**overrides: Any) -> Flask:
        application = create_app(settings_for(**overrides))
        created.append(application)
        return application

    yield build
    for application in created:
        dispose_engines(application)


@pytest.fixture
def db_session(app: Flask) -> Iterator[scoped_session[Session]]:
    """The test's work happens in one outer transaction that is rolled back at the end.

    The session is per thread, not per application context: the test and the requests it makes
    share it, and no application context (nor its ``g``) stays pushed between requests.
    """
    with app.app_context():
        engine = db.engine
    connection = engine.connect()
    transaction = connection.begin()
    original = db.session
    isolated = scoped_session(
        sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
    )
    db.session = isolated
    try:
        yield isolated
    finally:
        isolated.remove()
        db.session = original
        transaction.rollback()
        connection.close()


@pytest.fixture
def client(app: Flask, db_session: scoped_session[Session]) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def login() -> Callable[..., LoginSession]:
    return login_as


@pytest.fixture
def mail_folder(app: Flask) -> Path:
    return Path(app.config["PORTAL"].instance_path) / "mail"


CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture
def csrf_token(client: FlaskClient) -> Callable[..., str]:
    """``csrf_token(path)`` opens ``path`` and returns the token of its first form."""

    def fetch(path: str = "/") -> str:
        html = client.get(path).get_data(as_text=True)
        match = CSRF_FIELD.search(html)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    return fetch


@pytest.fixture(scope="session")
def portal(app: Flask, settings_for: Callable[..., dict[str, Any]]) -> Iterator[Portal]:
    """A live portal over HTTP with the built-in test provider (and a route needing "hoch")."""
    application = create_app(settings_for())

    @application.get("/_test/hoch")
    def needs_hoch() -> Any:
        return trust_required(TrustLevel.HOCH) or "Formular mit Niveau hoch"

    with serve(application) as live:
        yield live
    dispose_engines(application)


@pytest.fixture(scope="session")
def forms_portal(portal: Portal) -> Portal:
    """The live portal with the demo forms loaded (and the offices they name)."""
    from portal.applications.demo import load_forms_demo
    from tests.support.offices import ensure_office

    for office in ("buergerbuero", "steueramt", "ordnungsamt", "kfz"):
        ensure_office(portal.app, office)
    with portal.app.app_context():
        load_forms_demo()
        db.session.commit()
    return portal


@pytest.fixture
def app_context(app: Flask, db_session: scoped_session[Session]) -> Iterator[None]:
    """An app context around the test, for factories (storage, page-cache revision)."""
    with app.test_request_context("/"):
        yield
