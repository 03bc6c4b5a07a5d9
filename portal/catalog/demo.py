"""Demo content of the catalogue: the OZG taxonomy and the services of Musterstadt."""

from __future__ import annotations

from sqlalchemy import select

from portal.catalog.demo_offices import OFFICES
from portal.catalog.demo_services import SERVICES
from portal.catalog.importers import import_files, read_files
from portal.catalog.importers.apply import apply_batch
from portal.catalog.importers.records import ImportBatch
from portal.catalog.importers.taxonomy import COMPACT_FILE
from portal.catalog.models import Authority, AuthorityKind, Journey, JourneyStep, Leistung, Office
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
            first.coat_of_arms = "img/logo.svg"  # the demo theme's coat of arms
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


# Lebenslagen that guide: (slug, name, intro, [(demo service, note)]) in order.
JOURNEYS = [
    ("umzug", "Umzug", "Sie ziehen in den Kreis Musterland oder innerhalb des Kreises um. "
     "Diese Schritte stehen an, der Reihe nach.", [
         ("wohnsitz-anmelden", "innerhalb von zwei Wochen nach dem Einzug"),
         ("hund-anmelden", "wenn Sie einen Hund halten: Hundesteuer in der neuen Gemeinde"),
         ("bewohnerparkausweis", "wenn Sie in einer Parkzone wohnen"),
         ("kfz-zulassung", "neue Anschrift in den Fahrzeugpapieren"),
     ]),
    ("geburt", "Geburt eines Kindes", "Herzlichen Glückwunsch! Das ist jetzt zu erledigen.", [
        ("geburtsurkunde", "die Klinik meldet die Geburt; die Urkunde holen Sie beim Standesamt"),
        ("vaterschaft", "wenn die Eltern nicht verheiratet sind"),
        ("kinderreisepass", "für Reisen mit dem Kind"),
        ("kita", "am besten früh anmelden"),
    ]),
    ("heirat", "Heirat", "Vor und nach der Eheschließung.", [
        ("eheschliessung", "beim Standesamt anmelden"),
        ("personalausweis", "bei einem neuen Namen"),
        ("reisepass", "bei einem neuen Namen"),
    ]),
    ("gewerbe-gruenden", "Gewerbe gründen", "Vom Gewerbeschein bis zum Stand vor dem Laden.", [
        ("gewerbe-anmelden", "vor Beginn der Tätigkeit"),
        ("gaststaette", "wenn Sie Speisen oder Getränke anbieten"),
        ("sondernutzung", "für Tische, Aufsteller oder Werbung auf dem Gehweg"),
    ]),
    ("todesfall", "Todesfall", "Was nach dem Tod eines Angehörigen zu tun ist.", [
        ("sterbeurkunde", "innerhalb von drei Werktagen beim Standesamt"),
        ("kfz-abmelden", "wenn ein Fahrzeug auf die verstorbene Person zugelassen war"),
    ]),
]  # fmt: skip


@register_demo("Lebenslagen Schritt für Schritt")
def load_journeys_demo() -> str:
    services = {
        row.source_id: row.id
        for row in db.session.scalars(select(Leistung).where(Leistung.source == DEMO_SOURCE))
    }
    made = 0
    for position, (slug, name, intro, steps) in enumerate(JOURNEYS):
        if db.session.scalar(select(Journey.id).where(Journey.slug == slug)) is not None:
            continue  # the Redaktion may have changed it since
        journey = Journey(slug=slug, name=name, intro=intro, position=position)
        journey.steps = [
            JourneyStep(leistung_id=services[key], position=index, note=note)
            for index, (key, note) in enumerate(steps)
            if key in services
        ]
        db.session.add(journey)
        made += 1
    db.session.flush()
    return f"{made} neue Lebenslagen"
