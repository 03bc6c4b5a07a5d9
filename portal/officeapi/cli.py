"""``flask --app wsgi api-clients …``: machine clients of the office API."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.catalog.offices import OfficeReferenceError, office_by_reference
from portal.extensions import db
from portal.identity import clients

clients_cli = AppGroup("api-clients", help="Zugänge der Fachverfahren zur Schnittstelle.")


@clients_cli.command("create")
@click.argument("name")
@click.option(
    "--office",
    "references",
    multiple=True,
    required=True,
    help="Ein Amt (Nummer, Schlüssel aus dem Import oder URL-Name); mehrfach möglich.",
)
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Choice(sorted(clients.SCOPES)),
    required=True,
    help="Was der Client darf; mehrfach möglich.",
)
def create(name: str, references: tuple[str, ...], scopes: tuple[str, ...]) -> None:
    """Make a client NAME for the offices; prints its id and its secret (shown only now)."""
    try:
        offices = [office_by_reference(reference) for reference in references]
    except OfficeReferenceError as error:
        raise click.ClickException(f"Amt nicht gefunden: {error}.") from None
    made = clients.create_client(name, [office.id for office in offices], list(scopes))
    db.session.commit()
    click.echo(f"client_id:     {made.client.client_id}")
    click.echo(f"client_secret: {made.secret}")
    click.echo("Das Geheimnis wird nur jetzt angezeigt und nicht gespeichert.")


@clients_cli.command("list")
def list_clients() -> None:
    """Every client, its offices and scopes, and whether it is revoked."""
    for client in clients.all_clients():
        state = "widerrufen" if client.revoked_at else "aktiv"
        offices = ",".join(str(office_id) for office_id in sorted(client.office_ids))
        click.echo(f"{client.client_id}\t{state}\t{client.name}\tÄmter {offices}\t{client.scope}")


@clients_cli.command("revoke")
@click.argument("client_id")
def revoke(client_id: str) -> None:
    """Revoke CLIENT_ID: its tokens stop working at once."""
    client = clients.client_by_client_id(client_id)
    if client is None:
        raise click.ClickException(f"Client {client_id} gibt es nicht.")
    clients.revoke_client(client)
    db.session.commit()
    click.echo(f"{client_id} widerrufen")
