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


def test_language_switch_to_english_and_back(client: FlaskClient) -> None:
    response = client.get("/sprache/en?next=/impressum")
    assert response.status_code == 303
    assert response.headers["Location"] == "/impressum"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("portal_sprache=en;")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    html = client.get("/impressum").get_data(as_text=True)
    assert '<html lang="en"' in html
    assert "Skip to content" in html
    assert "Legal notice" in html
    assert "Zum Inhalt springen" not in html
    assert 'href="/sprache/de?next=/impressum"' in html

    client.get("/sprache/de?next=/")
    assert '<html lang="de"' in client.get("/").get_data(as_text=True)


def test_the_switch_is_a_link_back_to_the_same_page(client: FlaskClient) -> None:
    html = client.get("/suche?q=Hund").get_data(as_text=True)
    assert 'href="/sprache/en?next=/suche?q%3DHund"' in html
    assert client.get("/sprache/en?next=/suche?q%3DHund").headers["Location"] == "/suche?q=Hund"


def test_switching_language_needs_no_session(client: FlaskClient) -> None:
    response = client.get("/sprache/en?next=/")
    assert "portal_session" not in response.headers.get("Set-Cookie", "")


def test_language_switch_never_redirects_elsewhere(client: FlaskClient) -> None:
    for target in ["https://evil.example/", "//evil.example", "/\\evil.example", ""]:
        response = client.get("/sprache/en", query_string={"next": target})
        assert response.headers["Location"] == "/"


def test_an_unknown_language_is_ignored(client: FlaskClient) -> None:
    response = client.get("/sprache/xx?next=/")
    assert response.status_code == 303
    assert "Set-Cookie" not in response.headers
    client.set_cookie("portal_sprache", "xx")
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
