"""DLDB JSON (Berlin "Dienstleistungsdatenbank" format, also used by München).

A services file and a locations file belong together: import both in one command so that the
services' locations become responsibilities (Zuständigkeiten) of the imported offices.

Messy cases handled on purpose:
- ``leika`` may hold several comma-separated keys, or null;
- descriptions and fees are HTML (sanitised here) and may be empty;
- the export contains internal test records ("Testleistung", "Teststandort …"): they are imported
  but never published, like records the source marks ``public: false``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from portal.catalog.importers.records import (
    CatalogImportError,
    ImportBatch,
    OfficeRecord,
    Responsibility,
    ServiceRecord,
)
from portal.catalog.keys import InvalidKeyError, parse_keys
from portal.catalog.text import clean_html, plain_text

SOURCE_TIMEZONE = ZoneInfo("Europe/Berlin")
TEST_RECORD = re.compile(r"^\s*test(leistung|standort|dienstleistung)\b", re.IGNORECASE)
SUMMARY_LENGTH = 240


def is_services(payload: Any) -> bool:
    return _records(payload) is not None and any(
        "leika" in item or "authorities" in item for item in _records(payload) or []
    )


def is_locations(payload: Any) -> bool:
    return _records(payload) is not None and any(
        "address" in item or "contact" in item for item in _records(payload) or []
    )


def _records(payload: Any) -> list[dict[str, Any]] | None:
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), list):
        return None
    return [item for item in payload["data"] if isinstance(item, dict)]


def source_name(payload: dict[str, Any]) -> str:
    """'dldb:<host>' from the records' meta URL, so Berlin and München stay apart."""
    for item in payload.get("data", []):
        url = (item.get("meta") or {}).get("url") if isinstance(item, dict) else None
        if url:
            host = urlsplit(url).hostname or ""
            return f"dldb:{host.removeprefix('www.')}" if host else "dldb"
    return "dldb"


def _require_list(path: str, payload: Any) -> list[Any]:
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), list):
        raise CatalogImportError(path, "(Datei)", 'erwartet ein Objekt mit einer Liste "data"')
    items: list[Any] = payload["data"]
    return items


def _identify(path: str, position: int, item: Any) -> tuple[str, str]:
    if not isinstance(item, dict):
        raise CatalogImportError(path, f"Nr. {position}", "ist kein JSON-Objekt")
    raw_id, name = item.get("id"), item.get("name")
    if raw_id in (None, "") or not isinstance(raw_id, str | int):
        raise CatalogImportError(path, f"Nr. {position}", "hat keine id")
    if not isinstance(name, str) or not name.strip():
        raise CatalogImportError(path, f"id {raw_id}", "hat keinen Namen")
    return str(raw_id), name.strip()


def _changed_at(meta: dict[str, Any]) -> dt.datetime | None:
    raw = meta.get("lastupdate")
    if not isinstance(raw, str) or not raw:
        return None
    try:
        stamp = dt.datetime.fromisoformat(raw)
    except ValueError:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=SOURCE_TIMEZONE)
    return stamp.astimezone(dt.UTC)


def _link_list(entries: Any) -> list[dict[str, str]]:
    result = []
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and entry.get("link"):
            result.append(
                {
                    "name": plain_text(str(entry.get("name") or entry["link"])),
                    "url": str(entry["link"]).strip(),
                    "description": plain_text(str(entry.get("description") or "")),
                }
            )
    return result


def summarise(html: str) -> str:
    """First sentences of a text, cut at a word boundary: the teaser in lists and search."""
    text = plain_text(html)
    if len(text) <= SUMMARY_LENGTH:
        return text
    return text[:SUMMARY_LENGTH].rsplit(" ", 1)[0] + " …"


def parse_services(path: str, payload: Any) -> ImportBatch:
    batch = ImportBatch(source=source_name(payload), complete_services=True)
    for position, item in enumerate(_require_list(path, payload), start=1):
        source_id, name = _identify(path, position, item)
        try:
            keys = parse_keys(item.get("leika"))
        except InvalidKeyError as error:
            raise CatalogImportError(path, f"id {source_id} ({name})", str(error)) from None
        description = clean_html(item.get("description"))
        fees = clean_html(item.get("fees"))
        texts = {}
        if description:
            texts["volltext"] = {"de": description}
        if fees:
            texts["kosten"] = {"de": fees}
        meta = item.get("meta") if isinstance(item.get("meta"), dict) else {}
        locations = item.get("locations") if isinstance(item.get("locations"), list) else []
        batch.services.append(
            ServiceRecord(
                source_id=source_id,
                name=name,
                keys=keys,
                summary=summarise(description),
                texts=texts,
                forms=_link_list(item.get("forms")),
                links=_link_list(item.get("links")),
                addressees=["buerger"],
                keywords=str(meta.get("keywords") or ""),
                published=bool(item.get("public", True)) and not TEST_RECORD.match(name),
                source_changed_at=_changed_at(meta),
                responsibilities=[
                    Responsibility(str(entry["location"]))
                    for entry in locations
                    if isinstance(entry, dict) and entry.get("location")
                ],
            )
        )
    return batch


def parse_locations(path: str, payload: Any) -> ImportBatch:
    batch = ImportBatch(source=source_name(payload), complete_offices=True)
    for position, item in enumerate(_require_list(path, payload), start=1):
        source_id, name = _identify(path, position, item)
        address = item.get("address") if isinstance(item.get("address"), dict) else {}
        contact = item.get("contact") if isinstance(item.get("contact"), dict) else {}
        geo = item.get("geo") if isinstance(item.get("geo"), dict) else {}
        organization = ", ".join(
            str(part) for part in (item.get("organization"), item.get("organizationUnit")) if part
        )
        street = " ".join(
            str(part) for part in (address.get("street"), address.get("house_number")) if part
        )
        batch.offices.append(
            OfficeRecord(
                source_id=source_id,
                name=str(item.get("displayName") or name).strip(),
                organization=organization,
                street=street,
                postal_code=str(address.get("postal_code") or ""),
                city=str(address.get("city") or ""),
                phone=str(contact.get("phone") or ""),
                fax=str(contact.get("fax") or ""),
                email=str(contact.get("email") or ""),
                url=str(contact.get("webinfo") or ""),
                latitude=str(geo.get("lat") or ""),
                longitude=str(geo.get("lon") or ""),
                published=bool(item.get("public", True)) and not TEST_RECORD.match(name),
            )
        )
    return batch
