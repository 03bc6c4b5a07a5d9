"""The shared page cache: what is served from it, to whom, and when it is thrown away."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, scoped_session

from portal.catalog.models import Leistung
from portal.core.pagecache import CONTENT, ContentRevision, PageCache, bump_revision
from tests.catalog.test_import import run_import
from tests.catalog.test_xzufi import MESSAGE


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def cache(app: Flask, clock: Clock) -> Iterator[PageCache]:
    original = app.extensions["page_cache"]
    app.extensions["page_cache"] = PageCache(50, clock=clock)
    yield app.extensions["page_cache"]
    app.extensions["page_cache"] = original


@pytest.fixture
def hund_path(app: Flask, db_session: scoped_session[Session]) -> str:
    assert run_import(app, MESSAGE).exit_code == 0
    hund = db_session.scalars(select(Leistung).filter_by(source_id="L100042_LEISTUNG_1")).one()
    return f"/leistungen/{hund.id}/{hund.slug}"


def rename_behind_the_cache(session: scoped_session[Session], name: str) -> None:
    """Change the catalogue without telling the cache, as a careless writer would."""
    session.execute(
        update(Leistung).where(Leistung.source_id == "L100042_LEISTUNG_1").values(name=name)
    )
    session.flush()


def test_an_anonymous_page_is_rendered_once(
    app: Flask,
    client: FlaskClient,
    db_session: scoped_session[Session],
    cache: PageCache,
    hund_path: str,
) -> None:
    first = client.get(hund_path)
    assert first.status_code == 200
    assert len(cache) == 1
    rename_behind_the_cache(db_session, "Hund umbenannt")
    second = client.get(hund_path)
    assert second.get_data() == first.get_data()  # served from the cache
    assert second.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]
    assert "Set-Cookie" not in second.headers


def test_a_content_change_in_this_process_shows_at_once(
    app: Flask,
    client: FlaskClient,
    db_session: scoped_session[Session],
    cache: PageCache,
    hund_path: str,
) -> None:
    client.get(hund_path)
    with app.app_context():
        rename_behind_the_cache(db_session, "Hund umbenannt")
        bump_revision()
        db_session.commit()  # as the import command does
    assert "Hund umbenannt" in client.get(hund_path).get_data(as_text=True)


def test_another_server_s_change_shows_after_the_check_interval(
    client: FlaskClient,
    db_session: scoped_session[Session],
    cache: PageCache,
    clock: Clock,
    hund_path: str,
) -> None:
    client.get(hund_path)
    rename_behind_the_cache(db_session, "Hund umbenannt")
    db_session.execute(
        update(ContentRevision).where(ContentRevision.name == CONTENT).values(value=999)
    )
    db_session.flush()
    assert "Hund umbenannt" not in client.get(hund_path).get_data(as_text=True)
    clock.now += 1.0
    assert "Hund umbenannt" in client.get(hund_path).get_data(as_text=True)


def test_a_visitor_with_a_session_never_gets_a_shared_page(
    client: FlaskClient, db_session: scoped_session[Session], cache: PageCache, hund_path: str
) -> None:
    client.get(hund_path)
    rename_behind_the_cache(db_session, "Hund umbenannt")
    client.set_cookie("portal_session", "irgendwas")
    assert "Hund umbenannt" in client.get(hund_path).get_data(as_text=True)


def test_pages_that_touch_the_session_are_not_kept(client: FlaskClient, cache: PageCache) -> None:
    response = client.get("/barrierefreiheit")  # carries a CSRF token
    assert response.status_code == 200
    assert len(cache) == 0


def test_each_language_has_its_own_copy(
    client: FlaskClient, cache: PageCache, hund_path: str
) -> None:
    assert '<html lang="de"' in client.get(hund_path).get_data(as_text=True)
    client.get("/sprache/en?next=/")
    assert '<html lang="en"' in client.get(hund_path).get_data(as_text=True)
    assert len(cache) == 2


def test_errors_are_not_kept(client: FlaskClient, cache: PageCache) -> None:
    assert client.get("/leistungen/999999/nichts").status_code == 404
    assert client.get("/suche?q=" + "x" * 500).status_code != 200
    assert len(cache) == 0


def test_the_cache_keeps_only_the_most_recent_pages(clock: Clock) -> None:
    from portal.core.pagecache import CachedPage

    cache = PageCache(2, clock=clock)
    for number in range(3):
        cache.put((f"/seite/{number}",), CachedPage(1, 200, [], b""))
    assert cache.get(("/seite/0",), 1) is None
    assert cache.get(("/seite/2",), 1) is not None
    assert cache.get(("/seite/2",), 2) is None  # another revision: stale


def test_a_foreign_host_does_not_change_what_the_next_visitor_gets(
    client: FlaskClient, cache: PageCache, hund_path: str
) -> None:
    """Defect: one request with ``Host: evil.example`` rewrote the cached sitemap and the
    service pages' JSON-LD for every visitor (the key ignored the host)."""
    for path in ("/sitemap.xml", hund_path):
        poisoned = client.get(path, headers={"Host": "evil.example"})
        assert poisoned.status_code == 200
        honest = client.get(path).get_data(as_text=True)
        assert "evil.example" not in honest, path
        assert "http://localhost/" in honest


def test_absolute_urls_come_from_the_base_url_whatever_the_host(
    make_app: Callable[..., Flask], hund_path: str
) -> None:
    app = make_app(base_url="https://service.musterstadt.example", page_cache_size=50)
    client = app.test_client()
    for path in ("/sitemap.xml", hund_path):
        body = client.get(path, headers={"Host": "evil.example"}).get_data(as_text=True)
        assert "evil.example" not in body
        assert "https://service.musterstadt.example/" in body
    listing = client.get("/api/v1/services?per_page=1", headers={"Host": "evil.example"}).json
    assert listing is not None
    assert listing["items"][0]["url"].startswith("https://service.musterstadt.example/")


def test_production_refuses_unknown_hosts(
    make_app: Callable[..., Flask], db_session: scoped_session[Session]
) -> None:
    app = make_app(
        env="production",
        secret_key="Qk7vT2mX9pLr4Zw8Nc1Bd6Hf3Js5Gy0Ae",
        storage_keys="mVX9fC0N4i0d2zq6b0m5kq0aN8Bz3Yc1f6XG0xQqG5k=",
        base_url="https://service.musterstadt.example",
    )
    client = app.test_client()
    assert client.get("/sitemap.xml", base_url="https://evil.example").status_code == 400
    good = client.get("/sitemap.xml", base_url="https://service.musterstadt.example")
    assert good.status_code == 200
    # The default port spelled out is the same host; another port is not.
    spelled = client.get("/sitemap.xml", base_url="https://service.musterstadt.example:443")
    assert spelled.status_code == 200
    other = client.get("/sitemap.xml", base_url="https://service.musterstadt.example:8443")
    assert other.status_code == 400
