"""``flask --app wsgi handoff run``: deliver what is due (cron every minute, or ``--loop``)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.applications.notices import send_missing_confirmations
from portal.config import ConfigError
from portal.core.cli import run_repeatedly
from portal.handoff.notices import run_due_notices
from portal.handoff.services import office_targets, run_due, targets

handoff_cli = AppGroup("handoff", help="Übermittlung an DMS und Fachverfahren.")


@handoff_cli.command("run")
@click.option("--loop", is_flag=True, help="Keep running, every 30 seconds.")
def run(loop: bool) -> None:
    """Deliver due packages and webhook events, including retries and those a crashed worker
    left behind, and send confirmation e-mails a crash lost."""
    _resolved()
    run_repeatedly(
        lambda: (
            f"{run_due()} Pakete und {run_due_notices()} Ereignisse zugestellt, "
            f"{send_missing_confirmations()} verlorene Eingangsbestätigungen nachgeschickt"
        ),
        loop=loop,
    )


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
