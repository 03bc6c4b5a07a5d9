"""``flask --app wsgi appointments remind``: the reminder e-mails for tomorrow (run daily)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.appointments.notify import send_reminders
from portal.core.jobs import run_job

appointments_cli = AppGroup("appointments", help="Termine.")


@appointments_cli.command("remind")
def remind() -> None:
    """Send the reminder for every appointment of the next day (once each)."""
    sent = run_job(send_reminders)
    click.echo(f"{sent} Erinnerungen versandt")
