"""``flask --app wsgi retention run``: apply the deletion periods (daily, from cron or a timer)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.core.jobs import run_job
from portal.retention import services

retention_cli = AppGroup("retention", help="Aufbewahrungsfristen.")


@retention_cli.command("run")
def run() -> None:
    """Delete what is past its period after a case was closed (see portal/retention)."""
    report = run_job(services.run)  # commits, then sends the deletions of the stored bytes
    click.echo(str(report))
