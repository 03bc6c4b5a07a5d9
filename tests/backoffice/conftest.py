"""Back-office tests build their records with the factories inside the app's context."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy.orm import Session, scoped_session


@pytest.fixture
def app_context(app: Flask, db_session: scoped_session[Session]) -> Iterator[None]:
    """An app context around the test, for factories (storage, page-cache revision)."""
    with app.test_request_context("/"):
        yield
