"""Rate limits on the login routes, and a production portal without an identity provider."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask


def test_too_many_login_attempts_get_a_german_page(make_app: Callable[..., Flask]) -> None:
    client = make_app(login_rate_limit="3 per minute").test_client()
    for _ in range(3):  # no provider runs behind the test client: 503, but counted
        assert client.get("/anmelden").status_code == 503
    response = client.get("/anmelden")
    assert response.status_code == 429
    html = response.get_data(as_text=True)
    assert "Zu viele Anfragen" in html
    assert '<html lang="de"' in html
    # The callback is limited as well, on its own.
    assert client.get("/anmelden/callback?code=x&state=y").status_code != 429


def test_production_without_a_provider_refuses_login_and_has_no_test_provider(
    make_app: Callable[..., Flask],
) -> None:
    client = make_app(
        env="production",
        base_url="https://portal.example",
        secret_key="x" * 40,
        storage_keys="mVX9fC0N4i0d2zq6b0m5kq0aN8Bz3Yc1f6XG0xQqG5k=",
        oidc_issuer="",
        staff_oidc_issuer="",
    ).test_client()
    for path in ("/anmelden", "/anmelden/organisation", "/verwaltung/anmelden"):
        response = client.get(path, base_url="https://portal.example")
        assert response.status_code == 503, path
        assert "Die Anmeldung ist für dieses Portal noch nicht eingerichtet." in response.get_data(
            as_text=True
        )
    for path in ("/test-idp/.well-known/openid-configuration", "/test-idp/authorize"):
        assert client.get(path, base_url="https://portal.example").status_code == 404
