"""Browser tests: real Chromium (Debian's /usr/bin/chromium) driven by pytest-playwright.

Each theme gets a live server in a background thread on a free loopback port, on the run's test
database. Without Chromium the browser tests skip with a reason, unless PORTAL_REQUIRE_BROWSER is
set (CI sets it), which turns the missing browser into a failure.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_migrate import upgrade
from werkzeug.serving import BaseWSGIServer, make_server

from portal import create_app
from portal.catalog.importers import import_files, read_files
from portal.catalog.importers.taxonomy import COMPACT_FILE
from portal.config import PROJECT_ROOT
from portal.extensions import db
from tests.conftest import dispose_engines, empty_database
from tests.support.staff import grant_staff

MUENCHEN_SERVICES = PROJECT_ROOT.parent / "shared" / "data" / "muenchen_dldb_services_de.json"
MUENCHEN_LOCATIONS = PROJECT_ROOT.parent / "shared" / "data" / "muenchen_dldb_locations_de.json"

CHROMIUM = Path(os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
THEMES = ["default", "example-stadt"]
# As root in a container Chromium needs --no-sandbox; the rest keeps it off the (closed) network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not CHROMIUM.exists():
        reason = f"Chromium fehlt unter {CHROMIUM} (Debian-Paket chromium)"
        if os.environ.get("PORTAL_REQUIRE_BROWSER"):
            pytest.fail(f"{reason}, aber PORTAL_REQUIRE_BROWSER ist gesetzt.")
        pytest.skip(f"{reason}; Browser-Tests übersprungen.")
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": CHROMIUM_ARGS,
    }


@dataclass
class LiveServer:
    app: Flask
    server: BaseWSGIServer
    thread: threading.Thread

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
        dispose_engines(self.app)


@pytest.fixture(scope="session")
def catalog_database(
    tmp_path_factory: pytest.TempPathFactory, settings_for: Callable[..., dict[str, Any]]
) -> Iterator[str]:
    """A database of its own holding the demo taxonomy and the München catalogue, so browser
    walks through the catalogue do not disturb the import tests' counts."""
    with empty_database(tmp_path_factory.mktemp("catalog"), "portal_catalog") as url:
        application = create_app(settings_for(database_url=url))
        with application.app_context():
            upgrade(directory=str(application.config["PORTAL"].migrations_dir))
            files = [COMPACT_FILE]
            if MUENCHEN_SERVICES.exists():
                files += [MUENCHEN_SERVICES, MUENCHEN_LOCATIONS]
            import_files(read_files(files))
            db.session.commit()
            db.session.remove()
        dispose_engines(application)
        yield url


@pytest.fixture(scope="session")
def live_servers(
    app: Flask, settings_for: Callable[..., dict[str, Any]], catalog_database: str
) -> Iterator[Callable[[str], LiveServer]]:
    """``live_servers(theme)`` starts (once per run) a server showing that theme, on a database
    with the catalogue."""
    started: dict[str, LiveServer] = {}

    def get(theme: str) -> LiveServer:
        if theme not in started:
            application = create_app(settings_for(theme=theme, database_url=catalog_database))
            server = make_server("127.0.0.1", 0, application, threaded=True)
            thread = threading.Thread(target=server.serve_forever, daemon=True)
            thread.start()
            started[theme] = LiveServer(application, server, thread)
        return started[theme]

    yield get
    for live in started.values():
        live.stop()


@pytest.fixture(params=THEMES)
def themed_server(
    request: pytest.FixtureRequest, live_servers: Callable[[str], LiveServer]
) -> LiveServer:
    theme: str = request.param
    return live_servers(theme)


@pytest.fixture
def forms_server(themed_server: LiveServer) -> LiveServer:
    """A themed server with the demo forms and their offices."""
    from portal.applications.demo import load_forms_demo
    from tests.support.offices import ensure_office

    for office in ("buergerbuero", "steueramt", "ordnungsamt", "kfz"):
        ensure_office(themed_server.app, office)
    with themed_server.app.app_context():
        load_forms_demo()
        db.session.commit()
    return themed_server


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Screenshots land here (not committed)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def fresh_admin(server: LiveServer) -> None:
    """The test provider's administrator (Ada Admin), bound anew at the next login."""
    grant_staff(server.app, "admin@musterstadt.example", "administration")


# Every page any browser test loads is measured once it has loaded: wider than the window
# means horizontal scrolling, which WCAG 1.4.10 rules out. (Not on resize: a full-page
# screenshot resizes the window to odd sizes for a moment.)
OVERFLOW_PROBE = """
(() => {
  const measure = () => {
    const width = document.documentElement.scrollWidth;
    if (width > window.innerWidth) {
      console.error(`portal-overflow: ${location.pathname} ${width} > ${window.innerWidth}`);
    }
  };
  window.addEventListener("load", measure);
})();
"""


def probe_overflow(page: Any, found: list[str]) -> None:
    """Measure every page ``page`` loads from now on; overflows are added to ``found``."""
    page.add_init_script(OVERFLOW_PROBE)
    page.on(
        "console",
        lambda message: (
            found.append(message.text) if message.text.startswith("portal-overflow:") else None
        ),
    )


@pytest.fixture(autouse=True)
def no_horizontal_scrolling(request: pytest.FixtureRequest) -> Iterator[list[str]]:
    """Fails a browser test whose pages scroll sideways at the width it uses."""
    if "page" not in request.fixturenames:
        yield []
        return
    found: list[str] = []
    probe_overflow(request.getfixturevalue("page"), found)
    yield found
    assert found == [], found
