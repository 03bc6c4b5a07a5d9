"""``flask --app wsgi handoff run``: deliver what is due (cron every minute, or ``--loop``)."""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup

from portal.handoff.services import run_due

handoff_cli = AppGroup("handoff", help="Übermittlung an DMS und Fachverfahren.")


@handoff_cli.command("run")
@click.option("--loop", is_flag=True, help="Keep running, every 30 seconds.")
def run(loop: bool) -> None:
    """Deliver due packages, including retries and those a crashed worker left behind."""
    while True:
        delivered = run_due()
        click.echo(f"{delivered} Pakete zugestellt")
        if not loop:
            return
        time.sleep(30)
