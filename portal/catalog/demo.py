"""Demo content of the catalogue: the OZG taxonomy from the project's compact file."""

from __future__ import annotations

from portal.catalog.importers import import_files, read_files
from portal.catalog.importers.taxonomy import COMPACT_FILE
from portal.core.demo import register_demo


@register_demo("Leistungskatalog")
def load_catalog_demo() -> str:
    """Import the taxonomy; idempotent, so ``make run`` may call it on every start."""
    summary = import_files(read_files([COMPACT_FILE]))
    return "; ".join(summary.lines())
