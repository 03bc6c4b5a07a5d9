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
from html import unescape
from typing import Any

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import func, select

from portal.applications.cases import audit
from portal.applications.definition import DefinitionError, parse
from portal.applications.fim import FimError, convert
from portal.applications.models import (
    Application,
    ApplicationStatus,
    FormDraft,
    FormDraftState,
    FormPolicy,
    FormVersion,
)
from portal.applications.services import latest_version, store_definition
from portal.catalog.models import Leistung, Office
from portal.core.db import utcnow
from portal.core.pagecache import bump_revision
from portal.core.textrules import loads
from portal.extensions import db
from portal.identity.access import in_scope
from portal.identity.models import StaffAccount

MAX_FIM_BYTES = 5 * 1024 * 1024  # the largest Stammdatenschema in ../shared/data is ~200 KB
KEY = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")  # one hyphen at a time: "--test" stays ours
KEY_LENGTH = 90  # FormVersion.key holds 100, the test version's "--test" included


class BaukastenError(ValueError):
    """What the Formularredaktion asked for cannot be done; the message says why, in German."""


@dataclass(frozen=True)
class Listed:
    """One form of the list: a Baukasten draft, a published version, or both."""

    key: str
    title: str
    office_id: int | None
    # "entwurf", "test", "veroeffentlicht", "geaendert" (published, the draft changed since) or
    # "zurueckgezogen"
    state: str
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
    return _new_draft(result.definition, office, staff, key=str(result.definition["key"]),
                      source=f"FIM: {filename}", notes=list(result.notes))  # fmt: skip


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


def four_eyes(office_id: int) -> bool:
    policy = db.session.scalar(select(FormPolicy).where(FormPolicy.office_id == office_id))
    return bool(policy is not None and policy.four_eyes)


def set_four_eyes(office_id: int, staff: StaffAccount, *, on: bool) -> None:
    policy = db.session.scalar(select(FormPolicy).where(FormPolicy.office_id == office_id))
    if policy is None:
        policy = FormPolicy(office_id=office_id)
        db.session.add(policy)
    policy.four_eyes, policy.updated_at, policy.updated_by_id = on, utcnow(), staff.id
    audit(staff, "formular.vier_augen", amt=str(office_id), an="ja" if on else "nein")


def publish_refusal(draft: FormDraft, staff: StaffAccount) -> str | None:
    """Why ``staff`` may not publish the draft (incomplete, or the four-eyes rule)."""
    found = problem(draft)
    if found is not None:
        return found
    if four_eyes(draft.office_id) and staff.id in (draft.editors or []):
        return (
            "Für die Formulare dieses Amtes gilt das Vier-Augen-Prinzip: Sie haben das Formular "
            "seit der letzten Veröffentlichung geändert, deshalb veröffentlicht es eine andere "
            "Person der Formularredaktion."
        )
    return None


def publish(draft: FormDraft, staff: StaffAccount) -> FormVersion:
    """Store the draft as the form's new active version (citizens' drafts keep theirs).
    Raises ``BaukastenError`` with ``publish_refusal``'s words; flushes, the request commits."""
    found = publish_refusal(draft, staff)
    if found is not None:
        raise BaukastenError(found)
    try:
        row, _new = store_definition({**draft.definition, "office": str(draft.office_id)})
    except DefinitionError as error:
        raise BaukastenError(f"Das Formular ist noch nicht vollständig: {error}") from None
    draft.state = FormDraftState.PUBLISHED
    draft.published_version = row.version
    draft.editors = []
    draft.updated_at = utcnow()
    draft.updated_by_id = staff.id
    audit(staff, "formular.veroeffentlicht", formular=draft.key, version=str(row.version))
    return row


def test_key(key: str) -> str:
    return f"{key}--test"


TEST_SALT = "baukasten-test"
TEST_LINK_SECONDS = 7 * 24 * 3600


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=TEST_SALT)


def test_link_token(key: str) -> str:
    return str(_serializer().dumps(test_key(key)))


def test_key_from(token: str) -> str | None:
    """The test version a test link opens, or ``None`` for a missing, altered or old link."""
    if not token or len(token) > 300:
        return None
    try:
        found = _serializer().loads(token, max_age=TEST_LINK_SECONDS)
    except BadData:
        return None
    return found if isinstance(found, str) else None


