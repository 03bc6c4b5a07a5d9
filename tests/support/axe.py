"""Run axe-core in a page and fail on any WCAG 2.1 A/AA violation."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

AXE_SOURCE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


class AccessibilityError(AssertionError):
    pass


@cache
def _axe_source() -> str:
    if not AXE_SOURCE.is_file():
        raise AccessibilityError(
            f"axe-core fehlt unter {AXE_SOURCE}: `make test` installiert es (npm ci in tests/)."
        )
    return AXE_SOURCE.read_text(encoding="utf-8")


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Return axe-core's WCAG 2.1 A/AA violations for the page as it is now."""
    # Evaluated through the DevTools protocol, so the page's strict CSP stays in force.
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source())
    result: dict[str, Any] = page.evaluate(
        """tags => axe.run(document, {
            runOnly: {type: "tag", values: tags},
            resultTypes: ["violations"],
        })""",
        WCAG_21_AA,
    )
    violations: list[dict[str, Any]] = result["violations"]
    return violations


def format_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        targets = [json.dumps(node["target"]) for node in violation["nodes"][:5]]
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']}\n"
            f"  {violation['helpUrl']}\n  at {', '.join(targets)}"
        )
    return "\n".join(lines)


def clipped_buttons(page: Page) -> list[str]:
    """Visible buttons whose label does not fit: axe cannot see text cut off by a fixed width
    (KERN gives any button holding ``kern-sr-only`` the width of an icon button)."""
    clipped: list[str] = page.evaluate(
        """() => [...document.querySelectorAll(".kern-btn")]
            .filter(b => b.offsetParent !== null)
            .filter(b => {
                const label = b.querySelector(".kern-label");
                return label && label.getBoundingClientRect().width
                    > b.getBoundingClientRect().width + 1;
            })
            .map(b => b.textContent.trim())"""
    )
    return clipped


def assert_accessible(page: Page) -> None:
    """Fail with a readable list if axe-core finds any WCAG 2.1 A/AA violation, or if a
    button's label is cut off."""
    violations = axe_violations(page)
    if violations:
        raise AccessibilityError(
            f"{len(violations)} WCAG-2.1-AA-Verstöße auf {page.url}:\n"
            + format_violations(violations)
        )
    clipped = clipped_buttons(page)
    if clipped:
        raise AccessibilityError(f"Abgeschnittene Schaltflächen auf {page.url}: {clipped}")
