"""Helpers to drive the live portal (fixture ``portal`` in tests/conftest.py) over HTTP."""

from __future__ import annotations

import re

import requests

from tests.support.live import Portal as Portal  # noqa: PLC0414 - re-exported for the tests

FORM = re.compile(r'<form method="post" action="([^"]+)"')
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


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
