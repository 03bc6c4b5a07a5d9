"""A live portal with the built-in test provider, driven over HTTP as a browser would."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from portal import create_app
from portal.identity.access import trust_required
from portal.identity.models import TrustLevel
from tests.conftest import dispose_engines

FORM = re.compile(r'<form method="post" action="([^"]+)"')
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Portal:
    app: Flask
    server: BaseWSGIServer

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"


@pytest.fixture(scope="session")
def portal(app: Flask, settings_for: Callable[..., dict[str, Any]]) -> Iterator[Portal]:
    application = create_app(settings_for())

    @application.get("/_test/hoch")
    def needs_hoch() -> Any:
        return trust_required(TrustLevel.HOCH) or "Formular mit Niveau hoch"

    server = make_server("127.0.0.1", 0, application, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Portal(application, server)
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)
    dispose_engines(application)


def form_of(html: str) -> tuple[str, str]:
    action, token = FORM.search(html), TOKEN.search(html)
    assert action, html[:500]
    assert token, html[:500]
    return action.group(1).replace("&amp;", "&"), token.group(1)


def pick_persona(
    browser: requests.Session, base: str, page: requests.Response, persona: str
) -> requests.Response:
    """On the test provider's page, choose a persona and follow the redirects back."""
    assert "Test-Anmeldung" in page.text
    action, token = form_of(page.text)
    return browser.post(
        base + action, data={"csrf_token": token, "persona": persona, "action": "anmelden"}
    )


def log_in(base: str, persona: str, path: str = "/anmelden") -> tuple[requests.Session, str]:
    browser = requests.Session()
    page = browser.get(base + path)
    done = pick_persona(browser, base, page, persona)
    return browser, done.text


def post_form(browser: requests.Session, base: str, path: str, **data: str) -> requests.Response:
    """Post a form of ``path`` with its CSRF token (the header's logout form uses the same)."""
    html = browser.get(base + path).text
    token = TOKEN.search(html)
    assert token
    return browser.post(
        base + data.pop("_action", path), data={"csrf_token": token.group(1), **data}
    )
