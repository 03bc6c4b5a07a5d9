"""Rate limits on the login routes, and a production portal without an identity provider."""

from __future__ import annotations

import secrets
from collections.abc import Callable

import pytest
from flask import Flask

from tests.conftest import TEST_REDIS_URL


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
        secret_key="Qk7vT2mX9pLr4Zw8Nc1Bd6Hf3Js5Gy0Ae",
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


@pytest.mark.redis
def test_the_login_limit_is_shared_by_every_app_server_through_redis(
    make_app: Callable[..., Flask],
) -> None:
    """Two app servers (two apps, each with its own limiter storage) count one client's
    attempts together, because the count lives in Redis, not in the process."""
    if not TEST_REDIS_URL:
        pytest.skip("PORTAL_TEST_REDIS_URL nicht gesetzt (CI setzt es)")
    client_address = f"203.0.113.{secrets.randbelow(250) + 1}, 10.{secrets.randbelow(250)}.0.1"
    headers = {"X-Forwarded-For": client_address}
    settings = {"login_rate_limit": "3 per minute", "redis_url": TEST_REDIS_URL,
                "trusted_proxies": 1}  # fmt: skip
    first = make_app(**settings).test_client()
    for _ in range(3):
        assert first.get("/anmelden", headers=headers).status_code == 503
    second = make_app(**settings).test_client()
    assert second.get("/anmelden", headers=headers).status_code == 429