def make_test(draft: FormDraft, staff: StaffAccount) -> FormVersion:
    """Store the draft as it stands as the test version "<key>--test", which only the test
    link opens; its applications are Testanträge (never counted, handed to the test target,
    deleted after ``PORTAL_RETENTION_TEST_DAYS``). Raises ``BaukastenError``."""
    found = problem(draft)
    if found is not None:
        raise BaukastenError(found)
    raw = {**draft.definition, "key": test_key(draft.key), "office": str(draft.office_id)}
    raw["title"] = f"{draft.title} (Test)"
    try:
        row, _new = store_definition(raw, test=True)
    except DefinitionError as error:
        raise BaukastenError(f"Das Formular ist noch nicht vollständig: {error}") from None
    if draft.state == FormDraftState.DRAFT:  # published or withdrawn stay what they are
        draft.state = FormDraftState.TEST
    audit(staff, "formular.test", formular=draft.key, version=str(row.version))
    return row


def test_applications(draft: FormDraft) -> list[Application]:
    return list(db.session.scalars(
        select(Application).where(Application.form_key == test_key(draft.key),
                                  Application.status == ApplicationStatus.SUBMITTED)
        .order_by(Application.submitted_at.desc()).limit(20)))  # fmt: skip


def withdraw(draft: FormDraft, staff: StaffAccount) -> None:
    """No longer offered online: every version stays (running cases keep theirs) but none is
    active, and /antrag/<key> says how to apply instead. Drafts of citizens can no longer be
    begun; those begun are kept until they expire. Audited."""
    for row in db.session.scalars(select(FormVersion).where(FormVersion.key == draft.key)):
        row.active = False
    draft.state = FormDraftState.WITHDRAWN
    draft.updated_at, draft.updated_by_id = utcnow(), staff.id
    bump_revision()  # the service page no longer offers the form
    audit(staff, "formular.zurueckgezogen", formular=draft.key)


def withdrawn(form_key: str) -> dict[str, Any] | None:
    """What the page of a withdrawn form shows (its title and office), or ``None``."""
    draft = db.session.scalar(select(FormDraft).where(
        FormDraft.key == form_key, FormDraft.state == FormDraftState.WITHDRAWN))  # fmt: skip
    if draft is None:
        return None
    return {"title": draft.title, "office": db.session.get(Office, draft.office_id),
            "service": draft.definition.get("service", "")}  # fmt: skip


def _changed(draft: FormDraft, staff: StaffAccount, definition: dict[str, Any]) -> None:
    draft.definition = definition
    if draft.state != FormDraftState.WITHDRAWN:
        draft.state = FormDraftState.DRAFT  # published versions stay as they are until the next
    draft.updated_at = utcnow()
    draft.updated_by_id = staff.id
    if staff.id not in (draft.editors or []):
        draft.editors = [*(draft.editors or []), staff.id]


def save_settings(draft: FormDraft, staff: StaffAccount, settings: dict[str, Any]) -> None:
    """Title, Leistungsschlüssel, trust level, accounts, the fee (as the definition stores it),
    payment policy and purpose of the whole form. Flushes nothing; audited."""
    definition = {**draft.definition, **settings}
    draft.title = str(settings["title"])[:300]
    _changed(draft, staff, definition)
    audit(staff, "formular.geaendert", formular=draft.key, teil="einstellungen")


def move_to(draft: FormDraft, staff: StaffAccount, office: Office) -> None:
    """The office that works the cases; the next published version carries it (running cases
    keep theirs). Audited when it changes."""
    if office.id == draft.office_id:
        return
    audit(staff, "formular.amt", formular=draft.key, von=str(draft.office_id), zu=str(office.id))
    draft.office_id = office.id
    _changed(draft, staff, {**draft.definition, "office": str(office.id)})


def field_of(draft: FormDraft, step_key: str, field_key: str) -> dict[str, Any] | None:
    for step in draft.definition.get("steps", []):
        if step.get("key") == step_key:
            for spec in step.get("fields", []):
                if spec.get("key") == field_key:
                    found: dict[str, Any] = spec
                    return found
    return None


