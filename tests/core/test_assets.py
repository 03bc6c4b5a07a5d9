"""Static files: fingerprinted in every page of every theme, cached for a year, sent compressed."""

from __future__ import annotations

import gzip
import os
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urljoin

import brotli
import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal.config import PROJECT_ROOT
from portal.core.assets import AssetStore

STATIC_URL = re.compile(r'(?:href|src)="(/static/[^"]+)"')
FINGERPRINTED = re.compile(r"^/static/.+\.[0-9a-f]{12}\.[A-Za-z0-9]+$")
PAGES = ["/", "/a-z/P", "/suche?q=hund", "/impressum", "/barrierefreiheit", "/gibt-es-nicht"]


def static_urls(client: FlaskClient, path: str) -> list[str]:
    return STATIC_URL.findall(client.get(path).get_data(as_text=True))


def theme_copy(tmp_path: Path, css: str) -> Path:
    """A themes folder with the default theme and "kleinstadt", which has its own portal.css."""
    themes = tmp_path / "themes"
    themes.mkdir()
    (themes / "default").symlink_to(PROJECT_ROOT / "themes" / "default")
    (themes / "kleinstadt" / "static" / "css").mkdir(parents=True)
    (themes / "kleinstadt" / "theme.toml").write_text('municipality = "Kleinstadt"\n')
    (themes / "kleinstadt" / "static" / "css" / "portal.css").write_text(css)
    return themes


@pytest.mark.parametrize("theme", ["default", "example-stadt"])
def test_every_static_address_on_every_page_is_fingerprinted_and_immutable(
    make_app: Callable[..., Flask], theme: str
) -> None:
    client = make_app(theme=theme).test_client()
    seen = {url for path in PAGES for url in static_urls(client, path)}
    assert len(seen) >= 6  # kern, portal, theme and print CSS, the logo, the script
    for url in sorted(seen):
        assert FINGERPRINTED.match(url), url
        with client.get(url) as response:
            assert response.status_code == 200, url
            assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"


def test_stylesheets_name_their_fonts_by_fingerprint(client: FlaskClient) -> None:
    portal_css = next(url for url in static_urls(client, "/") if "/css/portal." in url)
    css = client.get(portal_css).get_data(as_text=True)
    fonts = re.findall(r'url\("([^"]+\.woff2)"\)', css)
    assert len(fonts) == 2  # Regular and SemiBold, nothing more
    for font in fonts:
        assert re.fullmatch(r"\.\./fonts/FiraSans-\w+\.[0-9a-f]{12}\.woff2", font), font
        with client.get(urljoin(portal_css, font)) as response:
            assert response.status_code == 200
            assert "immutable" in response.headers["Cache-Control"]
            assert response.data[:4] == b"wOF2"


def test_a_themes_own_file_overrides_the_default_and_has_its_own_fingerprint(
    tmp_path: Path, make_app: Callable[..., Flask]
) -> None:
    themes = theme_copy(tmp_path, ".kleinstadt { color: red; }\n")
    own = make_app(theme="kleinstadt", themes_dir=str(themes)).test_client()
    default = make_app(themes_dir=str(themes)).test_client()

    def portal_css(client: FlaskClient) -> str:
        return next(url for url in static_urls(client, "/") if "/css/portal." in url)

    assert portal_css(own) != portal_css(default)
    assert own.get(portal_css(own)).data == b".kleinstadt { color: red; }\n"
    assert b".site-brand__name" in default.get(portal_css(default)).data
    # Files the theme does not have come from the default theme under the same address.
    assert {u for u in static_urls(own, "/") if "kern" in u} == {
        u for u in static_urls(default, "/") if "kern" in u
    }


def test_an_old_fingerprint_gets_the_current_file_without_the_year_long_lifetime(
    client: FlaskClient,
) -> None:
    current = next(url for url in static_urls(client, "/") if "/css/portal." in url)
    old = re.sub(r"\.[0-9a-f]{12}\.", ".000000000000.", current)
    with client.get(old) as response:
        assert response.status_code == 200
        assert response.data == client.get(current).data
        assert response.headers["Cache-Control"] == "public, no-cache"


def test_a_changed_file_gets_a_new_address_in_debug_mode(
    tmp_path: Path, make_app: Callable[..., Flask]
) -> None:
    themes = theme_copy(tmp_path, "a { color: red; }\n")
    app = make_app(theme="kleinstadt", themes_dir=str(themes))
    store = AssetStore(app.extensions["portal.themes"], watch=True)
    before = store.url_name("css/portal.css")
    css = themes / "kleinstadt" / "static" / "css" / "portal.css"
    css.write_text("a { color: blue; }\n")
    stat = css.stat()
    os.utime(css, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    after = store.url_name("css/portal.css")
    assert before != after
    asset = store.get("css/portal.css")
    assert asset is not None
    assert asset.body == b"a { color: blue; }\n"


@pytest.mark.parametrize(
    ("accept", "encoding"),
    [("br, gzip", "br"), ("gzip", "gzip"), ("gzip;q=1, br;q=0.5", "gzip"), ("", None)],
)
def test_static_text_is_sent_compressed_as_the_client_asks(
    client: FlaskClient, accept: str, encoding: str | None
) -> None:
    url = next(url for url in static_urls(client, "/") if "/kern/" in url)
    plain = client.get(url).data
    with client.get(url, headers={"Accept-Encoding": accept}) as response:
        assert response.headers.get("Content-Encoding") == encoding
        assert "Accept-Encoding" in response.headers["Vary"]
        body = response.data
    if encoding == "br":
        body = brotli.decompress(body)
    elif encoding == "gzip":
        body = gzip.decompress(body)
    assert body == plain
    if encoding:
        assert len(response.data) < len(plain) / 4


def test_a_static_file_is_not_sent_again_when_the_browser_has_it(client: FlaskClient) -> None:
    url = next(url for url in static_urls(client, "/") if "/css/portal." in url)
    first = client.get(url, headers={"Accept-Encoding": "br"})
    again = client.get(
        url, headers={"Accept-Encoding": "br", "If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304
    assert again.data == b""


def test_fonts_are_not_compressed_again(client: FlaskClient) -> None:
    with client.get("/static/fonts/FiraSans-Regular.woff2", headers={"Accept-Encoding": "br"}) as r:
        assert "Content-Encoding" not in r.headers


def test_the_theme_build_is_complete() -> None:
    """make assets built what the default theme mounts (theme.toml, [assets])."""
    build = PROJECT_ROOT / "themes" / "default" / "build"
    for name in (
        "kern/kern.min.css",
        "fonts/FiraSans-Regular.woff2",
        "fonts/FiraSans-SemiBold.woff2",
    ):
        assert (build / name).is_file(), f"{name} fehlt: make assets"
    full = PROJECT_ROOT / "themes/default/node_modules/@kern-ux/native/dist/kern.min.css"
    assert (build / "kern/kern.min.css").stat().st_size < full.stat().st_size / 2  # cut down
