"""Login helper for tests.

A placeholder until the identity issue brings accounts: it writes the session keys Flask-Login
reads, so tests written now keep working once real accounts exist. Browser tests will log in
through the built-in test identity provider instead.
"""

from __future__ import annotations

from flask.testing import FlaskClient


def login_as(client: FlaskClient, account_id: int | str) -> None:
    with client.session_transaction() as session:
        session["_user_id"] = str(account_id)
        session["_fresh"] = True