def step_of(draft: FormDraft, step_key: str) -> dict[str, Any] | None:
    found = next((s for s in draft.definition.get("steps", []) if s.get("key") == step_key), None)
    return dict(found) if found is not None else None


UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def new_key(label: str, taken: Collection[str], fallback: str = "feld") -> str:
    """A key for a new step or field, from its label: "Größe in cm" → "groesse_in_cm"."""
    base = re.sub(r"[^a-z0-9]+", "_", label.lower().translate(UMLAUTS)).strip("_")[:40]
    base = base.strip("_") or fallback
    key, number = base, 1
    while key in taken:
        number += 1
        key = f"{base}_{number}"
    return key


def _steps(draft: FormDraft) -> list[dict[str, Any]]:
    """A copy of the steps to change (the stored JSON is replaced as a whole, never mutated)."""
    return [{**step, "fields": [dict(f) for f in step.get("fields", [])]}
            for step in draft.definition.get("steps", [])]  # fmt: skip


def _where(steps: list[dict[str, Any]], step_key: str) -> int:
    index = next((i for i, s in enumerate(steps) if s.get("key") == step_key), None)
    if index is None:
        raise BaukastenError("Diesen Schritt gibt es im Formular nicht.")
    return index


def _field_index(step: dict[str, Any], field_key: str) -> int:
    index = next((i for i, f in enumerate(step["fields"]) if f.get("key") == field_key), None)
    if index is None:
        raise BaukastenError("Dieses Feld gibt es im Formular nicht.")
    return index


def label_of(definition: dict[str, Any], path: str) -> str:
    """ "step.field" as the Formularredaktion knows it: the field's label."""
    step_key, _, field_key = path.partition(".")
    for step in definition.get("steps", []):
        if step.get("key") == step_key:
            for spec in step.get("fields", []):
                if spec.get("key") == field_key:
                    return str(spec.get("label") or field_key)
    return path


def _users_of(definition: dict[str, Any], paths: set[str]) -> list[str]:
    """What refers to one of ``paths`` (a condition, the fee), in words."""
    users = []
    for step in definition.get("steps", []):
        if (step.get("show_if") or {}).get("field") in paths:
            users.append(f"die Bedingung des Schritts „{step.get('title')}“")
        for spec in step.get("fields", []):
            if (spec.get("show_if") or {}).get("field") in paths:
                users.append(f"die Bedingung des Feldes „{spec.get('label')}“")
    if (definition.get("fee") or {}).get("field") in paths:
        users.append("die Gebühr")
    return users


def _refuse_if_used(draft: FormDraft, paths: set[str], what: str) -> None:
    users = _users_of(draft.definition, paths)
    if users:
        raise BaukastenError(
            f"{what} lässt sich nicht entfernen: {', '.join(users)} verwendet es. Ändern Sie "
            "zuerst das."
        )


def save_field(
    draft: FormDraft, staff: StaffAccount, step_key: str, field_key: str, values: dict[str, Any]
) -> None:
    """Change one field: label, hint, required and what its type allows (lengths, range,
    choices, file types and size, condition, prefill). Keys set to ``None`` or "" are dropped.
    Raises ``BaukastenError`` for a field the form does not have; audited."""
    steps = _steps(draft)
    step = steps[_where(steps, step_key)]
    index = _field_index(step, field_key)
    changed = {**step["fields"][index], **values}
    step["fields"][index] = {
        k: v for k, v in changed.items() if v not in (None, "", []) or k == "label"
    }
    _changed(draft, staff, {**draft.definition, "steps": steps})
    audit(staff, "formular.geaendert", formular=draft.key, feld=f"{step_key}.{field_key}")


def add_field(draft: FormDraft, staff: StaffAccount, step_key: str, kind: str, label: str) -> str:
    """A new field at the end of the step; returns its key. Audited."""
    steps = _steps(draft)
    step = steps[_where(steps, step_key)]
    key = new_key(label, {f.get("key", "") for f in step["fields"]})
    spec: dict[str, Any] = {"key": key, "type": kind, "label": label}
    if kind == "choice":
        spec["options"] = [{"value": "ja", "label": "Ja"}, {"value": "nein", "label": "Nein"}]
    step["fields"].append(spec)
    _changed(draft, staff, {**draft.definition, "steps": steps})
    audit(staff, "formular.geaendert", formular=draft.key, feld=f"{step_key}.{key}", neu="ja")
    return key


