from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal.config import PROJECT_ROOT

LOGO = re.compile(r'<img class="site-brand__logo" src="([^"]+)"')


def logo_url(html: str) -> str:
    found = LOGO.search(html)
    assert found, "no logo on the page"
    return found[1]


def client_of_default(make_app: Callable[..., Flask]) -> str:
    return make_app().test_client().get("/").get_data(as_text=True)


def static_text(client: FlaskClient, path: str) -> str:
    with client.get(path) as response:
        assert response.status_code == 200
        return response.get_data(as_text=True)


@pytest.fixture
def stadt(make_app: Callable[..., Flask]) -> FlaskClient:
    return make_app(theme="example-stadt").test_client()


def test_default_theme_names_the_municipality_and_logo(client: FlaskClient) -> None:
    html = client.get("/").get_data(as_text=True)
    assert "Musterstadt" in html
    assert re.search(r'src="/static/img/logo\.[0-9a-f]{12}\.svg"', html)
    assert "Bürgertelefon" not in html


def test_example_theme_overrides_name_logo_colours_and_one_template(stadt: FlaskClient) -> None:
    html = stadt.get("/").get_data(as_text=True)
    assert "Beispielstadt" in html
    assert "Musterstadt" not in html
    # base.html of the theme extends the default one and adds the service bar.
    assert "Bürgertelefon: 115" in html
    assert 'class="site-footer"' in html
    assert 'aria-label="Beispielstadt"' in static_text(stadt, "/static/img/logo.svg")
    css = static_text(stadt, "/static/css/theme.css")
    assert "--kern-color-action-default: #00594f" in css


def test_static_files_fall_back_to_the_default_theme(stadt: FlaskClient) -> None:
    default_css = (PROJECT_ROOT / "themes/default/static/css/portal.css").read_bytes()
    with stadt.get("/static/css/portal.css") as response:
        # The same file; only its font references carry the fonts' fingerprints.
        assert re.sub(rb"\.[0-9a-f]{12}(\.woff2)", rb"\1", response.data) == default_css


def test_kern_assets_are_served_from_the_theme_build(
    client: FlaskClient, stadt: FlaskClient
) -> None:
    for each in (client, stadt):
        with each.get("/static/kern/kern.min.css") as response:
            assert response.status_code == 200
            assert response.content_type.startswith("text/css")
            assert b".kern-btn" in response.data
            assert response.headers["Cache-Control"] == "public, no-cache"  # no fingerprint
    with client.get("/static/fonts/FiraSans-Regular.woff2") as response:
        assert response.status_code == 200
        assert response.mimetype == "font/woff2"


@pytest.mark.parametrize(
    "path",
    [
        "/static/../pyproject.toml",
        "/static/%2e%2e/theme.toml",
        "/static/kern/../../package.json",
        "/static/kern/%2e%2e/%2e%2e/package.json",
        "/static/kern/",
        "/static/gibt-es-nicht.css",
    ],
)
def test_static_lookup_stays_inside_the_theme(client: FlaskClient, path: str) -> None:
    assert client.get(path).status_code == 404


def test_a_new_theme_needs_only_what_it_changes(
    tmp_path: Path, make_app: Callable[..., Flask]
) -> None:
    """The README's recipe: a folder with theme.toml and one override is a working theme."""
    themes = tmp_path / "themes"
    themes.mkdir()
    (themes / "default").symlink_to(PROJECT_ROOT / "themes" / "default")
    (themes / "kleinstadt" / "templates" / "pages").mkdir(parents=True)
    (themes / "kleinstadt" / "theme.toml").write_text('municipality = "Kleinstadt"\n')
    (themes / "kleinstadt" / "templates" / "pages" / "impressum.html").write_text(
        '{% extends "base.html" %}{% block content %}<h1>Impressum Kleinstadt</h1>{% endblock %}'
    )
    app: Flask = make_app(theme="kleinstadt", themes_dir=str(themes))
    client = app.test_client()
    assert "Impressum Kleinstadt" in client.get("/impressum").get_data(as_text=True)
    start = client.get("/").get_data(as_text=True)
    assert "Kleinstadt" in start
    # The logo comes from the default theme, under the default theme's fingerprint.
    assert logo_url(start) == logo_url(client_of_default(make_app))
