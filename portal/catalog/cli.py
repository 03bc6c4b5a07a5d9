"""``flask --app wsgi catalog import PATH [PATH …]`` and ``catalog export-taxonomy``."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from portal.catalog.importers import CatalogImportError, import_files, read_files
from portal.catalog.importers.taxonomy import COMPACT_FILE, dump_compact, export_compact
from portal.extensions import db

catalog_cli = AppGroup("catalog", help="Leistungskatalog importieren und exportieren.")


@catalog_cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def import_command(paths: tuple[Path, ...]) -> None:
    """Import XZuFi XML, DLDB JSON or OZG catalogue CSV files (format detected per file).

    All files are read first; one broken record stops the import before anything is written.
    Everything is then written in one transaction.
    """
    try:
        parsed = read_files(list(paths))
    except CatalogImportError as error:
        raise click.ClickException(f"Import abgebrochen, nichts geändert. {error}") from None
    for name, kind in parsed.formats:
        click.echo(f"{name}: {kind}")
    try:
        with click.progressbar(length=parsed.record_count, label="Import") as bar:
            summary = import_files(parsed, bar.update)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    for line in summary.lines():
        click.echo(line)


@catalog_cli.command("export-taxonomy")
@click.argument("path", type=click.Path(path_type=Path), default=COMPACT_FILE)
def export_taxonomy_command(path: Path) -> None:
    """Write the taxonomy in the database as the compact JSON file the demo loads."""
    path.write_text(dump_compact(export_compact()), encoding="utf-8")
    click.echo(f"Taxonomie geschrieben: {path}")


@catalog_cli.command("reindex")
def reindex_command() -> None:
    """Rebuild the search index of every Leistung (after an upgrade or a restore)."""
    from portal.catalog.search import reindex_all  # noqa: PLC0415

    total = reindex_all()
    db.session.commit()
    click.echo(f"{total} Leistungen im Suchindex.")
