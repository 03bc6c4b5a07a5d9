"""The Baukasten: forms a Kommune's staff build in the browser, starting from FIM.

A ``FormDraft`` holds the definition being worked on. It may be incomplete or invalid while it is
an Entwurf; ``problem`` says, in German, what stands in the way of publishing, by the same rules
``flask forms load`` applies (``definition.parse`` and ``services.store_definition``: one
validator, one store). ``publish`` stores it as a new immutable form version; drafts of citizens
keep the version they began with.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from portal.applications.cases import audit
from portal.applications.definition import DefinitionError, parse
from portal.applications.fim import FimError, convert
from portal.applications.models import (
    Application,
    ApplicationStatus,
    FormDraft,
    FormDraftState,
    FormVersion,
)
from portal.applications.services import latest_version, store_definition
from portal.catalog.models import Office
from portal.core.db import utcnow
from portal.extensions import db
from portal.identity.access import in_scope
from portal.identity.models import StaffAccount

MAX_FIM_BYTES = 5 * 1024 * 1024  # the largest Stammdatenschema in ../shared/data is ~200 KB
KEY = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


class BaukastenError(ValueError):
    """What the Formularredaktion asked for cannot be done; the message says why, in German."""


@dataclass(frozen=True)
class Listed:
    """One form of the list: a Baukasten draft, a published version, or both."""

    key: str
    title: str
    office_id: int | None
    state: str  # "entwurf", "veroeffentlicht", or "geaendert" (published, the draft changed)
    version: int | None
    changed_at: Any
    changed_by: str
    submissions: int
    draft_id: int | None


def import_fim(
    data: bytes, filename: str, office: Office, staff: StaffAccount, key: str = ""
) -> FormDraft:
    """A new Entwurf from an uploaded XDatenfelder file, for ``office``. Flushes; raises
    ``BaukastenError`` (the file, the key) before anything is stored."""
    if len(data) > MAX_FIM_BYTES:
        raise BaukastenError(
            f"Die Datei ist zu groß: höchstens {MAX_FIM_BYTES // (1024 * 1024)} MB."
        )
    try:
        result = convert(data, key=key or None, name=filename or "Die Datei")
    except FimError as error:
        raise BaukastenError(str(error)) from None
    definition = {**result.definition, "office": str(office.id)}
    chosen = str(definition["key"])
    if not KEY.fullmatch(chosen) or len(chosen) > 100:
        raise BaukastenError(
            "Der Kurzname darf nur Kleinbuchstaben, Ziffern und Bindestriche enthalten."
        )
    if key_taken(chosen):
        raise BaukastenError(
            f"Ein Formular mit dem Kurznamen „{chosen}“ gibt es schon. Bitte wählen Sie einen "
            "anderen."
        )
    draft = FormDraft(
        key=chosen,
        title=str(definition.get("title") or chosen)[:300],
        office_id=office.id,
        definition=definition,
        notes=list(result.notes),
        source=f"FIM: {filename}"[:300],
        state=FormDraftState.DRAFT,
        updated_at=utcnow(),
        updated_by_id=staff.id,
    )
    db.session.add(draft)
    db.session.flush()
    audit(staff, "formular.angelegt", formular=chosen, quelle="fim")
    return draft


def key_taken(key: str) -> bool:
    in_drafts = db.session.scalar(select(FormDraft.id).where(FormDraft.key == key))
    return in_drafts is not None or latest_version(key) is not None


def problem(draft: FormDraft) -> str | None:
    """Why the draft cannot be published yet, or ``None``."""
    try:
        parse(draft.definition)
    except DefinitionError as error:
        return f"Das Formular ist noch nicht vollständig: {error}"
    return None


def publish(draft: FormDraft, staff: StaffAccount) -> FormVersion:
    """Store the draft as the form's new active version (citizens' drafts keep theirs).
    Raises ``BaukastenError`` with ``problem``'s words; flushes, the request commits."""
    found = problem(draft)
    if found is not None:
        raise BaukastenError(found)
    try:
        row, _new = store_definition({**draft.definition, "office": str(draft.office_id)})
    except DefinitionError as error:
        raise BaukastenError(f"Das Formular ist noch nicht vollständig: {error}") from None
    draft.state = FormDraftState.PUBLISHED
    draft.published_version = row.version
    draft.updated_at = utcnow()
    draft.updated_by_id = staff.id
    audit(staff, "formular.veroeffentlicht", formular=draft.key, version=str(row.version))
    return row


