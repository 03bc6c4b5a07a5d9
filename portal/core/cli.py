"""Operator commands: ``flask --app wsgi demo load`` and ``flask --app wsgi jobs worker``."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from portal.core.demo import demo_loaders
from portal.extensions import db

demo_cli = AppGroup("demo", help="Demodaten für die eingebettete Standardinstallation.")
jobs_cli = AppGroup("jobs", help="Hintergrundaufgaben.")


@demo_cli.command("load")
def load_demo() -> None:
    """Load (or refresh) the demo content of every domain. Safe to run repeatedly."""
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
