"""No 500 from input: every route of the URL map gets its largest, smallest and malformed values
(path segments, query parameters, JSON bodies), anonymously and logged in; none answers 5xx
but 503 (a service the portal needs is not set up)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import AnyConverter, Rule

from portal.core.urls import MAX_ID
from portal.extensions import db
from portal.identity.models import StaffRole
from tests.factories import make_calendar, make_office, make_person, make_service, make_staff
from tests.support.auth import login_as, staff_login_as

pytestmark = pytest.mark.usefixtures("db_session")

ARGUMENT = re.compile(r"<(?:(?P<converter>[a-z]+)(?:\([^)]*\))?:)?(?P<name>\w+)>")
INTEGERS = ("0", str(MAX_ID), str(MAX_ID + 1), str(2**63), "9" * 30, "1" * 5000)
DAYS = ("9999-12-31", "0001-01-01", "2026-02-30")
STRINGS = ("x", "x" * 3000, "%00", "%ED%A0%80", "%E2%80%AE")  # NUL, a lone surrogate, RLO
QUERY = (
    "?ab=9999-12-31&datum=0001-01-01&page=99999999999999999999&seite=-1"
    "&cursor=99999999999999999999&since=0001-01-01T00:00:00%2B14:00&limit=9999999999999"
    "&q=%00%ED%A0%80&ort=%00&next=%0D%0A"
)
DEEP_JSON = "[" * 100_000 + "]" * 100_000
BODIES: tuple[tuple[bytes, str], ...] = (
    (DEEP_JSON.encode(), "application/json"),
    (b'{"text": "\\ud800", "subject": "\\u0000"}', "application/json"),
    (b'{"text": "\xff\xfe"}', "application/json"),
    (b"text=%00&name=%0D%0A&email=%ED%A0%80", "application/x-www-form-urlencoded"),
)


def _values(rule: Rule, name: str, converter: str | None) -> tuple[str, ...]:
    found = rule._converters.get(name)
    if isinstance(found, AnyConverter):
        return tuple(sorted(found.items))[:1]
    if converter == "int":
        return INTEGERS
    if converter == "day":
        return DAYS
    return STRINGS


def _urls(rule: Rule) -> Iterator[str]:
    """One URL per extreme value of each argument, the others set to a plain value."""
    arguments = list(ARGUMENT.finditer(rule.rule))
    plain = {m["name"]: _values(rule, m["name"], m["converter"])[0] for m in arguments}
    if not arguments:
        yield rule.rule
        return
    for match in arguments:
        for value in _values(rule, match["name"], match["converter"]):
            chosen = {**plain, match["name"]: value}
            yield ARGUMENT.sub(lambda m, chosen=chosen: chosen[m["name"]], rule.rule)  # type: ignore[misc]


def _walk(app: Flask, client: FlaskClient, prefix_ok: tuple[str, ...]) -> list[str]:
    errors = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith(prefix_ok) or rule.endpoint in ("static", "theme_static"):
            continue
        methods = (rule.methods or set()) & {"GET", "POST", "PUT", "PATCH", "DELETE"}
        for url in _urls(rule):
            for method in sorted(methods):
                if method == "GET":
                    answers = [client.get(url + QUERY)]
                else:
                    answers = [
                        client.open(url, method=method, data=body, content_type=kind)
                        for body, kind in BODIES
                    ]
                for answer in answers:
                    if answer.status_code >= 500 and answer.status_code != 503:
                        errors.append(f"{method} {url[:120]} → {answer.status_code}")
    return errors


def _world(app: Flask) -> None:
    with app.test_request_context("/"):
        office = make_office()
        service = make_service(office)
        make_calendar(office, service)
        db.session.commit()


def test_no_route_answers_a_server_error_to_an_anonymous_visitor(
    app: Flask, client: FlaskClient
) -> None:
    _world(app)
    assert _walk(app, client, ("/",)) == []


def test_no_route_answers_a_server_error_to_a_citizen_or_an_administrator(
    app: Flask, client: FlaskClient
) -> None:
    _world(app)
    with app.test_request_context("/"):
        login_as(client, make_person())
        staff_login_as(client, make_staff((StaffRole.ADMINISTRATION, None)))
        db.session.commit()
    assert _walk(app, client, ("/konto", "/antr", "/postfach", "/verwaltung", "/zahlung")) == []
