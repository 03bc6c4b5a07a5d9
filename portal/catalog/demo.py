"""Demo content of the catalogue: the OZG taxonomy and the services of Musterstadt."""

from __future__ import annotations

from sqlalchemy import select

from portal.catalog.demo_offices import OFFICES
from portal.catalog.demo_services import SERVICES
from portal.catalog.importers import import_files, read_files
from portal.catalog.importers.apply import apply_batch
from portal.catalog.importers.records import ImportBatch
from portal.catalog.importers.taxonomy import COMPACT_FILE
from portal.catalog.models import Authority, AuthorityKind, Office
from portal.core.demo import register_demo
from portal.extensions import db

DEMO_SOURCE = "demo:musterstadt"


@register_demo("Leistungskatalog")
def load_catalog_demo() -> str:
    """Import the taxonomy and the demo services; idempotent, so ``make run`` may call it on
    every start (unchanged records are not written)."""
    summary = import_files(read_files([COMPACT_FILE]))
    batch = ImportBatch(
        source=DEMO_SOURCE,
        services=list(SERVICES),
        offices=list(OFFICES),
        complete_services=True,
        complete_offices=True,
    )
    demo = apply_batch(batch)
    return "; ".join(summary.lines() + demo.lines())


# The demo's region: Musterstadt and two more Gemeinden in a Kreis. The ARS are made up but
# shaped like real ones (Land 09, Kreis 999, Gemeinden under it).
KREIS = ("Kreis Musterland", "kreis-musterland", "09999")
GEMEINDEN = [
    ("Musterstadt", "musterstadt", "099990001001", ["12345"]),
    ("Neudorf", "neudorf", "099990002002", ["12350", "12355"]),
    ("Beispielhausen", "beispielhausen", "099990003003", ["12351", "12355"]),
]
OFFICE_AUTHORITY = {
    "kfz": "kreis-musterland",
    "bauamt": "kreis-musterland",
    "buergerbuero-neudorf": "neudorf",
    "buergerbuero-beispielhausen": "beispielhausen",
}
DEMO_IMPRINT = "{name}, vertreten durch die Bürgermeisterin. Anschrift: {name}, Rathausplatz 1."


@register_demo("Region: Kreis Musterland mit drei Gemeinden")
def load_region_demo() -> str:
    """The Kreis and its Gemeinden; Musterstadt is the first authority (the migration made it
    for the offices of a single-municipality portal) under its real name."""
    kreis = _authority(KREIS[1], KREIS[0], KREIS[2], AuthorityKind.KREIS, parent_id=None, codes=[])
    first = db.session.scalar(select(Authority).order_by(Authority.id).limit(1))
    for name, slug, ars, codes in GEMEINDEN:
        existing = db.session.scalar(select(Authority).where(Authority.slug == slug))
        if existing is None and slug == "musterstadt" and first is not None and not first.ars:
            first.slug, first.name = slug, name  # the authority the migration made
        _authority(slug, name, ars, AuthorityKind.GEMEINDE, parent_id=kreis.id, codes=codes)
    db.session.flush()
    by_slug = {a.slug: a.id for a in db.session.scalars(select(Authority))}
    offices = db.session.scalars(select(Office).where(Office.source == DEMO_SOURCE))
    for office in offices:
        office.authority_id = by_slug[OFFICE_AUTHORITY.get(office.source_id, "musterstadt")]
    return f"1 Kreis, {len(GEMEINDEN)} Gemeinden"


def _authority(
    slug: str, name: str, ars: str, kind: AuthorityKind, *, parent_id: int | None, codes: list[str]
) -> Authority:
    authority = db.session.scalar(select(Authority).where(Authority.slug == slug))
    if authority is None:
        authority = Authority(slug=slug, name=name)
        db.session.add(authority)
    authority.ars, authority.kind, authority.parent_id = ars, kind, parent_id
    authority.postal_codes = codes
    authority.imprint = authority.imprint or DEMO_IMPRINT.format(name=name)
    db.session.flush()
    return authority
