from __future__ import annotations

import stat
from pathlib import Path

import pytest

from portal import create_app
from portal.config import MIN_SECRET_BYTES, ConfigError, Settings

GOOD_SECRET = "Qk7vT2mX9pLr4Zw8Nc1Bd6Hf3Js5Gy0Ae"


STORAGE_KEY = "mVX9fC0N4i0d2zq6b0m5kq0aN8Bz3Yc1f6XG0xQqG5k="


def production(tmp_path: Path, **environ: str) -> Settings:
    return Settings.load(
        environ={
            "PORTAL_ENV": "production",
            "PORTAL_INSTANCE_PATH": str(tmp_path),
            "PORTAL_STORAGE_KEYS": STORAGE_KEY,
            "PORTAL_BASE_URL": "https://service.musterstadt.example",
            **environ,
        }
    )


def test_production_refuses_to_store_files_without_own_keys(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="PORTAL_STORAGE_KEYS fehlt"):
        production(tmp_path, PORTAL_SECRET_KEY=GOOD_SECRET, PORTAL_STORAGE_KEYS="")


def test_production_refuses_a_missing_secret(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="PORTAL_SECRET_KEY fehlt"):
        production(tmp_path)


def test_production_refuses_a_short_secret(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="zu kurz"):
        production(tmp_path, PORTAL_SECRET_KEY="x" * (MIN_SECRET_BYTES - 1))


@pytest.mark.parametrize("weak", ["dev", "changeme", "SECRET"])
def test_production_refuses_a_well_known_secret(tmp_path: Path, weak: str) -> None:
    with pytest.raises(ConfigError, match="Beispielwert"):
        production(tmp_path, PORTAL_SECRET_KEY=weak)


@pytest.mark.parametrize(
    "guessable",
    ["a" * 32, "ab" * 20, "changeme-" + "Qk7vT2mX9pLr4Zw8Nc1Bd6Hf3", "mein-secret-" + "x1y2z3" * 5],
)
def test_production_refuses_a_guessable_secret(tmp_path: Path, guessable: str) -> None:
    with pytest.raises(ConfigError, match="zu leicht zu erraten"):
        production(tmp_path, PORTAL_SECRET_KEY=guessable)


def test_production_needs_https(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="https://"):
        production(tmp_path, PORTAL_SECRET_KEY=GOOD_SECRET,
                   PORTAL_BASE_URL="http://service.musterstadt.example")  # fmt: skip


def test_production_accepts_a_long_secret_and_keeps_it(tmp_path: Path) -> None:
    settings = production(tmp_path, PORTAL_SECRET_KEY=GOOD_SECRET)
    assert settings.secret_key == GOOD_SECRET
    assert not (tmp_path / "secret_key").exists()


def test_the_app_refuses_to_start_in_production_without_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PORTAL_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError):
        create_app({"env": "production", "instance_path": str(tmp_path)})


def test_development_generates_a_secret_once_and_keeps_it_private(tmp_path: Path) -> None:
    environ = {"PORTAL_ENV": "development", "PORTAL_INSTANCE_PATH": str(tmp_path)}
    first = Settings.load(environ=environ)
    second = Settings.load(environ=environ)
    assert len(first.secret_key.encode()) >= MIN_SECRET_BYTES
    assert first.secret_key == second.secret_key
    mode = stat.S_IMODE((tmp_path / "secret_key").stat().st_mode)
    assert mode == 0o600


def test_environment_overrides_defaults_and_overrides_win(tmp_path: Path) -> None:
    environ = {
        "PORTAL_ENV": "test",
        "PORTAL_THEME": "example-stadt",
        "PORTAL_TRUSTED_PROXIES": "2",
        "PORTAL_INSTANCE_PATH": str(tmp_path),
    }
    settings = Settings.load(environ=environ, overrides={"theme": "default"})
    assert settings.theme == "default"
    assert settings.trusted_proxies == 2
    assert settings.database_url == f"sqlite:///{tmp_path / 'portal.db'}"


def test_invalid_values_name_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="PORTAL_ENV"):
        Settings.load(environ={"PORTAL_ENV": "staging"})
    with pytest.raises(ConfigError, match="PORTAL_TRUSTED_PROXIES"):
        Settings.load(environ={"PORTAL_TRUSTED_PROXIES": "zwei", "PORTAL_ENV": "test"})
    with pytest.raises(ConfigError, match="Unbekannte Einstellung"):
        Settings.load(environ={}, overrides={"no_such_setting": 1})


def test_an_unknown_theme_stops_the_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="PORTAL_THEME"):
        create_app({"env": "test", "theme": "gibt-es-nicht", "instance_path": str(tmp_path)})
    with pytest.raises(ConfigError, match="PORTAL_THEME"):
        create_app({"env": "test", "theme": "../default", "instance_path": str(tmp_path)})


def test_production_needs_the_portal_s_own_address(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="PORTAL_BASE_URL fehlt"):
        production(tmp_path, PORTAL_SECRET_KEY=GOOD_SECRET, PORTAL_BASE_URL="")


@pytest.mark.parametrize(
    "bad", ["service.musterstadt.de", "ftp://x.de", "https://x.de/pfad", "https://a@x.de"]
)
def test_the_base_url_is_an_address_without_path(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ConfigError, match="PORTAL_BASE_URL muss"):
        production(tmp_path, PORTAL_SECRET_KEY=GOOD_SECRET, PORTAL_BASE_URL=bad)
    settings = production(
        tmp_path, PORTAL_SECRET_KEY=GOOD_SECRET, PORTAL_BASE_URL="https://Service.X.de/"
    )
    assert settings.base_url == "https://service.x.de"