def remove_field(draft: FormDraft, staff: StaffAccount, step_key: str, field_key: str) -> str:
    """Remove a field nothing else refers to; returns its label. Audited."""
    steps = _steps(draft)
    step = steps[_where(steps, step_key)]
    index = _field_index(step, field_key)
    label = str(step["fields"][index].get("label") or field_key)
    _refuse_if_used(draft, {f"{step_key}.{field_key}"}, f"Das Feld „{label}“")
    del step["fields"][index]
    _changed(draft, staff, {**draft.definition, "steps": steps})
    audit(staff, "formular.geaendert", formular=draft.key, feld=f"{step_key}.{field_key}",
          entfernt="ja")  # fmt: skip
    return label


def _moved(items: list[Any], index: int, offset: int) -> bool:
    target = index + offset
    if not 0 <= target < len(items):
        return False
    items[index], items[target] = items[target], items[index]
    return True


def move_field(
    draft: FormDraft, staff: StaffAccount, step_key: str, field_key: str, offset: int
) -> bool:
    """One place up (-1) or down (+1) within its step; ``False`` at the edge. Audited."""
    steps = _steps(draft)
    step = steps[_where(steps, step_key)]
    if not _moved(step["fields"], _field_index(step, field_key), offset):
        return False
    _changed(draft, staff, {**draft.definition, "steps": steps})
    audit(staff, "formular.geaendert", formular=draft.key, feld=f"{step_key}.{field_key}",
          verschoben=str(offset))  # fmt: skip
    return True


def add_step(draft: FormDraft, staff: StaffAccount, title: str) -> str:
    """A new, empty step at the end (it needs a field before the form can be published)."""
    steps = _steps(draft)
    key = new_key(title, {s.get("key", "") for s in steps}, fallback="schritt")
    steps.append({"key": key, "title": title, "fields": []})
    _changed(draft, staff, {**draft.definition, "steps": steps})
    audit(staff, "formular.geaendert", formular=draft.key, schritt=key, neu="ja")
    return key


def save_step(draft: FormDraft, staff: StaffAccount, step_key: str, values: dict[str, Any]) -> None:
    """Title, introduction and condition of a step; audited."""
    steps = _steps(draft)
    index = _where(steps, step_key)
    changed = {**steps[index], **values}
    steps[index] = {k: v for k, v in changed.items() if v is not None and v != ""}
    _changed(draft, staff, {**draft.definition, "steps": steps})
    audit(staff, "formular.geaendert", formular=draft.key, schritt=step_key)


def move_step(draft: FormDraft, staff: StaffAccount, step_key: str, offset: int) -> bool:
    steps = _steps(draft)
    if not _moved(steps, _where(steps, step_key), offset):
        return False
    _changed(draft, staff, {**draft.definition, "steps": steps})
    audit(staff, "formular.geaendert", formular=draft.key, schritt=step_key,
          verschoben=str(offset))  # fmt: skip
    return True


def remove_step(draft: FormDraft, staff: StaffAccount, step_key: str) -> str:
    steps = _steps(draft)
    index = _where(steps, step_key)
    step = steps[index]
    title = str(step.get("title") or step_key)
    paths = {f"{step_key}.{f.get('key')}" for f in step["fields"]}
    _refuse_if_used(draft, paths, f"Der Schritt „{title}“")
    del steps[index]
    _changed(draft, staff, {**draft.definition, "steps": steps})
    audit(staff, "formular.geaendert", formular=draft.key, schritt=step_key, entfernt="ja")
    return title


