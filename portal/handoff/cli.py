"""``flask --app wsgi handoff run``: deliver what is due (cron every minute, or ``--loop``)."""

from __future__ import annotations

import logging
import time

import click
from flask.cli import AppGroup
from sqlalchemy.exc import DBAPIError

from portal.config import ConfigError
from portal.extensions import db
from portal.handoff.services import office_targets, run_due, targets

log = logging.getLogger(__name__)

handoff_cli = AppGroup("handoff", help="Übermittlung an DMS und Fachverfahren.")


@handoff_cli.command("run")
@click.option("--loop", is_flag=True, help="Keep running, every 30 seconds.")
def run(loop: bool) -> None:
    """Deliver due packages, including retries and those a crashed worker left behind."""
    _resolved()
    while True:
        try:
            delivered = run_due()
        except DBAPIError:
            if not loop:
                raise
            # The database is down (a restart): keep the loop alive and try again later.
            db.session.rollback()
            log.warning("Datenbank nicht erreichbar; neuer Versuch in 30 Sekunden", exc_info=True)
        else:
            click.echo(f"{delivered} Pakete zugestellt")
        if not loop:
            return
        time.sleep(30)


def _resolved() -> dict[int, str]:
    try:
        return {office_id: target.name for office_id, target in office_targets().items()}
    except ConfigError as error:
        raise click.ClickException(str(error)) from None


@handoff_cli.command("check")
def check() -> None:
    """Resolve every office named in PORTAL_HANDOFF_TARGETS (run after each deployment)."""
    for office_id, name in sorted(_resolved().items()):
        click.echo(f"Amt {office_id}: {name}")
    click.echo(f"alle anderen Ämter: {targets()['*'].name}")