def _changed(draft: FormDraft, staff: StaffAccount, definition: dict[str, Any]) -> None:
    draft.definition = definition
    draft.state = FormDraftState.DRAFT  # published versions stay as they are until the next
    draft.updated_at = utcnow()
    draft.updated_by_id = staff.id


def save_settings(draft: FormDraft, staff: StaffAccount, settings: dict[str, Any]) -> None:
    """Title, Leistungsschlüssel, trust level, accounts, a fixed fee (``fee_cents``), payment
    policy and purpose of the whole form. Flushes nothing; audited."""
    fee_cents = int(settings.pop("fee_cents"))
    definition = {
        **draft.definition,
        **settings,
        "fee": {"kind": "fixed", "amount_cents": fee_cents} if fee_cents else {"kind": "none"},
    }
    draft.title = str(settings["title"])[:300]
    _changed(draft, staff, definition)
    audit(staff, "formular.geaendert", formular=draft.key, teil="einstellungen")


def field_of(draft: FormDraft, step_key: str, field_key: str) -> dict[str, Any] | None:
    for step in draft.definition.get("steps", []):
        if step.get("key") == step_key:
            for spec in step.get("fields", []):
                if spec.get("key") == field_key:
                    found: dict[str, Any] = spec
                    return found
    return None


def save_field(
    draft: FormDraft, staff: StaffAccount, step_key: str, field_key: str, values: dict[str, Any]
) -> None:
    """Label, hint and whether the field is required. Raises ``BaukastenError`` for a field
    the form does not have; audited."""
    steps = []
    found = False
    for step in draft.definition.get("steps", []):
        fields = []
        for spec in step.get("fields", []):
            changed = dict(spec)
            if step.get("key") == step_key and spec.get("key") == field_key:
                changed.update(values)
                if not changed.get("help"):
                    changed.pop("help", None)
                found = True
            fields.append(changed)
        steps.append({**step, "fields": fields})
    if not found:
        raise BaukastenError("Dieses Feld gibt es im Formular nicht.")
    _changed(draft, staff, {**draft.definition, "steps": steps})
    audit(staff, "formular.geaendert", formular=draft.key, feld=f"{step_key}.{field_key}")


def listed(office_ids: Collection[int] | None) -> list[Listed]:
    """Every form of these offices (``None``: all), Baukasten drafts and versions stored by
    ``flask forms load`` alike, by title."""
    scope = frozenset(office_ids) if office_ids is not None else None
    drafts = {
        d.key: d for d in db.session.scalars(select(FormDraft).where(
            in_scope(FormDraft.office_id, scope)))
    }  # fmt: skip
    versions = {
        v.key: v for v in db.session.scalars(select(FormVersion).where(
            FormVersion.active.is_(True), in_scope(FormVersion.office_id, scope)))
    }  # fmt: skip
    keys = set(drafts) | set(versions)
    counts = dict(
        db.session.execute(
            select(Application.form_key, func.count(Application.id))
            .where(
                Application.form_key.in_(keys), Application.status == ApplicationStatus.SUBMITTED
            )
            .group_by(Application.form_key)
        ).all()
    )
    editors = {
        s.id: s.name or s.email
        for s in db.session.scalars(
            select(StaffAccount).where(
                StaffAccount.id.in_({d.updated_by_id for d in drafts.values() if d.updated_by_id})
            )
        )
    }
    rows = []
    for key in keys:
        draft, version = drafts.get(key), versions.get(key)
        if draft is None:
            assert version is not None  # noqa: S101 - every key comes from one of the two
            rows.append(Listed(key, version.title, version.office_id, "veroeffentlicht",
                               version.version, version.created_at, "",
                               int(counts.get(key, 0)), None))  # fmt: skip
            continue
        if draft.state == FormDraftState.PUBLISHED:
            state = "veroeffentlicht"
        else:
            state = "geaendert" if version is not None else "entwurf"
        rows.append(Listed(key, draft.title, draft.office_id, state,
                           version.version if version is not None else None, draft.updated_at,
                           editors.get(draft.updated_by_id or 0, ""), int(counts.get(key, 0)),
                           draft.id))  # fmt: skip
    return sorted(rows, key=lambda row: row.title.lower())
