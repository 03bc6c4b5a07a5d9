"""Schemathesis on every OpenAPI document the portal publishes: inputs generated from the
schemas (valid, edge and broken ones) never give a server error.

Schemathesis' own pytest integration does not run under this pytest; its strategies do, driven
by Hypothesis inside one test per document."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from sqlalchemy.orm import Session, scoped_session

from portal.extensions import db
from tests.factories import make_calendar, make_office, make_service
from tests.officeapi.support import build_world, token

pytestmark = pytest.mark.usefixtures("db_session")
FUZZ = settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))


def _fuzz(schema: Any, headers: dict[str, str] | None = None) -> int:
    """Every operation of ``schema``; returns how many were tried (so a broken load fails)."""
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation, mode in itertools.product(operations, GenerationMode):

        @FUZZ
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case: Any) -> None:
            case.call_and_validate(checks=[not_a_server_error], headers=headers)

        try:
            run()
        except Unsatisfiable:
            # Nothing of this operation can be broken (no parameters, no body).
            assert mode == GenerationMode.NEGATIVE, operation.label
    return len(operations)


def test_the_catalogue_api_gives_no_server_error(app: Flask) -> None:
    with app.test_request_context("/"):
        office = make_office()
        make_calendar(office, make_service(office))
        db.session.commit()
    assert _fuzz(schemathesis.openapi.from_wsgi("/api/openapi.json", app)) >= 5


def test_the_office_api_gives_no_server_error_with_or_without_a_token(
    app: Flask, client: FlaskClient, db_session: scoped_session[Session]
) -> None:
    world = build_world(app)
    bearer = token(client, world, world.full_a)
    schema = schemathesis.openapi.from_wsgi("/api/office/v1/openapi.json", app)
    assert _fuzz(schema) >= 5
    assert _fuzz(schema, {"Authorization": f"Bearer {bearer}"}) >= 5
