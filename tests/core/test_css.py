"""Every class a template uses is styled by the CSS the pages load: no raw, unstyled markup."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The KERN-UX build the pages load: only the rules the templates use (make assets, PurgeCSS).
KERN = ROOT / "themes/default/build/kern/kern.min.css"
CLASS_ATTRIBUTE = re.compile(r'class="([^"]*)"')
SELECTOR_CLASS = re.compile(r"\.(-?[_a-zA-Z][\w-]*)")
JINJA = re.compile(r"{[{%].*?[}%]}")
# Classes that only scripts look for (themes/default/static/js/portal.js); none needs a style.
SCRIPT_HOOKS: frozenset[str] = frozenset()


def _defined() -> set[str]:
    sheets = [KERN, *sorted((ROOT / "themes").glob("*/static/css/*.css"))]
    return {name for sheet in sheets for name in SELECTOR_CLASS.findall(sheet.read_text("utf-8"))}


def _templates() -> list[Path]:
    found = [*ROOT.joinpath("portal").rglob("*.html"), *ROOT.joinpath("themes").rglob("*.html")]
    return [path for path in found if "node_modules" not in path.parts]


def test_every_class_in_the_templates_is_defined() -> None:
    assert KERN.exists(), "make assets first"
    defined = _defined() | SCRIPT_HOOKS
    missing: dict[str, set[str]] = {}
    for path in _templates():
        if path.name == "decision_pdf.html":
            continue  # the PDF's own stylesheet, inside the file
        for attribute in CLASS_ATTRIBUTE.findall(path.read_text("utf-8")):
            # Classes written by Jinja ("kern-alert--{{ kind }}") are checked where they are
            # spelled out; the literal ones around them are checked here.
            for name in JINJA.sub(" ", attribute).split():
                if name not in defined and not name.endswith("-"):
                    missing.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    assert missing == {}
