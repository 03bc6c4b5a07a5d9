"""Naming an office where a database id is not at hand: form definitions and settings.

A reference is resolved once, when a form version is stored or a setting is checked, and from
then on only the office's id is kept. It may be the office's id (``12``), its key in the
source it came from (``source_id``, e.g. ``kfz`` in the demo, which an import never changes),
or its URL name (``kfz-zulassungsstelle``) when exactly one office has it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from sqlalchemy import select

from portal.catalog.models import Office
from portal.config import ConfigError
from portal.extensions import db

T = TypeVar("T")


class OfficeReferenceError(LookupError):
    """The reference names no office, or several; the message says which and why."""


def office_by_reference(reference: str, prefer_source: str = "") -> Office:
    """The one office ``reference`` names; raises ``OfficeReferenceError`` otherwise.

    With ``prefer_source``, offices of that source win over others of the same name (the demo
    forms name the demo's offices, whatever else was imported)."""
    wanted = reference.strip()
    if not wanted:
        raise OfficeReferenceError("kein Amt angegeben")
    if wanted.isdigit():
        found = db.session.get(Office, int(wanted))
        if found is None:
            raise OfficeReferenceError(f"kein Amt mit der Nummer {wanted}")
        return found
    for column in (Office.source_id, Office.slug):
        rows = list(db.session.scalars(select(Office).where(column == wanted).order_by(Office.id)))
        rows = [row for row in rows if row.source == prefer_source] or rows
        published = [row for row in rows if row.published] or rows
        if len(published) == 1:
            return published[0]
        if len(published) > 1:
            ids = ", ".join(str(row.id) for row in published)
            raise OfficeReferenceError(
                f"„{wanted}“ passt auf mehrere Ämter (Nummern {ids}); bitte die Nummer angeben"
            )
    raise OfficeReferenceError(f"kein Amt „{wanted}“")


def by_office_id(by_reference: Mapping[str, T], setting: str) -> dict[int, T]:
    """A setting's ``office=value`` pairs keyed by office id. Raises ``ConfigError`` naming
    ``setting`` when a reference names no office or several: nothing is sent to a guess."""
    resolved: dict[int, T] = {}
    for reference, value in by_reference.items():
        try:
            resolved[office_by_reference(reference).id] = value
        except OfficeReferenceError as error:
            raise ConfigError(f"{setting}: {error}.") from None
    return resolved
