"""Demo content of the catalogue: the OZG taxonomy and the services of Musterstadt."""

from __future__ import annotations

from portal.catalog.demo_offices import OFFICES
from portal.catalog.demo_services import SERVICES
from portal.catalog.importers import import_files, read_files
from portal.catalog.importers.apply import apply_batch
from portal.catalog.importers.records import ImportBatch
from portal.catalog.importers.taxonomy import COMPACT_FILE
from portal.core.demo import register_demo

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
