"""Pages are compressed as the client asks; nothing of a visitor with a session is cached."""

from __future__ import annotations

import gzip
from collections.abc import Callable

import brotli
import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal.extensions import db
from portal.identity.models import StaffRole
from tests.factories import make_form, make_office, make_person, make_staff
from tests.support.auth import login_as, staff_login_as


@pytest.mark.parametrize(
    ("accept", "encoding"), [("gzip, deflate, br", "br"), ("gzip", "gzip"), ("identity", None)]
)
def test_pages_are_compressed_as_the_client_asks(
    client: FlaskClient, accept: str, encoding: str | None
) -> None:
    plain = client.get("/a-z/P").data
    with client.get("/a-z/P", headers={"Accept-Encoding": accept}) as response:
        assert response.status_code == 200
        assert response.headers.get("Content-Encoding") == encoding
        assert "Accept-Encoding" in response.headers["Vary"]
        body = response.data
    decoded = {"br": brotli.decompress, "gzip": gzip.decompress}.get(encoding or "", bytes)(body)
    assert decoded == plain


def test_compression_can_be_left_to_the_reverse_proxy(make_app: Callable[..., Flask]) -> None:
    client = make_app(compress=0).test_client()
    with client.get("/a-z/P", headers={"Accept-Encoding": "br, gzip"}) as response:
        assert response.status_code == 200
        assert "Content-Encoding" not in response.headers


def test_an_anonymous_page_is_revalidated_and_not_sent_twice(
    make_app: Callable[..., Flask],
) -> None:
    client = make_app(page_cache_size=10).test_client()
    first = client.get("/a-z/P", headers={"Accept-Encoding": "br"})
    assert first.headers["Cache-Control"] == "no-cache"
    etag = first.headers["ETag"]
    again = client.get("/a-z/P", headers={"Accept-Encoding": "br", "If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""


def _get_routes_without_arguments(app: Flask, prefix: str) -> list[str]:
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or set())
        and not rule.arguments
        and rule.rule.startswith(prefix)
        and rule.endpoint != "static"
    )


@pytest.mark.usefixtures("app_context")
def test_no_page_of_a_logged_in_citizen_may_be_stored_by_any_cache(
    app: Flask, client: FlaskClient
) -> None:
    login_as(client, make_person())
    db.session.commit()
    checked = []
    for path in _get_routes_without_arguments(app, "/"):
        if path.startswith("/verwaltung"):
            continue
        response = client.get(path, headers={"Accept-Encoding": "br"})
        if response.status_code == 200 and response.mimetype == "text/html":
            assert response.headers["Cache-Control"] == "private, no-store", path
            checked.append(path)
    assert {"/", "/antraege", "/postfach", "/konto", "/suche"} <= set(checked), checked


@pytest.mark.usefixtures("app_context")
def test_no_back_office_page_may_be_stored_by_any_cache(app: Flask, client: FlaskClient) -> None:
    office = make_office()
    staff = make_staff(
        (StaffRole.SACHBEARBEITUNG, office),
        (StaffRole.AMTSLEITUNG, office),
        (StaffRole.REDAKTION, None),
        (StaffRole.ADMINISTRATION, None),
    )
    staff_login_as(client, staff)
    db.session.commit()
    checked = []
    for path in _get_routes_without_arguments(app, "/verwaltung"):
        response = client.get(path, headers={"Accept-Encoding": "br"})
        if response.status_code == 200:
            assert response.headers["Cache-Control"] in {"private, no-store", "no-store"}, path
            checked.append(path)
    assert {"/verwaltung/", "/verwaltung/vorgaenge", "/verwaltung/zahlungen/export.csv"} <= set(
        checked
    ), checked


@pytest.mark.usefixtures("app_context")
def test_a_page_that_gives_the_visitor_a_session_is_private(client: FlaskClient) -> None:
    form = make_form(make_office())
    db.session.commit()
    with client.get(f"/antrag/{form.key}") as response:  # its button's form has a CSRF token
        assert response.status_code == 200
        assert "portal_session=" in response.headers["Set-Cookie"]
        assert response.headers["Cache-Control"] == "private, no-store"
