from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal.config import ConfigError


def test_german_is_the_default(client: FlaskClient) -> None:
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="de"' in html
    assert "Zum Inhalt springen" in html
    assert 'lang="en"' in html  # the switch offers English, marked as English


def test_language_switch_to_english_and_back(
    client: FlaskClient, csrf_token: Callable[..., str]
) -> None:
    token = csrf_token("/impressum")
    response = client.post(
        "/sprache", data={"locale": "en", "next": "/impressum", "csrf_token": token}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/impressum"
    html = client.get("/impressum").get_data(as_text=True)
    assert '<html lang="en"' in html
    assert "Skip to content" in html
    assert "Legal notice" in html
    assert "Zum Inhalt springen" not in html

    client.post("/sprache", data={"locale": "de", "next": "/", "csrf_token": token})
    assert '<html lang="de"' in client.get("/").get_data(as_text=True)


def test_language_switch_never_redirects_elsewhere(
    client: FlaskClient, csrf_token: Callable[..., str]
) -> None:
    token = csrf_token("/")
    for target in ["https://evil.example/", "//evil.example", "/\\evil.example"]:
        response = client.post(
            "/sprache", data={"locale": "en", "next": target, "csrf_token": token}
        )
        assert response.headers["Location"] == "/"


def test_an_unknown_language_is_ignored(
    client: FlaskClient, csrf_token: Callable[..., str]
) -> None:
    token = csrf_token("/")
    client.post("/sprache", data={"locale": "xx", "next": "/", "csrf_token": token})
    assert '<html lang="de"' in client.get("/").get_data(as_text=True)


def test_an_operator_may_default_to_english(make_app: Callable[..., Flask]) -> None:
    app = make_app(default_locale="en")
    html = app.test_client().get("/").get_data(as_text=True)
    assert '<html lang="en"' in html
    assert 'lang="de"' in html  # the switch now offers German


def test_an_unsupported_default_language_stops_the_start(
    make_app: Callable[..., Flask],
) -> None:
    with pytest.raises(ConfigError, match="PORTAL_DEFAULT_LOCALE"):
        make_app(default_locale="fr")


def test_every_text_has_an_english_translation() -> None:
    from babel.messages.pofile import read_po

    from portal.config import PROJECT_ROOT

    path = PROJECT_ROOT / "portal" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle)
    untranslated = [
        message.id
        for message in catalog
        if message.id
        and (
            message.fuzzy
            or not message.string
            or (isinstance(message.string, tuple) and not all(message.string))
        )
    ]
    assert untranslated == [], "run `make messages` and translate these"
