"""``flask --app wsgi forms import-fim PATH`` and ``forms load PATH``: form definitions."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import AppGroup

from portal.applications.definition import DefinitionError
from portal.applications.fim import FimError, convert
from portal.applications.services import store_definition
from portal.extensions import db

forms_cli = AppGroup("forms", help="Formulare für Online-Anträge.")


def _store(raw: dict[str, object]) -> None:
    try:
        row, new = store_definition(raw)
    except DefinitionError as error:
        raise click.ClickException(f"Formular nicht gespeichert: {error}") from None
    db.session.commit()
    state = "neue Version" if new else "unverändert"
    click.echo(f"{row.key}: Version {row.version} ({state}), /antrag/{row.key}")


@forms_cli.command("import-fim")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--key", help="Schlüssel des Formulars (Standard: fim-<Schema-ID>).")
@click.option("--service", default="", help="Leistungsschlüssel, auf dessen Seite es erscheint.")
@click.option(
    "--office",
    required=True,
    help="Das Amt, das die Anträge bearbeitet: Nummer, Schlüssel aus dem Import oder URL-Name.",
)
@click.option(
    "--trust",
    type=click.Choice(["basisregistrierung", "substanziell", "hoch"]),
    default="basisregistrierung",
)
@click.option(
    "--write", type=click.Path(path_type=Path), help="Die Definition auch als JSON ablegen."
)
def import_fim(
    path: Path, *, key: str | None, service: str, office: str, trust: str, write: Path | None
) -> None:
    """Convert a FIM XDatenfelder Stammdatenschema (v1 or v2) and store it as a form."""
    try:
        result = convert(path, key=key)
    except FimError as error:
        raise click.ClickException(str(error)) from None
    raw = {**result.definition, "service": service, "office": office, "trust_level": trust}
    steps = raw["steps"]
    assert isinstance(steps, list)  # noqa: S101 - built by convert()
    fields = sum(len(step["fields"]) for step in steps)
    click.echo(f"{path.name}: {len(steps)} Schritte, {fields} Felder")
    for note in result.notes:
        click.echo(f"  Hinweis: {note}")
    if write:
        write.write_text(json.dumps(raw, ensure_ascii=False, indent=2) + "\n", "utf-8")
    _store(raw)


@forms_cli.command("load")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
def load(paths: tuple[Path, ...]) -> None:
    """Store form definitions from JSON files (a new version when one changed)."""
    for path in paths:
        _store(json.loads(path.read_text("utf-8")))


@forms_cli.command("purge-drafts")
def purge_drafts() -> None:
    """Delete drafts whose expiry date has passed (run daily, e.g. from cron)."""
    from portal.applications.services import purge_expired_drafts  # noqa: PLC0415
    from portal.core.jobs import dispatch_pending  # noqa: PLC0415

    count = purge_expired_drafts()
    db.session.commit()
    dispatch_pending()
    click.echo(f"{count} abgelaufene Entwürfe gelöscht")
