"""Demo staff accounts matching the built-in test provider's clerk and administrator."""

from __future__ import annotations

from sqlalchemy import select

from portal.catalog.models import Office
from portal.core.demo import register_demo
from portal.extensions import db
from portal.identity import clients, services
from portal.identity.models import StaffRole

DEMO_CLERK = "sven@musterstadt.example"
DEMO_ADMIN = "admin@musterstadt.example"
DEMO_FORMS = "frieda@musterstadt.example"  # Baukasten: her forms' cases reach Sven
CLERK_OFFICES = ("Bürgerbüro", "Ordnungsamt")
# The office API's demo access (README: "The office API"); the demo never runs in production.
DEMO_CLIENT = ("demo-fachverfahren", "demo-fachverfahren-geheimnis")


@register_demo("Verwaltungskonten")
def load_staff_demo() -> str:
    """Runs after the catalogue demo, which makes the offices."""
    offices = list(db.session.scalars(select(Office).where(Office.name.in_(CLERK_OFFICES))))
    for office in offices:
        services.grant_staff_role(
            DEMO_CLERK, StaffRole.SACHBEARBEITUNG, office.id, name="Sven Sachbearbeiter"
        )
        services.grant_staff_role(
            DEMO_FORMS, StaffRole.FORMULARREDAKTION, office.id, name="Frieda Formular"
        )
    services.grant_staff_role(DEMO_ADMIN, StaffRole.ADMINISTRATION, None, name="Ada Admin")
    if offices and clients.client_by_client_id(DEMO_CLIENT[0]) is None:
        clients.create_client(
            "Demo-Fachverfahren", [o.id for o in offices], list(clients.SCOPES), known=DEMO_CLIENT
        )
    return (
        f"Sachbearbeitung und Formularredaktion ({len(offices)} Ämter), Administration, "
        "Demo-Fachverfahren"
    )
