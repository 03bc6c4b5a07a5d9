"""The OZG taxonomy: Themenfelder → Lebenslagen → OZG-Leistungen → Leistungsschlüssel.

Read from the OZG-Umsetzungskatalog CSVs or from the project's compact JSON file
(``portal/catalog/data/ozg_taxonomy.json``, written by ``catalog export-taxonomy``), which holds
only names and keys and lets the demo start without any external file.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from portal.catalog.importers.records import CatalogImportError, ImportSummary
from portal.catalog.keys import KEY_PATTERN
from portal.catalog.models import Lebenslage, LeikaKey, OzgLeistung, Themenfeld
from portal.catalog.text import slugify
from portal.extensions import db

COMPACT_FORMAT = "serviceportal-taxonomy/1"
COMPACT_FILE = Path(__file__).resolve().parent.parent / "data" / "ozg_taxonomy.json"
HEADERS = {
    "lebenslagen": ["themenfeld_id", "themenfeld", "lebenslage_id", "lebenslage"],
    "ozg": ["ozg_id", "ozg_leistung", "lebenslage", "themenfeld"],
    "leika": ["leika_schluessel", "leistungsbezeichnung", "typisierung", "ozg_id"],
}


@dataclass
class TaxonomyBatch:
    # (key, name); (key, name, themenfeld key); (ozg_id, name, themenfeld name, lebenslage name)
    themenfelder: list[tuple[str, str]] = field(default_factory=list)
    lebenslagen: list[tuple[str, str, str]] = field(default_factory=list)
    ozg_leistungen: list[tuple[str, str, str, str]] = field(default_factory=list)
    # (key, name, ozg_id)
    leika: list[tuple[str, str, str]] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    # Keys of Lebenslagen refused as placeholders (see ``is_placeholder``).
    placeholder_lebenslagen: list[str] = field(default_factory=list)

    def add_lebenslage(self, key: str, name: str, themenfeld_key: str) -> None:
        if is_placeholder(name):
            self.placeholder_lebenslagen.append(key)
        else:
            self.lebenslagen.append((key, name, themenfeld_key))

    def merge(self, other: TaxonomyBatch) -> None:
        self.themenfelder.extend(other.themenfelder)
        self.lebenslagen.extend(other.lebenslagen)
        self.ozg_leistungen.extend(other.ozg_leistungen)
        self.leika.extend(other.leika)
        self.rejected.extend(other.rejected)
        self.placeholder_lebenslagen.extend(other.placeholder_lebenslagen)


PLACEHOLDER = re.compile(r"(?:([a-z])\1{2,})+")


def is_placeholder(name: str) -> bool:
    """A test row left in a source ("aaaaaaaaaa", "aaaaabbbbb", "aaabbbccc"): only runs of one
    letter repeated, no word a citizen could read. Like DLDB test records, never published."""
    return bool(PLACEHOLDER.fullmatch(name.strip().lower()))


def csv_kind(header: list[str]) -> str | None:
    for kind, expected in HEADERS.items():
        if header[: len(expected)] == expected:
            return kind
    return None


def parse_csv(path: str, text: str) -> TaxonomyBatch:
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, [])
    kind = csv_kind(header)
    if kind is None:
        raise CatalogImportError(path, "Kopfzeile", f"unbekannte Spalten {header[:4]}")
    batch = TaxonomyBatch()
    seen_themenfelder: set[str] = set()
    for line, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < len(HEADERS[kind]):
            raise CatalogImportError(path, f"Zeile {line}", "hat zu wenige Spalten")
        cells = [cell.strip() for cell in row]
        if kind == "lebenslagen":
            if cells[0] not in seen_themenfelder:
                seen_themenfelder.add(cells[0])
                batch.themenfelder.append((cells[0], cells[1]))
            batch.add_lebenslage(cells[2], cells[3], cells[0])
        elif kind == "ozg":
            if not cells[0].isdigit():
                raise CatalogImportError(path, f"Zeile {line}", f"ungültige OZG-ID {cells[0]!r}")
            batch.ozg_leistungen.append((cells[0], cells[1], cells[3], cells[2]))
        elif KEY_PATTERN.match(cells[0]):
            batch.leika.append((cells[0], cells[1], cells[3]))
        else:
            batch.rejected.append(f"{path} Zeile {line}: kein Leistungsschlüssel ({cells[0]!r})")
    return batch


def parse_compact(path: str, payload: dict[str, Any]) -> TaxonomyBatch:
    batch = TaxonomyBatch()
    try:
        for themenfeld in payload["themenfelder"]:
            batch.themenfelder.append((themenfeld["key"], themenfeld["name"]))
            for lebenslage in themenfeld["lebenslagen"]:
                batch.add_lebenslage(lebenslage["key"], lebenslage["name"], themenfeld["key"])
                for ozg in lebenslage["ozg_leistungen"]:
                    batch.ozg_leistungen.append(
                        (ozg["ozg_id"], ozg["name"], themenfeld["name"], lebenslage["name"])
                    )
                    batch.leika.extend((key, "", ozg["ozg_id"]) for key in ozg["leika"])
    except (KeyError, TypeError) as error:
        raise CatalogImportError(path, "(Datei)", f"Taxonomie unvollständig: {error}") from None
    return batch


def apply_taxonomy(batch: TaxonomyBatch) -> ImportSummary:
    """Upsert the taxonomy by key. Flushes, does not commit; unchanged rows are not written."""
    summary = ImportSummary()
    themenfelder = {row.key: row for row in db.session.scalars(select(Themenfeld))}
    for position, (key, name) in enumerate(batch.themenfelder):
        row = themenfelder.get(key)
        values = {"name": name, "slug": slugify(name), "position": position}
        themenfelder[key] = _upsert(
            Themenfeld, row, {"key": key}, values, summary=summary, kind="Themenfelder"
        )
    db.session.flush()

    lebenslagen = {row.key: row for row in db.session.scalars(select(Lebenslage))}
    for key, name, themenfeld_key in batch.lebenslagen:
        values = {
            "name": name,
            "slug": f"{slugify(name)}-{key}",
            "themenfeld_id": themenfelder[themenfeld_key].id,
        }
        lebenslagen[key] = _upsert(
            Lebenslage, lebenslagen.get(key), {"key": key}, values, summary=summary,
            kind="Lebenslagen",
        )  # fmt: skip
    for key in batch.placeholder_lebenslagen:
        summary.add("Lebenslagen", "abgelehnt")
        stale = lebenslagen.pop(key, None)
        if stale is not None and not stale.ozg_leistungen:
            db.session.delete(stale)  # published by an earlier import: taken back
    db.session.flush()

    by_name = {(row.themenfeld.name.strip(), row.name): row for row in lebenslagen.values()}
    ozg_rows = {row.ozg_id: row for row in db.session.scalars(select(OzgLeistung))}
    for ozg_id, name, themenfeld_name, lebenslage_name in batch.ozg_leistungen:
        lebenslage = by_name.get((themenfeld_name.strip(), lebenslage_name))
        values = {"name": name, "lebenslage_id": lebenslage.id if lebenslage else None}
        ozg_rows[ozg_id] = _upsert(
            OzgLeistung, ozg_rows.get(ozg_id), {"ozg_id": ozg_id}, values, summary=summary,
            kind="OZG-Leistungen",
        )  # fmt: skip
    db.session.flush()

    keys = {row.key: row for row in db.session.scalars(select(LeikaKey))}
    for key, name, ozg_id in batch.leika:
        ozg = ozg_rows.get(ozg_id)
        key_values: dict[str, Any] = {"ozg_leistung_id": ozg.id if ozg else None}
        if name:  # the compact file carries no names; never blank out imported ones
            key_values["name"] = name
        keys[key] = _upsert(
            LeikaKey, keys.get(key), {"key": key, "name": ""}, key_values, summary=summary,
            kind="Leistungsschlüssel",
        )  # fmt: skip
    if batch.rejected:
        summary.add("Leistungsschlüssel", "abgelehnt", len(batch.rejected))
    db.session.flush()
    return summary


def _differs(row: object, values: dict[str, Any]) -> bool:
    return any(getattr(row, name) != value for name, value in values.items())


def _assign(row: object, values: dict[str, Any]) -> None:
    for name, value in values.items():
        setattr(row, name, value)


def _upsert(
    model: type[Any],
    row: Any,
    identity: dict[str, Any],
    values: dict[str, Any],
    *,
    summary: ImportSummary,
    kind: str,
) -> Any:
    """Create the row (identity + values) or update the values that differ; count either way."""
    if row is None:
        row = model(**{**identity, **values})
        db.session.add(row)
        summary.add(kind, "neu")
    elif _differs(row, values):
        _assign(row, values)
        summary.add(kind, "geändert")
    else:
        summary.add(kind, "unverändert")
    return row


def export_compact() -> dict[str, Any]:
    """The taxonomy in the database as the compact JSON structure (names and keys only)."""
    keys_by_ozg: dict[int, list[str]] = {}
    for row in db.session.scalars(select(LeikaKey).order_by(LeikaKey.key)):
        if row.ozg_leistung_id is not None:
            keys_by_ozg.setdefault(row.ozg_leistung_id, []).append(row.key)
    themenfelder = db.session.scalars(select(Themenfeld).order_by(Themenfeld.position))
    return {
        "format": COMPACT_FORMAT,
        "quelle": "OZG-Umsetzungskatalog (Stand 2019) mit LeiKa-Zuordnung; nur Namen und Schlüssel",
        "themenfelder": [
            {
                "key": themenfeld.key,
                "name": themenfeld.name,
                "lebenslagen": [
                    {
                        "key": lebenslage.key,
                        "name": lebenslage.name,
                        "ozg_leistungen": [
                            {
                                "ozg_id": ozg.ozg_id,
                                "name": ozg.name,
                                "leika": keys_by_ozg.get(ozg.id, []),
                            }
                            for ozg in sorted(lebenslage.ozg_leistungen, key=lambda o: o.ozg_id)
                        ],
                    }
                    for lebenslage in sorted(themenfeld.lebenslagen, key=lambda lage: lage.key)
                ],
            }
            for themenfeld in themenfelder
        ],
    }


def dump_compact(data: dict[str, Any]) -> str:
    """Indented JSON with each OZG-Leistung on one line: small, yet readable in a diff."""
    text = json.dumps(data, ensure_ascii=False, indent=1)
    return re.sub(r"\{\s*\"ozg_id\"[^{}]*\}", _one_line, text) + "\n"


def _one_line(match: re.Match[str]) -> str:
    return json.dumps(json.loads(match.group(0)), ensure_ascii=False)
