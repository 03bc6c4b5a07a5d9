"""The demo forms of Musterstadt (``definitions/*.json``), loaded by ``flask demo load``."""

from __future__ import annotations

import json
from pathlib import Path

from portal.applications.services import store_definition
from portal.catalog.demo import DEMO_SOURCE
from portal.catalog.models import Office
from portal.core.demo import register_demo
from portal.extensions import db
from portal.identity.demo import DEMO_CLERK
from portal.identity.models import StaffRole
from portal.identity.services import grant_staff_role

# The demo clerk also leads this office, so the demo shows refunds and the cash export.
DEMO_LEAD_OFFICE = "kfz"

DEFINITIONS = Path(__file__).resolve().parent / "definitions"


@register_demo("Online-Anträge")
def load_forms_demo() -> str:
    """The demo forms, and for each the demo clerk as Sachbearbeitung of the office it names:
    every demo form reaches a clerk who can handle it."""
    created = 0
    files = sorted(DEFINITIONS.glob("*.json"))
    offices: set[int] = set()
    for path in files:
        row, new = store_definition(json.loads(path.read_text("utf-8")), DEMO_SOURCE)
        created += int(new)
        if row.office_id is not None:
            offices.add(row.office_id)
    for office_id in sorted(offices):
        grant_staff_role(DEMO_CLERK, StaffRole.SACHBEARBEITUNG, office_id)
        office = db.session.get(Office, office_id)
        if office is not None and office.source_id == DEMO_LEAD_OFFICE:
            grant_staff_role(DEMO_CLERK, StaffRole.AMTSLEITUNG, office_id)
    return (
        f"{len(files)} Formulare, {created} neue Versionen, "
        f"Sachbearbeitung in {len(offices)} Ämtern"
    )