def condition_sources(draft: FormDraft, before_step: str) -> list[tuple[str, str]]:
    """What a condition of ``before_step`` (or of a field in it) may test: each answer of a
    choice, yes/no or checkbox field of an earlier step, as ("step.field=value", words)."""
    found = []
    for step in draft.definition.get("steps", []):
        if step.get("key") == before_step:
            break
        for spec in step.get("fields", []):
            path, label = f"{step['key']}.{spec.get('key')}", spec.get("label") or spec.get("key")
            kind = spec.get("type")
            if kind == "yesno":
                answers = [("ja", "Ja"), ("nein", "Nein")]
            elif kind == "choice":
                answers = [(str(o.get("value")), str(o.get("label", o.get("value"))))
                           for o in spec.get("options", [])]  # fmt: skip
            elif kind == "checkbox":
                answers = [("True", "angekreuzt")]
            else:
                continue
            found += [(f"{path}={value}", f"{label} = {words}") for value, words in answers]
    return found


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
            FormVersion.active.is_(True), FormVersion.test.is_(False),
            in_scope(FormVersion.office_id, scope)))
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
        if draft.state in (FormDraftState.PUBLISHED, FormDraftState.WITHDRAWN):
            state = draft.state.value
        elif draft.state == FormDraftState.TEST and version is None:
            state = "test"
        else:
            state = "geaendert" if version is not None else "entwurf"
        rows.append(Listed(key, draft.title, draft.office_id, state,
                           version.version if version is not None else draft.published_version,
                           draft.updated_at,
                           editors.get(draft.updated_by_id or 0, ""), int(counts.get(key, 0)),
                           draft.id))  # fmt: skip
    return sorted(rows, key=lambda row: row.title.lower())


# --- versions in words ---------------------------------------------------------------------

FEE_WORDS = {"none": "keine", "fixed": "fest", "per_item": "je Stück", "tiered": "gestaffelt"}
FIELD_ASPECTS = (
    ("type", "die Art"), ("help", "der Hinweis"), ("options", "die Antworten"),
    ("show_if", "die Bedingung"), ("accept", "die erlaubten Dateiarten"),
    ("max_bytes", "die Höchstgröße"), ("max_length", "die Höchstlänge"), ("min", "der Mindestwert"),
    ("max", "der Höchstwert"), ("prefill", "die Vorbelegung"),
    ("prefill_locked", "die Sperre der Vorbelegung"),
)  # fmt: skip
FORM_ASPECTS = (
    ("title", "Titel"), ("service", "Leistungsschlüssel"), ("trust_level", "Vertrauensniveau"),
    ("accounts", "wer den Antrag stellen darf"), ("payment", "Bezahlung"),
    ("purpose", "Verwendungszweck"),
)  # fmt: skip


def _fee_words(fee: dict[str, Any] | None) -> str:
    fee = fee or {}
    kind = str(fee.get("kind", "none"))
    if kind == "fixed":
        cents = int(fee.get("amount_cents", 0))
        return f"{cents // 100},{cents % 100:02d} Euro" if cents else "keine"
    return FEE_WORDS.get(kind, kind)


