"""The demo forms of Musterstadt (``definitions/*.json``), loaded by ``flask demo load``."""

from __future__ import annotations

import json
from pathlib import Path

from portal.applications.services import store_definition
from portal.catalog.demo import DEMO_SOURCE
from portal.core.demo import register_demo

DEFINITIONS = Path(__file__).resolve().parent / "definitions"


@register_demo("Online-Anträge")
def load_forms_demo() -> str:
    created = 0
    files = sorted(DEFINITIONS.glob("*.json"))
    for path in files:
        _row, new = store_definition(json.loads(path.read_text("utf-8")), DEMO_SOURCE)
        created += int(new)
    return f"{len(files)} Formulare, {created} neue Versionen"
