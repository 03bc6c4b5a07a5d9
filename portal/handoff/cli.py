"""``flask --app wsgi handoff run``: deliver what is due (cron every minute, or ``--loop``)."""

from __future__ import annotations

import logging
import time

import click
from flask.cli import AppGroup
from sqlalchemy.exc import DBAPIError

from portal.extensions import db
from portal.handoff.services import run_due

log = logging.getLogger(__name__)

handoff_cli = AppGroup("handoff", help="Übermittlung an DMS und Fachverfahren.")


@handoff_cli.command("run")
@click.option("--loop", is_flag=True, help="Keep running, every 30 seconds.")
def run(loop: bool) -> None:
    """Deliver due packages, including retries and those a crashed worker left behind."""
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
