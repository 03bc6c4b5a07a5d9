"""The Redaktion's local changes to imported records: overrides and local responsibilities.

An override is stored only while it differs from the imported value, so saving the imported value
again removes it and the record follows the source from then on. Every change raises the content
revision, so cached catalogue pages show it at once on every app server.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select

from portal.catalog.models import Leistung, LocalOverride, Office, Zustaendigkeit
from portal.catalog.services import overrides
from portal.core.db import contains_pattern
from portal.core.pagecache import bump_revision
from portal.extensions import db

OFFICE_FIELDS = ("phone", "email", "url", "opening_hours")
SERVICE_FIELDS = ("online_url",)


def hours_as_lines(entries: list[dict[str, str]]) -> list[str]:
    """Opening hours as the lines a page shows: free text, or days and hours."""
    lines = []
    for entry in entries:
        text = entry.get("text") or " ".join(
            part for part in (entry.get("days", ""), entry.get("hours", "")) if part
        )
        if text.strip():
            lines.append(text.strip())
    return lines


def _office_imported(office: Office) -> dict[str, Any]:
    return {
        "phone": office.phone,
        "email": office.email,
        "url": office.url,
        "opening_hours": office.opening_hours,
    }


def _comparable(field: str, value: Any) -> Any:
    if field == "opening_hours":
        return hours_as_lines(value or [])
    return value or ""


@dataclass(frozen=True)
class FieldState:
    imported: Any
    current: Any
    overridden: bool


def office_state(office: Office) -> dict[str, FieldState]:
    """Per field: the imported value, the value citizens see, and whether it is a local one."""
    local = overrides("office", office.source, office.source_id)
    imported = _office_imported(office)
    state = {}
    for field in OFFICE_FIELDS:
        shown = _comparable(field, imported[field])
        current = _comparable(field, local[field]) if field in local else shown
        state[field] = FieldState(shown, current, field in local)
    return state


def service_state(leistung: Leistung) -> dict[str, FieldState]:
    local = overrides("leistung", leistung.source, leistung.source_id)
    imported = leistung.online_url or ""
    current = local.get("online_url", imported) or ""
    return {"online_url": FieldState(imported, current, "online_url" in local)}


def _set(record: Leistung | Office, field: str, value: Any, imported: Any) -> bool:
    """Store ``value`` as the override unless it equals the imported one. True if it changed."""
    kind = "office" if isinstance(record, Office) else "leistung"
    source, source_id = record.source, record.source_id
    row = db.session.scalar(
        select(LocalOverride).filter_by(kind=kind, source=source, source_id=source_id, field=field)
    )
    if _comparable(field, value) == _comparable(field, imported):
        if row is None:
            return False
        db.session.delete(row)
        return True
    if row is not None:
        if _comparable(field, row.value) == _comparable(field, value):
            return False
        row.value = value
        return True
    db.session.add(
        LocalOverride(kind=kind, source=source, source_id=source_id, field=field, value=value)
    )
    return True


def save_office(office: Office, values: dict[str, Any]) -> list[str]:
    """Apply the Redaktion's values (opening hours as lines). Returns the fields that changed."""
    imported = _office_imported(office)
    changed = []
    for field in OFFICE_FIELDS:
        value = values[field]
        if field == "opening_hours":
            value = [{"text": line} for line in value]
        if _set(office, field, value, imported[field]):
            changed.append(field)
    if changed:
        bump_revision()
    return changed


def save_online_url(leistung: Leistung, url: str) -> bool:
    changed = _set(leistung, "online_url", url, leistung.online_url)
    if changed:
        bump_revision()
    return changed


def responsibilities_of(office: Office) -> list[Zustaendigkeit]:
    return list(
        db.session.scalars(
            select(Zustaendigkeit)
            .join(Leistung, Leistung.id == Zustaendigkeit.leistung_id)
            .where(Zustaendigkeit.office_id == office.id)
            .order_by(Leistung.name, Zustaendigkeit.area)
        )
    )


def add_responsibility(leistung: Leistung, office: Office, area: str) -> bool:
    """A local responsibility; False if the office already handles the service for that area."""
    exists = db.session.scalar(
        select(Zustaendigkeit.id).filter_by(leistung_id=leistung.id, office_id=office.id, area=area)
    )
    if exists is not None:
        return False
    db.session.add(
        Zustaendigkeit(leistung_id=leistung.id, office_id=office.id, area=area, origin="local")
    )
    bump_revision()
    return True


def remove_responsibility(office: Office, responsibility_id: int) -> Zustaendigkeit | None:
    """Remove one of the office's local responsibilities; imported ones change at the source."""
    row = db.session.get(Zustaendigkeit, responsibility_id)
    if row is None or row.office_id != office.id or row.origin != "local":
        return None
    db.session.delete(row)
    bump_revision()
    return row


def find_services(text: str, limit: int = 20) -> list[Leistung]:
    """Published services whose name or Leistungsschlüssel contains ``text``."""
    words = text.strip()
    if not words:
        return []
    pattern = contains_pattern(words.lower())
    return list(
        db.session.scalars(
            select(Leistung)
            .where(
                Leistung.published,
                or_(
                    func.lower(Leistung.name).like(pattern),
                    Leistung.keys.any(key=words),
                ),
            )
            .order_by(Leistung.name)
            .limit(limit)
        )
    )
