"""Writing an ImportBatch: incremental, idempotent, never touching local overrides."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from sqlalchemy import select

from portal.catalog import search
from portal.catalog.importers.records import (
    ImportBatch,
    ImportSummary,
    OfficeRecord,
    Responsibility,
    ServiceRecord,
)
from portal.catalog.models import Leistung, LeistungKey, Office, Zustaendigkeit
from portal.catalog.text import slugify
from portal.core.pagecache import bump_revision
from portal.extensions import db

Progress = Callable[[int], None]
T = TypeVar("T")
Record = TypeVar("Record", Leistung, Office)

SERVICE_FIELDS = (
    "name", "summary", "texts", "fees", "deadlines", "processing_times", "forms", "links",
    "addressees", "keywords", "trust_level", "online_url", "reifegrad", "published",
    "source_changed_at",
)  # fmt: skip
OFFICE_FIELDS = (
    "name", "organization", "street", "postal_code", "city", "phone", "fax", "email", "url",
    "opening_hours", "latitude", "longitude", "published",
)  # fmt: skip


def no_progress(_: int) -> None:
    return None


def apply_batch(batch: ImportBatch, progress: Progress = no_progress) -> ImportSummary:
    """Write the batch into the current transaction. Flushes; the caller commits or rolls back.

    Unchanged records (same content hash) are not written at all, so running the same import
    twice writes nothing the second time. Records missing from a complete batch are unpublished,
    not deleted. Local overrides and local responsibilities are never touched.
    """
    summary = ImportSummary()
    leftover = batch.attach_responsibilities()
    offices = _apply_offices(batch, summary, progress)
    services = _existing(Leistung, batch.source)
    touched = _apply_services(batch, services, offices, summary, progress)
    _add_responsibilities(services, leftover, offices)
    db.session.flush()
    search.reindex(leistung.id for leistung in touched)
    if batch.rejected:
        summary.add("Leistungen", "abgelehnt", len(batch.rejected))
        summary.notes.extend(f"abgelehnt: {reason}" for reason in batch.rejected)
    if summary.writes:
        bump_revision()
    return summary


def _existing(model: type[T], source: str) -> dict[str, T]:
    rows = db.session.scalars(select(model).where(model.source == source))  # type: ignore[attr-defined]
    return {row.source_id: row for row in rows}  # type: ignore[attr-defined]


def _withdraw(
    existing: dict[str, Record],
    seen: set[str],
    *,
    complete: bool,
    explicit: list[str],
    summary: ImportSummary,
    kind: str,
) -> list[Record]:
    """Unpublish records missing from a complete batch or withdrawn explicitly; return them."""
    withdrawn = []
    for source_id, row in existing.items():
        missing = complete and source_id not in seen
        if (missing or source_id in explicit) and row.published:
            row.published = False
            row.content_hash = "withdrawn"
            summary.add(kind, "zurückgezogen")
            withdrawn.append(row)
    return withdrawn


def _copy_fields(target: object, record: object, fields: Iterable[str]) -> None:
    for name in fields:
        setattr(target, name, getattr(record, name))


def _apply_offices(
    batch: ImportBatch, summary: ImportSummary, progress: Progress
) -> dict[str, Office]:
    existing = _existing(Office, batch.source)
    seen: set[str] = set()
    for record in batch.offices:
        seen.add(record.source_id)
        office = existing.get(record.source_id)
        fingerprint = record.fingerprint()
        if office is None:
            office = Office(source=batch.source, source_id=record.source_id)
            if batch.authority_id is not None:
                office.authority_id = batch.authority_id
            _write_office(office, record, fingerprint)
            db.session.add(office)
            existing[record.source_id] = office
            summary.add("Stellen", "neu")
        elif office.content_hash != fingerprint:
            _write_office(office, record, fingerprint)
            summary.add("Stellen", "geändert")
        else:
            summary.add("Stellen", "unverändert")
        progress(1)
    _withdraw(
        existing, seen, complete=batch.complete_offices, explicit=batch.withdrawn_offices,
        summary=summary, kind="Stellen",
    )  # fmt: skip
    db.session.flush()
    return existing


def _write_office(office: Office, record: OfficeRecord, fingerprint: str) -> None:
    _copy_fields(office, record, OFFICE_FIELDS)
    office.slug = slugify(record.name)
    office.content_hash = fingerprint


def _apply_services(
    batch: ImportBatch,
    existing: dict[str, Leistung],
    offices: dict[str, Office],
    summary: ImportSummary,
    progress: Progress,
) -> list[Leistung]:
    """Write the batch's services (adding new ones to ``existing``); return those created,
    changed or withdrawn."""
    seen: set[str] = set()
    touched: list[Leistung] = []
    unknown_offices: set[str] = set()
    for record in batch.services:
        seen.add(record.source_id)
        leistung = existing.get(record.source_id)
        fingerprint = record.fingerprint()
        if leistung is None:
            leistung = Leistung(source=batch.source, source_id=record.source_id)
            db.session.add(leistung)
            existing[record.source_id] = leistung
            summary.add("Leistungen", "neu")
        elif leistung.content_hash != fingerprint:
            summary.add("Leistungen", "geändert")
        else:
            summary.add("Leistungen", "unverändert")
            progress(1)
            continue
        _write_service(leistung, record, fingerprint)
        unknown_offices |= _sync_responsibilities(leistung, record, offices)
        touched.append(leistung)
        progress(1)
    touched += _withdraw(
        existing, seen, complete=batch.complete_services, explicit=batch.withdrawn_services,
        summary=summary, kind="Leistungen",
    )  # fmt: skip
    if unknown_offices:
        summary.notes.append(
            f"{len(unknown_offices)} Zuständigkeiten verweisen auf Stellen, die (noch) nicht "
            "importiert sind; sie werden beim Import der Standorte ergänzt."
        )
    return touched


def _write_service(leistung: Leistung, record: ServiceRecord, fingerprint: str) -> None:
    _copy_fields(leistung, record, SERVICE_FIELDS)
    leistung.slug = slugify(record.name)
    leistung.content_hash = fingerprint
    wanted = set(record.keys)
    for key_row in list(leistung.keys):
        if key_row.key not in wanted:
            leistung.keys.remove(key_row)
    present = {key_row.key for key_row in leistung.keys}
    leistung.keys.extend(LeistungKey(key=key) for key in sorted(wanted - present))


def _sync_responsibilities(
    leistung: Leistung, record: ServiceRecord, offices: dict[str, Office]
) -> set[str]:
    """Make the imported responsibilities match the record; local ones stay. Returns unknown ids."""
    wanted: dict[tuple[int, str], Office] = {}
    unknown: set[str] = set()
    for responsibility in record.responsibilities:
        office = offices.get(responsibility.office_source_id)
        if office is None:
            unknown.add(responsibility.office_source_id)
            continue
        wanted[(office.id, responsibility.area)] = office
    for row in list(leistung.zustaendigkeiten):
        if row.origin == "import" and (row.office_id, row.area) not in wanted:
            leistung.zustaendigkeiten.remove(row)
    for (_, area), office in wanted.items():
        _ensure_responsibility(leistung, office, area)
    return unknown


def _ensure_responsibility(leistung: Leistung, office: Office, area: str) -> None:
    present = {(row.office_id, row.area) for row in leistung.zustaendigkeiten}
    if (office.id, area) not in present:
        leistung.zustaendigkeiten.append(Zustaendigkeit(office=office, area=area))


def _add_responsibilities(
    services: dict[str, Leistung],
    pairs: list[tuple[str, Responsibility]],
    offices: dict[str, Office],
) -> None:
    """Responsibilities for services imported earlier: add what is missing, remove nothing."""
    for service_id, responsibility in pairs:
        leistung = services.get(service_id)
        office = offices.get(responsibility.office_source_id)
        if leistung is not None and office is not None:
            _ensure_responsibility(leistung, office, responsibility.area)
