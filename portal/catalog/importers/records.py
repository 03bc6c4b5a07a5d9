"""What every importer produces: plain records, independent of the source format.

Parsers turn a file into an ImportBatch without touching the database; ``apply_batch`` then writes
the batch in the caller's transaction. A parser that meets a broken record raises
CatalogImportError naming the file and the record, so nothing is written.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any


class CatalogImportError(Exception):
    """A file cannot be imported; the message names the file and the offending record."""

    def __init__(self, path: str, record: str, problem: str) -> None:
        super().__init__(f"{path}: Datensatz {record}: {problem}")
        self.path = path
        self.record = record
        self.problem = problem


def content_hash(payload: dict[str, Any]) -> str:
    """Stable hash of a record's content; equal content gives an equal hash on every run."""
    encoded = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()


@dataclass
class Responsibility:
    office_source_id: str
    area: str = ""


@dataclass
class ServiceRecord:
    source_id: str
    name: str
    keys: list[str] = field(default_factory=list)
    summary: str = ""
    texts: dict[str, dict[str, str]] = field(default_factory=dict)
    fees: list[dict[str, Any]] = field(default_factory=list)
    deadlines: list[dict[str, Any]] = field(default_factory=list)
    processing_times: list[dict[str, Any]] = field(default_factory=list)
    forms: list[dict[str, str]] = field(default_factory=list)
    links: list[dict[str, str]] = field(default_factory=list)
    addressees: list[str] = field(default_factory=list)
    keywords: str = ""
    trust_level: str | None = None
    online_url: str | None = None
    reifegrad: int | None = None
    published: bool = True
    source_changed_at: dt.datetime | None = None
    responsibilities: list[Responsibility] = field(default_factory=list)

    def fingerprint(self) -> str:
        return content_hash(dataclasses.asdict(self))


@dataclass
class OfficeRecord:
    source_id: str
    name: str
    organization: str = ""
    street: str = ""
    postal_code: str = ""
    city: str = ""
    phone: str = ""
    fax: str = ""
    email: str = ""
    url: str = ""
    opening_hours: list[dict[str, str]] = field(default_factory=list)
    latitude: str = ""
    longitude: str = ""
    published: bool = True

    def fingerprint(self) -> str:
        return content_hash(dataclasses.asdict(self))


@dataclass
class ImportBatch:
    """Everything one source delivers. ``complete_*``: the batch is the source's full list of
    that kind, so records missing from it have been withdrawn."""

    source: str
    services: list[ServiceRecord] = field(default_factory=list)
    offices: list[OfficeRecord] = field(default_factory=list)
    complete_services: bool = False
    complete_offices: bool = False
    rejected: list[str] = field(default_factory=list)
    # Responsibilities delivered with the office (XZuFi): (service source id, responsibility).
    responsibilities: list[tuple[str, Responsibility]] = field(default_factory=list)
    # Explicit withdrawals (XZuFi "loesche"): source ids.
    withdrawn_services: list[str] = field(default_factory=list)
    withdrawn_offices: list[str] = field(default_factory=list)
    # The authority new offices belong to (``catalog import --authority``); None: the first.
    authority_id: int | None = None

    def merge(self, other: ImportBatch) -> None:
        self.services.extend(other.services)
        self.offices.extend(other.offices)
        self.complete_services |= other.complete_services
        self.complete_offices |= other.complete_offices
        self.rejected.extend(other.rejected)
        self.responsibilities.extend(other.responsibilities)
        self.withdrawn_services.extend(other.withdrawn_services)
        self.withdrawn_offices.extend(other.withdrawn_offices)

    def attach_responsibilities(self) -> list[tuple[str, Responsibility]]:
        """Move office-side responsibilities onto the services of this batch (so they count
        in the services' content hash); return those for services not in the batch."""
        services = {record.source_id: record for record in self.services}
        leftover = []
        for service_id, responsibility in self.responsibilities:
            record = services.get(service_id)
            if record is None:
                leftover.append((service_id, responsibility))
            elif responsibility not in record.responsibilities:
                record.responsibilities.append(responsibility)
        for record in self.services:
            record.responsibilities.sort(key=lambda r: (r.office_source_id, r.area))
        self.responsibilities = []
        return leftover


OUTCOMES = ("neu", "geändert", "unverändert", "zurückgezogen", "abgelehnt")


@dataclass
class ImportSummary:
    counts: dict[str, Counter[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, kind: str, outcome: str, amount: int = 1) -> None:
        self.counts.setdefault(kind, Counter())[outcome] += amount

    def count(self, kind: str, outcome: str) -> int:
        return self.counts.get(kind, Counter())[outcome]

    @property
    def writes(self) -> int:
        """Records created, changed or withdrawn: zero for a repeated import of the same file."""
        return sum(
            counter[outcome]
            for counter in self.counts.values()
            for outcome in ("neu", "geändert", "zurückgezogen")
        )

    def lines(self) -> list[str]:
        result = []
        for kind, counter in self.counts.items():
            parts = ", ".join(f"{counter[outcome]} {outcome}" for outcome in OUTCOMES)
            result.append(f"{kind}: {parts}")
        return result + self.notes
