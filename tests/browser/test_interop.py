"""Interop: log in and out through npm's oidc-provider, a certified provider we did not write.

The provider runs on loopback (tests/interop/oidc_provider.mjs); the portal is set up for it
through settings alone, with its own claim names for the trust level and the organisation.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from werkzeug.serving import make_server

from portal import create_app
from tests.browser.conftest import LiveServer
from tests.support.axe import assert_accessible

TESTS = Path(__file__).resolve().parent.parent
SCRIPT = TESTS / "interop" / "oidc_provider.mjs"
MODULE = TESTS / "node_modules" / "oidc-provider"
INTERACTION = re.compile(r"/interaction/")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def interop_portal(app: Flask, settings_for: Callable[..., dict[str, Any]]) -> Iterator[LiveServer]:
    node = shutil.which("node")
    if node is None or not MODULE.exists():
        reason = "node oder tests/node_modules/oidc-provider fehlt (make test-assets)"
        if os.environ.get("PORTAL_REQUIRE_BROWSER"):
            pytest.fail(reason)
        pytest.skip(reason)
    idp_port, secret = _free_port(), secrets.token_urlsafe(24)
    issuer = f"http://127.0.0.1:{idp_port}"
    application = create_app(
        settings_for(
            oidc_issuer=issuer,
            oidc_client_id="serviceportal-interop",
            oidc_client_secret=secret,
            oidc_scope="openid profile email address vertrauen",
            oidc_trust_claim="vertrauensniveau",
            oidc_trust_values="basis=basisregistrierung,substanziell=substanziell,hoch=hoch",
            org_oidc_scope="openid profile email vertrauen unternehmen",
            org_oidc_claims=(
                "organisation_id=unternehmen_id,organisation_name=unternehmen_name,"
                "organisation_locality=unternehmen_ort"
            ),
        )
    )
    server = make_server("127.0.0.1", 0, application, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    live = LiveServer(application, server, thread)
    process = subprocess.Popen(
        [node, str(SCRIPT)],
        env={
            **os.environ,
            "IDP_PORT": str(idp_port),
            "PORTAL_URL": live.url,
            "CLIENT_ID": "serviceportal-interop",
            "CLIENT_SECRET": secret,
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        ready = process.stdout.readline()
        assert ready.startswith("ready"), f"oidc-provider did not start: {ready!r}"
        yield live
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
        live.stop()


def _sign_in_at_provider(page: Page, login: str) -> None:
    """oidc-provider's own pages: the dev login form, then the consent prompt."""
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("beliebig")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()


def test_citizen_logs_in_and_out_at_oidc_provider(page: Page, interop_portal: LiveServer) -> None:
    page.goto(interop_portal.url + "/")
    page.get_by_role("link", name="Anmelden").click()
    expect(page).to_have_url(INTERACTION)
    _sign_in_at_provider(page, "erika")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mein Nutzerkonto")
    expect(page.get_by_text("Sie handeln für sich selbst: Erika Mustermann")).to_be_visible()
    expect(page.locator("[data-trust-level]")).to_have_text("substanziell")
    expect(page.get_by_text("Heidestraße 17")).to_be_visible()
    expect(page.get_by_text("1964-08-12")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Abmelden").click()
    page.get_by_role("button", name="Yes, sign me out").click()  # the provider's own page
    expect(page.get_by_role("heading", level=1)).to_have_text("Sie sind abgemeldet")
    assert_accessible(page)
    page.goto(interop_portal.url + "/konto")
    expect(page).to_have_url(INTERACTION)  # logged out there, too


def test_organisation_logs_in_at_oidc_provider(page: Page, interop_portal: LiveServer) -> None:
    page.goto(interop_portal.url + "/anmelden/organisation")
    _sign_in_at_provider(page, "friedrich")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mein Nutzerkonto")
    expect(page.get_by_text("Sie handeln für: Holzbau Firmenich KG")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Abmelden").click()
    page.get_by_role("button", name="Yes, sign me out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sie sind abgemeldet")
