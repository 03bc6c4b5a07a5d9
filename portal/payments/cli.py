"""``flask --app wsgi payments reconcile``: ask providers about unfinished payments (cron every
minute, or ``--loop``); ``payments check``: is each configured payment service ready?"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from portal.config import ConfigError
from portal.core.cli import run_repeatedly
from portal.payments.reconcile import run_due
from portal.payments.routing import office_routes

payments_cli = AppGroup("payments", help="Zahlungen: Abgleich mit den Zahlungsanbietern.")


@payments_cli.command("reconcile")
@click.option("--loop", is_flag=True, help="Keep running, every 30 seconds.")
def reconcile(loop: bool) -> None:
    """Ask the providers about every payment whose next check is due."""
    run_repeatedly(lambda: f"{run_due()} Zahlungen abgefragt", loop=loop)


@payments_cli.command("check")
def check() -> None:
    """Resolve PORTAL_PAYMENT_ROUTES and ask each payment service's status endpoint (run
    after each deployment)."""
    try:
        for office_id, name in sorted(office_routes().items()):
            click.echo(f"Amt {office_id}: {name}")
    except ConfigError as error:
        raise click.ClickException(str(error)) from None
    failed = False
    for name, provider in sorted(current_app.extensions["payment_providers"].items()):
        ready = provider.health()
        failed = failed or not ready
        click.echo(f"{name}: {'bereit' if ready else 'NICHT bereit'}")
    if failed:
        raise click.ClickException("Mindestens ein Zahlungsanbieter ist nicht bereit.")
