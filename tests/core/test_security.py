from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal.core.security import is_safe_local_path

PAGES = ["/", "/impressum", "/datenschutz", "/barrierefreiheit", "/gibt-es-nicht"]


@pytest.mark.parametrize("path", PAGES)
def test_security_headers_on_every_page(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "unsafe" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    # HSTS only over HTTPS in production; a development server must not pin it.
    assert "Strict-Transport-Security" not in response.headers


@pytest.mark.parametrize("path", PAGES)
def test_pages_carry_no_inline_script_or_style(client: FlaskClient, path: str) -> None:
    html = client.get(path).get_data(as_text=True)
    # Scripts come from files; the only inline <script> allowed is a JSON-LD data block.
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    assert all('type="application/ld+json"' in attributes for attributes in inline), inline
    assert not re.search(r"<style\b", html), "inline <style> found"
    assert not re.search(r"\sstyle=", html), "style attribute found"
    assert not re.search(r"\son[a-z]+=", html), "inline event handler found"


def test_csrf_rejects_a_form_post_without_token(client: FlaskClient) -> None:
    response = client.post("/barrierefreiheit", data={"message": "Kontrast zu schwach"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Das Formular ist abgelaufen" in page
    assert 'lang="de"' in page


def test_csrf_rejects_a_wrong_token(client: FlaskClient) -> None:
    client.get("/barrierefreiheit")
    response = client.post(
        "/barrierefreiheit", data={"message": "Kontrast zu schwach", "csrf_token": "gefälscht"}
    )
    assert response.status_code == 400


def test_csrf_rejects_a_form_without_token(client: FlaskClient) -> None:
    client.get("/barrierefreiheit")
    assert client.post("/barrierefreiheit", data={"message": "Kontrast"}).status_code == 400


def test_session_cookie_flags_in_development(client: FlaskClient) -> None:
    response = client.get("/barrierefreiheit")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("portal_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_production_sets_hsts_and_secure_cookie(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    app = make_app(
        env="production",
        base_url="https://portal.example",
        secret_key="Qk7vT2mX9pLr4Zw8Nc1Bd6Hf3Js5Gy0Ae",
        storage_keys="mVX9fC0N4i0d2zq6b0m5kq0aN8Bz3Yc1f6XG0xQqG5k=",
    )
    client = app.test_client()
    response = client.get("/", base_url="https://portal.example")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    for path in ["/barrierefreiheit", "/sprache/en"]:
        cookie = client.get(path, base_url="https://portal.example").headers["Set-Cookie"]
        assert "Secure" in cookie
        assert "HttpOnly" in cookie


def test_production_error_pages_show_no_trace(make_app: Callable[..., Flask]) -> None:
    app: Flask = make_app(
        env="production",
        base_url="https://portal.example",
        secret_key="Qk7vT2mX9pLr4Zw8Nc1Bd6Hf3Js5Gy0Ae",
        storage_keys="mVX9fC0N4i0d2zq6b0m5kq0aN8Bz3Yc1f6XG0xQqG5k=",
    )

    @app.get("/kaputt")
    def broken() -> str:
        raise RuntimeError("geheime interne Einzelheit")

    response = app.test_client().get("/kaputt", base_url="https://portal.example")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Ein technischer Fehler ist aufgetreten" in body
    assert "geheime interne Einzelheit" not in body
    assert "Traceback" not in body


@pytest.mark.parametrize(
    ("target", "safe"),
    [
        ("/", True),
        ("/barrierefreiheit?x=1#rueckmeldung", True),
        ("", False),
        (None, False),
        ("https://evil.example/", False),
        ("//evil.example/", False),
        ("/\\evil.example", False),
        ("javascript:alert(1)", False),
        ("relative/path", False),
        ("/\x00evil", False),
    ],
)
def test_only_local_paths_are_safe_redirect_targets(target: str | None, safe: bool) -> None:
    assert is_safe_local_path(target) is safe


def test_forms_may_lead_only_to_the_configured_identity_providers(
    make_app: Callable[..., Flask],
) -> None:
    """Logout posts a form that ends at the provider's end_session_endpoint; Chromium checks
    form-action on each redirect, so the provider's origin (and only it) must be allowed."""
    plain = make_app().test_client().get("/impressum").headers["Content-Security-Policy"]
    assert "form-action 'self';" in plain
    configured = make_app(
        oidc_issuer="https://id.example.org/realms/buerger",
        staff_oidc_issuer="https://login.stadt.example",
    )
    csp = configured.test_client().get("/impressum").headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";"))
    assert directives["form-action"] == "'self' https://id.example.org https://login.stadt.example"
