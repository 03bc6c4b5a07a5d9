"""Operator commands: ``demo load``, ``jobs worker`` and ``storage rotate``.

Domains add what ``storage rotate`` re-encrypts to ``app.extensions["key_rotations"]`` as
``(name, function returning a count)`` pairs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy.exc import DBAPIError

from portal.core.demo import demo_loaders
from portal.extensions import db

log = logging.getLogger(__name__)


def run_repeatedly(step: Callable[[], str], *, loop: bool, seconds: int = 30) -> None:
    """Run ``step`` once, or with ``loop`` every ``seconds``, echoing what it returns. In a
    loop a database that is down (a restart) is waited for instead of ending the loop."""
    while True:
        try:
            done = step()
        except DBAPIError:
            if not loop:
                raise
            db.session.rollback()
            log.warning(
                "Datenbank nicht erreichbar; neuer Versuch in %d Sekunden", seconds, exc_info=True
            )
        else:
            click.echo(done)
        if not loop:
            return
        time.sleep(seconds)


demo_cli = AppGroup("demo", help="Demodaten für die eingebettete Standardinstallation.")
jobs_cli = AppGroup("jobs", help="Hintergrundaufgaben.")


@demo_cli.command("load")
def load_demo() -> None:
    """Load (or refresh) the demo content of every domain. Safe to run repeatedly.

    Refused in production: the demo makes an all-office administrator whose e-mail the first
    matching staff login would take over."""
    if current_app.config["PORTAL"].is_production:
        raise click.ClickException(
            "Demodaten gibt es nur in der Testumgebung (PORTAL_ENV ist production)."
        )
    for name, loader in demo_loaders():
        summary = loader()
        db.session.commit()
        click.echo(f"{name}: {summary}")
    if not demo_loaders():
        click.echo("Keine Demodaten registriert.")


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def run_worker(burst: bool) -> None:
    """Run an RQ worker for PORTAL_REDIS_URL inside the application context."""
    settings = current_app.config["PORTAL"]
    if not settings.redis_url:
        raise click.ClickException(
            "PORTAL_REDIS_URL ist nicht gesetzt: Aufgaben laufen dann im Webprozess, "
            "ein Worker ist nicht nötig."
        )
    from redis import Redis  # noqa: PLC0415
    from rq import Queue, Worker  # noqa: PLC0415

    connection = Redis.from_url(settings.redis_url)
    queue = Queue(settings.job_queue, connection=connection)
    Worker([queue], connection=connection).work(burst=burst)


def register_commands(app: Flask) -> None:
    app.cli.add_command(demo_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(storage_cli)


storage_cli = AppGroup("storage", help="Verschlüsselte Dateien und Nachrichten.")


@storage_cli.command("rotate")
def rotate_keys() -> None:
    """Re-encrypt every stored file and message under the newest key of PORTAL_STORAGE_KEYS.

    Run after putting a new key first in the list; once it finished, the old key can go.
    """
    for name, rotate in current_app.extensions.get("key_rotations", []):
        count = rotate()
        db.session.commit()
        click.echo(f"{name}: {count} neu verschlüsselt")
