"""Structured logs: a JSON line per request with its request id, and nothing personal in them."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable

import pytest
from flask import Flask

from portal.config import ConfigError
from portal.core.logs import _handler
from tests.applications.conftest import Applicant
from tests.identity.conftest import Portal

PERSONAL = [
    "Anna Muster",  # the persona's name, as the identity provider sends it
    "anna.muster@example.org",  # and e-mail address
    "Zwetschgenweg 17",  # what she types
    "Wuffelinchen",
    "Pudelmischling",
]


def lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    """What production logs, as the JSON handler writes it (message, extras, traceback): the
    portal's records, and warnings of any library. The test server's own access lines
    (werkzeug) are not there in production, where the portal writes its own."""
    formatter = _handler("json").formatter
    assert formatter is not None
    return [
        formatter.format(record)
        for record in caplog.records
        if record.name.startswith("portal") or record.levelno >= logging.WARNING
    ]


def test_a_submission_leaves_nothing_personal_in_the_logs(
    forms_portal: Portal, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="portal")
    anna = Applicant(forms_portal, "anna")
    step = anna.begin("hund-anmelden")
    step = anna.post_step(
        step,
        {"vorname": "Anna", "nachname": "Muster", "strasse": "Zwetschgenweg 17",
         "plz": "12345", "ort": "Musterstadt"},
    )  # fmt: skip
    step = anna.post_step(
        step,
        {"name": "Wuffelinchen", "rasse": "Pudelmischling", "geschlecht": "huendin",
         "wurfdatum": "2023-04-01", "chip": ""},
    )  # fmt: skip
    summary = anna.post_step(step, {"seit": "2024-02-01", "zuzug": "nein"})
    assert "Wuffelinchen" in summary.text
    submitted = anna.browser.post(
        summary.url.replace("/pruefen", "/absenden"),
        data={"csrf_token": anna.token(summary.text)},
    )
    assert submitted.url.endswith("/bestaetigung"), submitted.url
    # A refused request and a search with a personal word are logged too, without it.
    assert anna.browser.post(forms_portal.url + "/abmelden").status_code == 400
    anna.get("/postfach?q=Wuffelinchen")

    written = lines(caplog)
    access = [json.loads(line) for line in written if '"logger": "portal.access"' in line]
    assert len(access) >= 10, written
    assert all(re.fullmatch(r"[0-9a-f]{32}", entry["request_id"]) for entry in access)
    assert {"method", "path", "endpoint", "status", "duration_ms"} <= set(access[0])
    text = "\n".join(written)
    for personal in PERSONAL:
        assert personal not in text, personal
    assert "q=" not in text  # query strings are not logged


def test_the_request_id_is_sent_back_and_a_proxys_id_is_kept(
    make_app: Callable[..., Flask], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="portal")
    client = make_app().test_client()
    own = client.get("/impressum")
    assert re.fullmatch(r"[0-9a-f]{32}", own.headers["X-Request-ID"])
    kept = client.get("/impressum", headers={"X-Request-ID": "proxy-1234abcd"})
    assert kept.headers["X-Request-ID"] == "proxy-1234abcd"
    forged = client.get("/impressum", headers={"X-Request-ID": "<script>alert(1)</script>"})
    assert re.fullmatch(r"[0-9a-f]{32}", forged.headers["X-Request-ID"])
    logged = [json.loads(line) for line in lines(caplog)]
    ids = [entry["request_id"] for entry in logged if entry["logger"] == "portal.access"]
    assert ids[-3:] == [
        own.headers["X-Request-ID"],
        "proxy-1234abcd",
        forged.headers["X-Request-ID"],
    ]


def test_an_unknown_log_format_stops_the_start(make_app: Callable[..., Flask]) -> None:
    with pytest.raises(ConfigError, match="PORTAL_LOG_FORMAT"):
        make_app(log_format="xml")
