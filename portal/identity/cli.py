"""``flask --app wsgi staff create-admin EMAIL`` and ``staff grant``: staff accounts."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.catalog.offices import OfficeReferenceError, office_by_reference
from portal.extensions import db
from portal.identity import services
from portal.identity.models import StaffRole

staff_cli = AppGroup("staff", help="Verwaltungskonten der Ämter.")


@staff_cli.command("create-admin")
@click.argument("email")
@click.option("--name", default="", help="Anzeigename.")
def create_admin(email: str, name: str) -> None:
    """Give EMAIL the role Administration for every office (creates the account if needed).

    The person then logs in at /verwaltung/anmelden with the staff identity provider; the first
    login with this e-mail address binds the account to that login.
    """
    if "@" not in email:
        raise click.ClickException("Bitte eine E-Mail-Adresse angeben.")
    staff = services.grant_staff_role(email, StaffRole.ADMINISTRATION, None, name=name)
    db.session.commit()
    click.echo(f"{staff.email}: Administration für alle Ämter")


@staff_cli.command("grant")
@click.argument("email")
@click.option(
    "--role",
    type=click.Choice([role.value for role in StaffRole if role != StaffRole.ADMINISTRATION]),
    required=True,
)
@click.option(
    "--office",
    "reference",
    required=True,
    help="Das Amt: Nummer, Schlüssel aus dem Import oder URL-Name (wenn eindeutig).",
)
@click.option("--name", default="", help="Anzeigename.")
def grant(email: str, role: str, reference: str, name: str) -> None:
    """Give EMAIL a role for one office."""
    try:
        office = office_by_reference(reference)
    except OfficeReferenceError as error:
        raise click.ClickException(f"Amt nicht gefunden: {error}.") from None
    staff = services.grant_staff_role(email, StaffRole(role), office.id, name=name)
    db.session.commit()
    click.echo(f"{staff.email}: {role} für {office.name}")
