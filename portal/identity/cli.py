"""``flask --app wsgi staff create-admin EMAIL`` and ``staff grant``: staff accounts."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from portal.catalog.models import Office
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
@click.option("--office", "office_slug", required=True, help="Kurzname (slug) des Amts.")
@click.option("--name", default="", help="Anzeigename.")
def grant(email: str, role: str, office_slug: str, name: str) -> None:
    """Give EMAIL a role for one office."""
    office = db.session.scalar(select(Office).where(Office.slug == office_slug))
    if office is None:
        raise click.ClickException(f"Kein Amt mit dem Kurznamen {office_slug!r}.")
    staff = services.grant_staff_role(email, StaffRole(role), office.id, name=name)
    db.session.commit()
    click.echo(f"{staff.email}: {role} für {office.name}")
