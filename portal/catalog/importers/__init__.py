"""Catalogue importers. ``read_files`` detects each file's format and parses it without touching
the database; ``import_files`` then writes everything in the current transaction."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from portal.catalog.importers import dldb, taxonomy
from portal.catalog.importers.apply import Progress, apply_batch, no_progress
from portal.catalog.importers.records import CatalogImportError, ImportBatch, ImportSummary
from portal.core.pagecache import bump_revision

__all__ = ["CatalogImportError", "ParsedFiles", "import_files", "read_files"]


@dataclass
class ParsedFiles:
    taxonomy: taxonomy.TaxonomyBatch | None = None
    batches: dict[str, ImportBatch] = field(default_factory=dict)
    formats: list[tuple[str, str]] = field(default_factory=list)

    @property
    def record_count(self) -> int:
        return sum(len(b.services) + len(b.offices) for b in self.batches.values())


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CatalogImportError(str(path), "(Datei)", "nicht gefunden") from None
    except UnicodeDecodeError as error:
        raise CatalogImportError(str(path), "(Datei)", f"kein UTF-8: {error}") from None


def _parse_json(name: str, text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise CatalogImportError(
            name, f"Zeile {error.lineno}, Spalte {error.colno}", f"kein gültiges JSON: {error.msg}"
        ) from None


def read_files(paths: list[Path]) -> ParsedFiles:
    """Parse every file; raise CatalogImportError on the first broken one. Writes nothing."""
    parsed = ParsedFiles()

    def add_batch(batch: ImportBatch) -> None:
        if batch.source in parsed.batches:
            parsed.batches[batch.source].merge(batch)
        else:
            parsed.batches[batch.source] = batch

    def add_taxonomy(batch: taxonomy.TaxonomyBatch) -> None:
        if parsed.taxonomy is None:
            parsed.taxonomy = batch
        else:
            parsed.taxonomy.merge(batch)

    for path in paths:
        name = str(path)
        text = _read_text(path)
        stripped = text.lstrip("\ufeff \r\n\t")
        if stripped.startswith("<"):
            from portal.catalog.importers import xzufi  # noqa: PLC0415 - only for XML files

            add_batch(xzufi.parse(name, text))
            parsed.formats.append((name, "XZuFi 2.2"))
        elif stripped.startswith(("{", "[")):
            payload = _parse_json(name, text)
            if isinstance(payload, dict) and payload.get("format") == taxonomy.COMPACT_FORMAT:
                add_taxonomy(taxonomy.parse_compact(name, payload))
                parsed.formats.append((name, "Taxonomie (kompakt)"))
            elif dldb.is_services(payload):
                add_batch(dldb.parse_services(name, payload))
                parsed.formats.append((name, "DLDB-Leistungen"))
            elif dldb.is_locations(payload):
                add_batch(dldb.parse_locations(name, payload))
                parsed.formats.append((name, "DLDB-Standorte"))
            else:
                raise CatalogImportError(name, "(Datei)", "unbekanntes JSON-Format")
        elif taxonomy.csv_kind(stripped.splitlines()[0].split(",") if stripped else []):
            add_taxonomy(taxonomy.parse_csv(name, text))
            parsed.formats.append((name, "OZG-Katalog (CSV)"))
        else:
            raise CatalogImportError(name, "(Datei)", "Format nicht erkannt (XZuFi, DLDB, OZG-CSV)")
    return parsed


def import_files(
    parsed: ParsedFiles, progress: Progress = no_progress, authority_id: int | None = None
) -> ImportSummary:
    """Write parsed files into the current transaction (taxonomy first). Does not commit.
    New offices belong to ``authority_id`` (an existing office keeps its authority)."""
    summary = ImportSummary()
    if parsed.taxonomy is not None:
        _merge(summary, taxonomy.apply_taxonomy(parsed.taxonomy))
    for batch in parsed.batches.values():
        batch.authority_id = authority_id
        _merge(summary, apply_batch(batch, progress))
    if summary.writes:
        bump_revision()  # pages served from the page cache are stale now
    return summary


def _merge(total: ImportSummary, part: ImportSummary) -> None:
    for kind, counter in part.counts.items():
        for outcome, amount in counter.items():
            total.add(kind, outcome, amount)
    total.notes.extend(part.notes)
