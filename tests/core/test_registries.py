"""Named registries are checked at start-up, and imports point one way (downwards)."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from portal.config import ConfigError

PORTAL = Path(__file__).resolve().parents[2] / "portal"


def test_a_typo_in_the_hand_off_kind_stops_the_start(make_app: Callable[..., Flask]) -> None:
    with pytest.raises(ConfigError, match="PORTAL_HANDOFF_TARGETS: unbekannte Art „foldr“"):
        make_app(handoff_targets="ordnungsamt=foldr:/srv/dms")


def test_a_hand_off_target_without_form_stops_the_start(make_app: Callable[..., Flask]) -> None:
    with pytest.raises(ConfigError, match="hat nicht die Form amt=art:ziel"):
        make_app(handoff_targets="ordnungsamt")
    with pytest.raises(ConfigError, match="steht zweimal"):
        make_app(handoff_targets="a=folder:/x;a=folder:/y")


def test_an_unknown_payment_provider_stops_the_start(make_app: Callable[..., Flask]) -> None:
    with pytest.raises(ConfigError, match="PORTAL_PAYMENT_PROVIDER: unbekannter"):
        make_app(payment_provider="paypal")
    with pytest.raises(ConfigError, match="PORTAL_STRIPE_SECRET_KEY fehlt"):
        make_app(payment_provider="stripe")


def test_an_office_the_hand_off_names_must_exist(
    app: Flask, make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    """Office names are resolved against the database, so the check runs when the worker
    starts or ``flask handoff check`` is called, not while the app is built."""
    app = make_app(handoff_targets=f"kein-solches-amt=folder:{tmp_path}")
    result = app.test_cli_runner().invoke(args=["handoff", "check"])
    assert result.exit_code != 0
    assert "PORTAL_HANDOFF_TARGETS: kein Amt „kein-solches-amt“" in result.output
    worker = app.test_cli_runner().invoke(args=["handoff", "run"])
    assert worker.exit_code != 0
    assert "kein-solches-amt" in worker.output


# Lower layers first; a module may import its own layer and those below it, never above.
LAYERS = [
    {"core", "config", "extensions"},
    {"catalog"},
    {"identity", "pages"},
    {"applications"},
    {"payments", "postfach", "handoff", "retention", "appointments"},
    {"backoffice", "dashboard", "officeapi"},
]
SCREENS = {"backoffice", "dashboard", "officeapi"}  # screens and interfaces: nothing imports them


def _layer(package: str) -> int:
    return next(index for index, names in enumerate(LAYERS) if package in names)


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text("utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("portal."):
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("portal.")]
    return found


def test_imports_point_downwards_and_nothing_imports_the_back_office() -> None:
    wrong = []
    for path in sorted(PORTAL.rglob("*.py")):
        relative = path.relative_to(PORTAL)
        if len(relative.parts) == 1:
            if relative.name in ("__init__.py",):
                continue  # the factory wires every domain
            own = relative.stem
        else:
            own = relative.parts[0]
        for line, module in _imports(path):
            target = module.split(".")[1]
            if target == own:
                continue
            if _layer(target) > _layer(own) or target in SCREENS:
                wrong.append(f"{relative}:{line} {own} → {module}")
    assert wrong == []
