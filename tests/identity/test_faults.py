"""Every way an identity provider's answer can be wrong ends on a German error page, logged out.

The faulty provider (``fakeidp.py``) answers like a real one except for one fault per test.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select
from werkzeug.serving import make_server

from portal import create_app
from portal.extensions import db
from portal.identity.models import LoginSession
from tests.conftest import dispose_engines
from tests.identity.conftest import Portal
from tests.identity.fakeidp import FaultyProvider


@pytest.fixture(scope="module")
def faulty() -> Iterator[FaultyProvider]:
    provider = FaultyProvider().start()
    yield provider
    provider.stop()


@pytest.fixture(scope="module")
def portal_with_faulty(
    app: Flask, settings_for: Callable[..., dict[str, Any]], faulty: FaultyProvider
) -> Iterator[Portal]:
    application = create_app(
        settings_for(oidc_issuer=faulty.url, oidc_client_id="portal", oidc_client_secret="geheim")
    )
    server = make_server("127.0.0.1", 0, application, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Portal(application, server)
    server.shutdown()
    server.server_close()
    dispose_engines(application)


@pytest.fixture
def fault(faulty: FaultyProvider) -> Iterator[Callable[[str], None]]:
    def choose(name: str) -> None:
        faulty.fault = name

    yield choose
    faulty.fault = ""
    faulty.acr = "STORK-QAA-Level-1"


def _sessions(portal: Portal, issuer: str) -> int:
    with portal.app.app_context():
        return (
            db.session.scalar(
                select(func.count()).select_from(LoginSession).where(LoginSession.issuer == issuer)
            )
            or 0
        )


def _refused(portal: Portal, issuer: str, path: str = "/anmelden") -> str:
    before = _sessions(portal, issuer)
    browser = requests.Session()
    response = browser.get(portal.url + path, timeout=10)
    assert response.status_code == 400, response.text[:300]
    assert '<h1 class="kern-heading-x-large">Anmeldung nicht möglich</h1>' in response.text
    assert "Sie sind nicht angemeldet. Es wurden keine Daten gespeichert." in response.text
    assert "portal_login" not in browser.cookies
    assert _sessions(portal, issuer) == before
    assert browser.get(portal.url + "/konto", allow_redirects=False).status_code == 302
    return response.text


def test_the_faulty_provider_works_without_a_fault(
    portal_with_faulty: Portal, faulty: FaultyProvider
) -> None:
    """Without this, the refusals below could have any cause."""
    browser = requests.Session()
    page = browser.get(portal_with_faulty.url + "/anmelden", timeout=10)
    assert page.status_code == 200
    assert "Mein Nutzerkonto" in page.text
    assert "Fritz" in page.text
    assert "portal_login" in browser.cookies


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("iss", "Die Anmeldebestätigung wurde abgelehnt."),
        ("aud", "Die Anmeldebestätigung wurde abgelehnt."),
        ("expired", "Die Anmeldebestätigung wurde abgelehnt."),
        ("nonce", "Die Anmeldebestätigung wurde abgelehnt."),
        ("signature", "Die Anmeldebestätigung ist nicht gültig signiert."),
        ("none", "Die Anmeldebestätigung ist nicht gültig signiert."),
        ("state", "Die Anmeldung passt nicht zu der begonnenen (state)."),
    ],
)
def test_a_faulty_answer_is_refused(
    portal_with_faulty: Portal,
    faulty: FaultyProvider,
    fault: Callable[[str], None],
    name: str,
    message: str,
) -> None:
    fault(name)
    assert message in _refused(portal_with_faulty, faulty.url)


def test_a_missing_trust_claim_counts_as_basis_and_fails_where_more_is_needed(
    portal_with_faulty: Portal, faulty: FaultyProvider, fault: Callable[[str], None]
) -> None:
    fault("no_acr")
    html = _refused(portal_with_faulty, faulty.url, "/anmelden?niveau=substanziell&next=/konto")
    assert "Vertrauensniveau „substanziell“ nötig" in html
    assert "hatte „basisregistrierung“" in html
    # Where nothing more is needed, the same answer logs in at basisregistrierung.
    browser = requests.Session()
    page = browser.get(portal_with_faulty.url + "/anmelden", timeout=10)
    assert 'data-trust-level="basisregistrierung"' in page.text


def test_a_replayed_code_is_refused(portal_with_faulty: Portal, faulty: FaultyProvider) -> None:
    browser = requests.Session()
    start = browser.get(portal_with_faulty.url + "/anmelden", allow_redirects=False, timeout=10)
    at_provider = browser.get(start.headers["Location"], allow_redirects=False, timeout=10)
    callback = at_provider.headers["Location"]
    first = browser.get(callback, timeout=10)
    assert "Mein Nutzerkonto" in first.text
    thief = requests.Session()  # the same code again, in another browser
    before = _sessions(portal_with_faulty, faulty.url)
    second = thief.get(callback, timeout=10)
    assert second.status_code == 400
    assert "Anmeldung nicht möglich" in second.text
    assert "portal_login" not in thief.cookies
    assert _sessions(portal_with_faulty, faulty.url) == before


def test_a_provider_naming_another_issuer_is_refused_before_login(
    make_app: Callable[..., Flask], faulty: FaultyProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = faulty.discovery

    def lying(request: Any) -> Any:
        response = original(request)
        response.set_data(response.get_data().replace(faulty.url.encode(), b"https://x.example"))
        return response

    monkeypatch.setattr(faulty, "discovery", lying)
    fresh = make_app(oidc_issuer=faulty.url, oidc_client_id="portal", oidc_client_secret="geheim")
    response = fresh.test_client().get("/anmelden")
    assert response.status_code == 400
    assert "Der Identitätsanbieter meldet sich mit falscher Kennung." in response.text
