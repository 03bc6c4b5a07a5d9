"""``flask --app wsgi catalog import PATH [PATH …]`` and ``catalog export-taxonomy``."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from portal.catalog.importers import CatalogImportError, import_files, read_files
from portal.catalog.importers.taxonomy import COMPACT_FILE, dump_compact, export_compact
from portal.catalog.models import Authority, AuthorityKind, Office
from portal.catalog.offices import OfficeReferenceError, office_by_reference
from portal.core.assets import asset_store
from portal.core.pagecache import bump_revision
from portal.extensions import db

catalog_cli = AppGroup("catalog", help="Leistungskatalog importieren und exportieren.")


@catalog_cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--authority", default="", help="URL-Name der Gebietskörperschaft neuer Stellen.")
def import_command(paths: tuple[Path, ...], authority: str) -> None:
    """Import XZuFi XML, DLDB JSON or OZG catalogue CSV files (format detected per file).

    All files are read first; one broken record stops the import before anything is written.
    Everything is then written in one transaction. With --authority, new offices belong to
    that Gemeinde, Kreis or Land (see ``flask authorities list``); else to the first one.
    """
    owner = _authority(authority) if authority else None
    try:
        parsed = read_files(list(paths))
    except CatalogImportError as error:
        raise click.ClickException(f"Import abgebrochen, nichts geändert. {error}") from None
    for name, kind in parsed.formats:
        click.echo(f"{name}: {kind}")
    try:
        with click.progressbar(length=parsed.record_count, label="Import") as bar:
            summary = import_files(parsed, bar.update, owner.id if owner else None)
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


def _authority(slug: str) -> Authority:
    found: Authority | None = db.session.scalar(select(Authority).where(Authority.slug == slug))
    if found is None:
        raise click.ClickException(f"Keine Gebietskörperschaft „{slug}“ (flask authorities list).")
    return found


authorities_cli = AppGroup("authorities", help="Gebietskörperschaften der Region.")
KINDS = click.Choice([kind.value for kind in AuthorityKind])


@authorities_cli.command("list")
def list_authorities() -> None:
    """Every authority: URL name, kind, ARS, parent, postal codes, number of offices."""
    for row in db.session.scalars(select(Authority).order_by(Authority.id)):
        offices = db.session.scalar(
            select(func.count()).select_from(Office).where(Office.authority_id == row.id)
        )
        parent = db.session.get(Authority, row.parent_id) if row.parent_id else None
        click.echo(
            f"{row.slug}\t{row.kind.value}\t{row.ars or '-'}\t{row.name}\t"
            f"in {parent.slug if parent else '-'}\tPLZ {','.join(row.postal_codes or []) or '-'}"
            f"\t{offices} Stellen"
        )


@authorities_cli.command("save")
@click.argument("slug")
@click.option("--name", required=True)
@click.option("--kind", type=KINDS, default="gemeinde")
@click.option("--ars", default="", help="Amtlicher Regionalschlüssel (2, 5, 9 oder 12 Ziffern).")
@click.option("--parent", default="", help="URL-Name des Kreises oder Landes darüber.")
@click.option("--plz", default="", help="Postleitzahlen, durch Kommas getrennt.")
@click.option("--imprint", default=None, help="Impressum: wer verantwortlich ist.")
@click.option("--privacy", default=None, help="Datenschutz: die Kontaktdaten.")
@click.option("--wappen", default=None, help="Wappen: Datei unter static/ des Themes.")
def save_authority(
    slug: str, *, name: str, kind: str, ars: str, parent: str, plz: str, imprint: str | None,
    privacy: str | None, wappen: str | None,
) -> None:  # fmt: skip
    """Add the authority SLUG or change it."""
    if ars and (not ars.isdigit() or len(ars) not in (2, 5, 9, 12)):
        raise click.ClickException("--ars: 2, 5, 9 oder 12 Ziffern.")
    codes = [code.strip() for code in plz.split(",") if code.strip()]
    if any(not (code.isdigit() and len(code) == 5) for code in codes):
        raise click.ClickException("--plz: fünfstellige Postleitzahlen, durch Kommas getrennt.")
    row = db.session.scalar(select(Authority).where(Authority.slug == slug))
    if row is None:
        row = Authority(slug=slug, name=name)
        db.session.add(row)
    row.name, row.kind, row.ars = name, AuthorityKind(kind), ars or None
    row.parent_id = _authority(parent).id if parent else None
    row.postal_codes = codes
    if imprint is not None:
        row.imprint = imprint
    if privacy is not None:
        row.privacy_contact = privacy
    if wappen is not None:
        if wappen and asset_store(current_app).get(wappen) is None:
            raise click.ClickException(f"--wappen: keine Datei „{wappen}“ unter static/.")
        row.coat_of_arms = wappen
    bump_revision()
    db.session.commit()
    click.echo(f"{row.slug}: gespeichert")


@authorities_cli.command("assign")
@click.argument("slug")
@click.argument("offices", nargs=-1, required=True)
def assign_offices(slug: str, offices: tuple[str, ...]) -> None:
    """Give the OFFICES (ids, keys or URL names) to the authority SLUG."""
    owner = _authority(slug)
    for reference in offices:
        try:
            office_by_reference(reference).authority_id = owner.id
        except OfficeReferenceError as error:
            raise click.ClickException(str(error)) from None
    bump_revision()
    db.session.commit()
    click.echo(f"{len(offices)} Stellen gehören jetzt zu {owner.name}")