def _fields_by_key(definition: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    return {
        f"{step.get('key')}.{spec.get('key')}": (str(step.get("title", "")), spec)
        for step in definition.get("steps", [])
        for spec in step.get("fields", [])
    }


def changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:  # noqa: PLR0912 - each aspect
    """What changed from ``old`` to ``new``, in words: "Feld „Rasse“ neu, Pflicht"."""
    said: list[str] = []
    for key, words in FORM_ASPECTS:
        if old.get(key) != new.get(key):
            said.append(f"{words}: geändert")
    if _fee_words(old.get("fee")) != _fee_words(new.get("fee")) or old.get("fee") != new.get("fee"):
        said.append(f"Gebühr: {_fee_words(old.get('fee'))} → {_fee_words(new.get('fee'))}")
    old_steps = {s.get("key"): s for s in old.get("steps", [])}
    new_steps = {s.get("key"): s for s in new.get("steps", [])}
    for key, step in new_steps.items():
        if key not in old_steps:
            said.append(f"Schritt „{step.get('title')}“ neu")
        elif old_steps[key].get("title") != step.get("title"):
            said.append(
                f"Schritt „{old_steps[key].get('title')}“ heißt jetzt „{step.get('title')}“"
            )
        elif old_steps[key].get("show_if") != step.get("show_if"):
            said.append(f"Schritt „{step.get('title')}“: die Bedingung ist geändert")
    said += [f"Schritt „{s.get('title')}“ entfernt" for k, s in old_steps.items()
             if k not in new_steps]  # fmt: skip
    if [k for k in old_steps if k in new_steps] != [k for k in new_steps if k in old_steps]:
        said.append("Reihenfolge der Schritte geändert")
    old_fields, new_fields = _fields_by_key(old), _fields_by_key(new)
    for path, (step_title, spec) in new_fields.items():
        label = spec.get("label") or spec.get("key")
        if path not in old_fields:
            said.append(f"Feld „{label}“ neu in „{step_title}“, "
                        + ("Pflicht" if spec.get("required") else "freiwillig"))  # fmt: skip
            continue
        before = old_fields[path][1]
        if before.get("label") != spec.get("label"):
            said.append(f"Feld „{before.get('label')}“ heißt jetzt „{label}“")
        if bool(before.get("required")) != bool(spec.get("required")):
            said.append(f"Feld „{label}“ ist jetzt "
                        + ("Pflicht" if spec.get("required") else "freiwillig"))  # fmt: skip
        for aspect, words in FIELD_ASPECTS:
            if before.get(aspect) != spec.get(aspect):
                said.append(f"Feld „{label}“: {words} ist geändert")
    said += [f"Feld „{spec.get('label') or spec.get('key')}“ entfernt"
             for path, (_title, spec) in old_fields.items() if path not in new_fields]  # fmt: skip
    return said


def versions(key: str) -> list[tuple[FormVersion, list[str]]]:
    """Every published version, newest first, each with its changes against the one before."""
    rows = list(
        db.session.scalars(
            select(FormVersion).where(FormVersion.key == key).order_by(FormVersion.version)
        )
    )
    described = []
    for index, row in enumerate(rows):
        earlier = rows[index - 1].definition if index else None
        words = changes(earlier, row.definition) if earlier is not None else ["erste Version"]
        described.append((row, words or ["keine Änderung am Inhalt"]))
    return described[::-1]


# --- Nachnutzung: one file to another Kommune, and copies -----------------------------------

EXPORT_FORMAT = "serviceportal-form-export/1"
LICENCE = "CC BY 4.0"  # the licence a Kommune shares its forms under (stated in the manifest)


def export(draft: FormDraft, source: str) -> dict[str, Any]:
    """The form as one file: the newest published version (else the draft as it stands) and a
    manifest saying where it comes from, for ``import_export`` in another portal."""
    latest = latest_version(draft.key)
    definition = dict(latest.definition) if latest is not None else dict(draft.definition)
    definition.pop("office", None)  # an office of this portal means nothing elsewhere
    return {
        "manifest": {
            "format": EXPORT_FORMAT,
            "source": source,
            "key": draft.key,
            "title": draft.title,
            "version": latest.version if latest is not None else None,
            "service": definition.get("service", ""),
            "fim": definition.get("source") or {},
            "licence": LICENCE,
            "exported_at": utcnow().isoformat(timespec="seconds"),
        },
        "definition": definition,
    }


def _new_draft(definition: dict[str, Any], office: Office, staff: StaffAccount, *, key: str,
               source: str, notes: list[str]) -> FormDraft:  # fmt: skip
    if not KEY.fullmatch(key) or len(key) > KEY_LENGTH:
        raise BaukastenError(
            "Der Kurzname darf nur Kleinbuchstaben, Ziffern und einzelne Bindestriche enthalten "
            f"und höchstens {KEY_LENGTH} Zeichen lang sein."
        )
    if key_taken(key):
        raise BaukastenError(
            f"Ein Formular mit dem Kurznamen „{key}“ gibt es schon. Bitte wählen Sie einen anderen."
        )
    definition = {**definition, "key": key, "office": str(office.id)}
    definition.pop("version", None)
    draft = FormDraft(key=key, title=str(definition.get("title") or key)[:300],
                      office_id=office.id, definition=definition, notes=notes,
                      source=source[:300], state=FormDraftState.DRAFT, updated_at=utcnow(),
                      updated_by_id=staff.id, editors=[staff.id])  # fmt: skip
    db.session.add(draft)
    db.session.flush()
    audit(staff, "formular.angelegt", formular=key, quelle=source[:100])
    return draft


def import_export(data: bytes, office: Office, staff: StaffAccount, key: str = "") -> FormDraft:
    """A new Entwurf from another portal's export, for ``office``: the office is ours; a fee
    is kept but noted, since fees follow each Kommune's own Satzung. Raises ``BaukastenError``."""
    if len(data) > MAX_FIM_BYTES:
        raise BaukastenError("Die Datei ist zu groß: höchstens 5 MB.")
    try:
        raw = loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BaukastenError(
            "Die Datei ist keine Formular-Datei (JSON) eines Serviceportals."
        ) from None
    manifest = raw.get("manifest") if isinstance(raw, dict) else None
    definition = raw.get("definition") if isinstance(raw, dict) else None
    if not isinstance(manifest, dict) or manifest.get("format") != EXPORT_FORMAT \
            or not isinstance(definition, dict):  # fmt: skip
        raise BaukastenError(
            f"Die Datei ist keine Formular-Datei eines Serviceportals (Format {EXPORT_FORMAT})."
        )
    try:
        parse({**definition, "office": ""})
    except DefinitionError as error:
        raise BaukastenError(f"Das Formular in der Datei ist nicht vollständig: {error}") from None
    origin = str(manifest.get("source") or "einer anderen Kommune")[:120]
    notes = [f"Übernommen von {origin}, Version {manifest.get('version') or 'Entwurf'}, "
             f"Lizenz {manifest.get('licence') or 'nicht angegeben'}."]  # fmt: skip
    if (definition.get("fee") or {}).get("kind", "none") != "none":
        notes.append(f"Gebühr von {origin} übernommen ({_fee_words(definition.get('fee'))}): "
                     "Bitte an Ihre eigene Gebührensatzung anpassen.")  # fmt: skip
    chosen = key or str(manifest.get("key") or definition.get("key") or "")
    return _new_draft(definition, office, staff, key=chosen, source=f"Nachnutzung: {origin}",
                      notes=notes)  # fmt: skip


def copy(draft: FormDraft, office: Office, staff: StaffAccount, key: str) -> FormDraft:
    """A new Entwurf with the same content, for ``office`` (the same or another)."""
    return _new_draft(dict(draft.definition), office, staff, key=key,
                      source=f"Kopie von „{draft.title}“", notes=[])  # fmt: skip


# --- a new form from a catalogue service -----------------------------------------------------

LIST_ITEM = re.compile(r"<li[^>]*>(.*?)</li>", re.IGNORECASE | re.DOTALL)
TAG = re.compile(r"<[^>]+>")
MAX_DOCUMENTS = 10


def documents_of(service: Leistung) -> list[str]:
    """The documents the service's description asks for ("Unterlagen"), one per list item."""
    html = (service.texts.get("unterlagen") or {}).get("de", "")
    items = [" ".join(TAG.sub(" ", unescape(item)).split()) for item in LIST_ITEM.findall(html)]
    return [item[:200] for item in items if item][:MAX_DOCUMENTS]


def from_service(service: Leistung, office: Office, staff: StaffAccount, key: str) -> FormDraft:
    """A new Entwurf for a catalogue service: its name, Leistungsschlüssel and fee, the
    applicant's details (prefilled from the account), the request in words, and an upload for
    each document the description lists. Raises ``BaukastenError`` (the key)."""
    person = [
        ("vorname", "Vorname", "person.given_name"),
        ("familienname", "Familienname", "person.family_name"),
        ("strasse", "Straße und Hausnummer", "person.street"),
        ("postleitzahl", "Postleitzahl", "person.postal_code"),
        ("ort", "Ort", "person.locality"),
        ("email", "E-Mail-Adresse", "person.email"),
    ]
    steps: list[dict[str, Any]] = [
        {"key": "person", "title": "Angaben zu Ihrer Person", "fields": [
            {"key": k, "type": "email" if k == "email" else "postal_code" if k == "postleitzahl"
             else "text", "label": label, "required": True, "prefill": source}
            for k, label, source in person]},
        {"key": "anliegen", "title": "Ihr Anliegen", "fields": [
            {"key": "beschreibung", "type": "textarea", "label": "Was möchten Sie beantragen?",
             "required": True, "max_length": 2000}]},
    ]  # fmt: skip
    documents = documents_of(service)
    notes = [f"Aus der Leistungsbeschreibung „{service.name}“ angelegt: Bitte prüfen Sie jede "
             "Frage, und fügen Sie hinzu, was das Amt für die Entscheidung braucht."]  # fmt: skip
    if documents:
        taken: set[str] = set()
        fields = []
        for document in documents:
            field_key = new_key(document, taken, fallback="nachweis")
            taken.add(field_key)
            fields.append({"key": field_key, "type": "file", "label": document,
                           "required": True})  # fmt: skip
        steps.append({"key": "unterlagen", "title": "Unterlagen", "fields": fields})
        notes.append(f"{len(documents)} Uploads aus „Erforderliche Unterlagen“ übernommen: "
                     "Bitte prüfen, welche wirklich Pflicht sind.")  # fmt: skip
    fees = [fee for fee in service.fees if fee.get("amount_cents")]
    fee: dict[str, Any] = {"kind": "none"}
    if fees:
        fee = {"kind": "fixed", "amount_cents": int(fees[0]["amount_cents"])}
        if len(fees) > 1:
            notes.append("Die Leistung nennt mehrere Gebühren; übernommen ist die erste.")
    codes = [item.key for item in service.keys]
    definition = {"schema": "serviceportal-form/1", "key": key, "title": service.name[:300],
                  "service": codes[0] if codes else "", "steps": steps, "fee": fee,
                  "payment": "afterwards" if fee["kind"] != "none" else "none",
                  "purpose": service.name[:140]}  # fmt: skip
    return _new_draft(definition, office, staff, key=key,
                      source=f"Leistung: {service.name}", notes=notes)  # fmt: skip


# --- region-wide: one office offers, every other adopts with its own office -------------------


def share(draft: FormDraft, staff: StaffAccount, *, on: bool) -> None:
    """Offer the published form to every office of the region (or stop). Raises
    ``BaukastenError`` for a form that was never published: only a tried version is offered."""
    if on and not draft.published_version:
        raise BaukastenError("Nur ein veröffentlichtes Formular kann der Region angeboten werden.")
    draft.shared = on
    audit(staff, "formular.geteilt", formular=draft.key, an="ja" if on else "nein")


def offers(scope: Collection[int] | None) -> list[FormDraft]:
    """Forms other offices offer to the region, to be adopted by the offices of ``scope``."""
    query = select(FormDraft).where(
        FormDraft.shared.is_(True), FormDraft.published_version.is_not(None)
    )
    if scope is not None:
        query = query.where(FormDraft.office_id.not_in(list(scope) or [0]))
    return list(db.session.scalars(query.order_by(FormDraft.title)))


def offered(draft_id: int) -> FormDraft | None:
    found = db.session.get(FormDraft, draft_id)
    if found is None or not found.shared or not found.published_version:
        return None
    return found


def adopt(draft: FormDraft, office: Office, staff: StaffAccount, key: str) -> FormDraft:
    """A new Entwurf for ``office`` from the offered form's published version (not its draft
    in progress); the fee is noted, since each Kommune charges by its own Satzung."""
    latest = latest_version(draft.key)
    if latest is None:
        raise BaukastenError("Dieses Formular ist nicht mehr veröffentlicht.")
    origin = db.session.get(Office, draft.office_id)
    name = origin.name if origin is not None else "einem anderen Amt"
    notes = [f"Aus der Region übernommen: „{draft.title}“, Version {latest.version}, von {name}."]
    if (latest.definition.get("fee") or {}).get("kind", "none") != "none":
        notes.append(f"Gebühr von {name} übernommen ({_fee_words(latest.definition.get('fee'))})"
                     ": Bitte an Ihre eigene Gebührensatzung anpassen.")  # fmt: skip
    return _new_draft(dict(latest.definition), office, staff, key=key,
                      source=f"Region: {name}", notes=notes)  # fmt: skip
