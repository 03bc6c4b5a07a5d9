"""Form versions, drafts and submission: the applications domain's operations."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from flask import abort, current_app
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, func, select, update

from portal.applications.cases import record_change
from portal.applications.definition import (
    DefinitionError,
    Fee,
    Field,
    FormDefinition,
    Step,
    length_limit,
    parse,
)
from portal.applications.models import (
    Application,
    ApplicationFile,
    ApplicationStatus,
    CaseStatus,
    ChangeKind,
    FormVersion,
)
from portal.applications.reference import new_reference
from portal.catalog.offices import OfficeReferenceError, office_by_reference
from portal.catalog.services import (
    LOGIN_IN_PLAIN_WORDS,
    YouNeed,
    fees_for_keys,
    with_catalogue_costs,
)
from portal.core.db import utcnow
from portal.core.jobs import enqueue
from portal.core.pagecache import bump_revision
from portal.core.storage import file_store, new_key
from portal.extensions import db
from portal.identity.models import Organisation, Person

DRAFT_DAYS = 30
# A fee due before processing is asked for within this time (said on the application's page,
# in the confirmation e-mail and on "Angaben prüfen").
PAY_WITHIN = dt.timedelta(days=14)


class TooManyDraftsError(RuntimeError):
    """The account already has ``PORTAL_DRAFT_MAX_OPEN`` drafts."""


# --- form versions -------------------------------------------------------------------------


def _digest(raw: dict[str, Any]) -> str:
    body = {key: value for key, value in raw.items() if key != "version"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def latest_version(key: str) -> FormVersion | None:
    found: FormVersion | None = db.session.scalar(
        select(FormVersion).where(FormVersion.key == key).order_by(FormVersion.version.desc())
    )
    return found


def store_definition(
    raw: dict[str, Any], office_source: str = "", *, test: bool = False
) -> tuple[FormVersion, bool]:
    """Check ``raw`` and store it as a new version unless the newest one is the same.

    Returns the current version and whether it is new. Drafts keep the version they began with.
    Raises ``DefinitionError`` when the definition is invalid or its "office" names no single
    office (offices of ``office_source`` first): a form whose cases no clerk could see is never
    stored.
    """
    definition = parse(raw)
    try:
        office = office_by_reference(definition.office, prefer_source=office_source)
    except OfficeReferenceError as error:
        raise DefinitionError(f"office: {error}.") from None
    digest = _digest(raw)
    latest = latest_version(definition.key)
    if latest is not None and latest.content_hash == digest and latest.office_id == office.id:
        if not latest.active:  # offered again after it was withdrawn
            latest.active = True
            bump_revision()
        return latest, False
    version = latest.version + 1 if latest is not None else max(1, definition.version)
    row = FormVersion(
        key=definition.key,
        version=version,
        title=definition.title,
        service_key=definition.service,
        definition={**raw, "version": version},
        content_hash=digest,
        active=True,
        office_id=office.id,
        test=test,
    )
    if latest is not None:
        latest.active = False
    db.session.add(row)
    db.session.flush()
    bump_revision()  # service pages link to the form
    return row, True


def active_form(key: str) -> FormVersion | None:
    found: FormVersion | None = db.session.scalar(
        select(FormVersion).where(FormVersion.key == key, FormVersion.active.is_(True))
    )
    return found


def form_for_service(keys: list[str]) -> FormVersion | None:
    if not keys:
        return None
    found: FormVersion | None = db.session.scalar(
        select(FormVersion)
        .where(
            FormVersion.service_key.in_(keys),
            FormVersion.active.is_(True),
            FormVersion.test.is_(False),
        )
        .order_by(FormVersion.key)
    )
    return found


def format_euro(cents: int | None) -> str:
    """30,60 € (German format)."""
    value = (cents or 0) / 100
    text = f"{value:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    return f"{text} €"


def needs_of(definition: FormDefinition) -> YouNeed:
    """What applying with this form takes, in plain words (the "Sie brauchen" block)."""
    fee, payment = definition.fee, definition.payment
    if fee.kind == "none" or (fee.kind == "fixed" and not fee.amount_cents):
        cost = _("keine")
    else:
        amount = (
            format_euro(fee.amount_cents)
            if fee.kind == "fixed"
            else _("je nach Ihren Angaben; Sie sehen den Betrag vor dem Absenden")
        )
        later = _(
            "Sie können nach dem Absenden online bezahlen oder die Zahlungsaufforderung mit "
            "dem Bescheid abwarten."
        )
        how = {
            "before_handoff": _(
                "Sie bezahlen direkt nach dem Absenden online; erst dann geht der Antrag an "
                "das Amt."
            ),
            "afterwards": later,
            "optional": later,
        }.get(payment, "")
        cost = f"{amount}. {how}".strip()
    everyone = [step for step in definition.steps if step.show_if is None]
    login = str(LOGIN_IN_PLAIN_WORDS[definition.trust_level.code])
    if "buerger" not in definition.accounts:
        login = _(
            "das Organisationskonto Ihres Unternehmens oder Vereins (Anmeldung mit dem "
            "ELSTER-Unternehmenszertifikat)"
        )
    return YouNeed(
        login=login,
        uploads=tuple(
            (f.label, f.required)
            for step in definition.steps
            for f in step.fields
            if f.type == "file"
        ),
        cost=cost,
        steps=len(everyone),
        more_steps=len(definition.steps) - len(everyone),
        charged_cents=_charged_cents(fee),
        own_form=True,
    )


def _charged_cents(fee: Fee) -> int | None:
    """What the form charges with the application; ``None`` where the answers decide."""
    if fee.kind == "none":
        return 0
    if fee.kind == "fixed":
        return fee.amount_cents or 0
    return None


def needs_with_costs(definition: FormDefinition) -> YouNeed:
    """``needs_of`` beside the costs the catalogue lists for the form's service."""
    keys = [definition.service] if definition.service else []
    return with_catalogue_costs(needs_of(definition), fees_for_keys(keys))


def needs_for_service(keys: list[str]) -> YouNeed | None:
    row = form_for_service(keys)
    return needs_of(definition_of(row)) if row is not None else None


@lru_cache(maxsize=256)
def _parsed(content_hash: str, text: str) -> FormDefinition:  # noqa: ARG001 - cache key
    return parse(json.loads(text))


def definition_of(row: FormVersion) -> FormDefinition:
    return _parsed(row.content_hash + str(row.version), json.dumps(row.definition))


def definition_for(application: Application) -> FormDefinition:
    row = db.session.scalar(
        select(FormVersion).where(
            FormVersion.key == application.form_key,
            FormVersion.version == application.form_version,
        )
    )
    if row is None:
        abort(404)
    return definition_of(row)


# --- ownership -----------------------------------------------------------------------------


def owner_clause(person: Person, organisation: Organisation | None) -> ColumnElement[bool]:
    """Applications of the account: the organisation's when acting for one, else the person's."""
    if organisation is not None:
        return Application.organisation_id == organisation.id
    return and_(Application.person_id == person.id, Application.organisation_id.is_(None))


def owned(public_id: str, person: Person, organisation: Organisation | None) -> Application:
    """The application if it belongs to the account; 404 otherwise (no hint that it exists)."""
    found: Application | None = db.session.scalar(
        select(Application).where(
            Application.public_id == public_id, owner_clause(person, organisation)
        )
    )
    if found is None:
        abort(404)
    return found


def applications_of(person: Person, organisation: Organisation | None) -> list[Application]:
    return list(
        db.session.scalars(
            select(Application)
            .where(owner_clause(person, organisation))
            .order_by(Application.updated_at.desc())
        )
    )


# --- drafts --------------------------------------------------------------------------------


def _prefill_value(source: str, person: Person, organisation: Organisation | None) -> str:
    kind, _, attribute = source.partition(".")
    holder: Any = person if kind == "person" else organisation
    if holder is None:
        return ""
    return str(getattr(holder, attribute, "") or "")


def open_drafts(person: Person, organisation: Organisation | None) -> int:
    owner = (
        Application.organisation_id == organisation.id
        if organisation is not None
        else and_(Application.person_id == person.id, Application.organisation_id.is_(None))
    )
    return int(
        db.session.scalar(
            select(func.count(Application.id)).where(
                owner, Application.status == ApplicationStatus.DRAFT
            )
        )
        or 0
    )


def start_draft(row: FormVersion, person: Person, organisation: Organisation | None) -> Application:
    """A new draft, prefilled from the identity where the definition says so (once-only).
    Raises ``TooManyDraftsError`` when the account has ``PORTAL_DRAFT_MAX_OPEN`` drafts."""
    if open_drafts(person, organisation) >= current_app.config["PORTAL"].draft_max_open:
        raise TooManyDraftsError(str(person.id))
    definition = definition_of(row)
    answers: dict[str, dict[str, Any]] = {}
    prefilled: dict[str, str] = {}
    for step in definition.steps:
        for spec in step.fields:
            if spec.prefill:
                value = _prefill_value(spec.prefill, person, organisation)
                if value:
                    answers.setdefault(step.key, {})[spec.key] = value
                    prefilled[f"{step.key}.{spec.key}"] = spec.prefill
    now = utcnow()
    application = Application(
        public_id=secrets.token_hex(16),
        updated_at=now,
        form_key=row.key,
        form_version=row.version,
        title=row.title,
        person_id=person.id,
        organisation_id=organisation.id if organisation else None,
        started_by_id=person.id,
        status=ApplicationStatus.DRAFT,
        answers=answers,
        prefilled=prefilled,
        complete={},
        draft_expires_at=now + dt.timedelta(days=DRAFT_DAYS),
        test=row.test,
    )
    db.session.add(application)
    db.session.flush()
    return application


def locked_fields(application: Application, step: Step) -> set[str]:
    """Prefilled fields the definition does not let the applicant change."""
    return {
        spec.key
        for spec in step.fields
        if spec.prefill_locked and f"{step.key}.{spec.key}" in application.prefilled
    }


def save_step(
    application: Application,
    step: Step,
    values: dict[str, Any],
    *,
    valid: bool,
    locked: set[str],
) -> None:
    """Keep what was typed (valid or not): a draft never loses an entry, but keeps of a text at
    most its field's maximum length (``definition.length_limit``)."""
    answers = dict(application.answers)
    current = dict(answers.get(step.key, {}))
    for key, value in values.items():
        if key in locked:
            continue
        spec = step.field(key)
        current[key] = value[: length_limit(spec)] if isinstance(value, str) else value
    answers[step.key] = current
    application.answers = answers
    application.complete = {**application.complete, step.key: valid}
    now = utcnow()
    application.updated_at = now
    application.draft_expires_at = now + dt.timedelta(days=DRAFT_DAYS)


def files_for(application: Application, step: str, field: str) -> list[ApplicationFile]:
    return [item for item in application.files if item.step == step and item.field == field]


def attach_file(
    application: Application,
    step: str,
    field: str,
    *,
    filename: str,
    content_type: str,
    data: bytes,
) -> ApplicationFile:
    """Store an upload (encrypted) for a file field, replacing the one it had."""
    for old in files_for(application, step, field):
        remove_file(application, old)
    key = new_key()
    file_store().put(key, data)
    item = ApplicationFile(
        public_id=secrets.token_hex(16),
        step=step,
        field=field,
        filename=filename[:255] or "datei",
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        storage_key=key,
    )
    application.files.append(item)
    db.session.flush()
    return item


def delete_stored_file(key: str) -> None:
    """Job: remove a file's bytes (queued so it runs only once the removal is committed)."""
    file_store().delete(key)


def remove_file(application: Application, item: ApplicationFile) -> None:
    application.files.remove(item)
    db.session.flush()
    enqueue(delete_stored_file, item.storage_key)


def missing_steps(application: Application, definition: FormDefinition) -> list[Step]:
    answers = application.answers
    return [
        step for step in definition.visible_steps(answers) if not application.complete.get(step.key)
    ]


def visible_answers(
    application: Application, definition: FormDefinition
) -> list[tuple[Step, list[tuple[Field, Any]]]]:
    """What the summary, the receipt and the hand-off show: visible steps and fields only."""
    answers = application.answers
    result = []
    for step in definition.visible_steps(answers):
        rows = [
            (spec, answers.get(step.key, {}).get(spec.key))
            for spec in definition.visible_fields(step, answers)
            if spec.type != "info"
        ]
        result.append((step, rows))
    return result


PERSON_FIELDS = (
    "given_name", "family_name", "birth_name", "birth_date", "birth_place", "street",
    "postal_code", "locality", "country", "email", "phone",
)  # fmt: skip
ORGANISATION_FIELDS = ("external_id", "name", "street", "postal_code", "locality", "country")


def applicant_snapshot(person: Person, organisation: Organisation | None) -> dict[str, Any]:
    """The identity data at submission: kept with the application for the office's files."""
    return {
        "person": {name: getattr(person, name) for name in PERSON_FIELDS},
        "organisation": (
            {name: getattr(organisation, name) for name in ORGANISATION_FIELDS}
            if organisation
            else None
        ),
    }


@dataclass(frozen=True)
class ApplicantView:
    name: str
    organisation: str
    organisation_id: str
    email: str
    account_deleted: bool
    address: tuple[str, ...] = ()  # lines for a letter: street, "postal code locality"


def applicant_of(application: Application) -> ApplicantView:
    """Who applied: the snapshot taken at submission (older rows: the account as it is now)."""
    account_deleted = application.person_id is None and application.organisation_id is None
    snapshot = application.applicant
    if snapshot is None:
        person = (
            db.session.get(Person, application.started_by_id) if application.started_by_id else None
        )
        organisation = (
            db.session.get(Organisation, application.organisation_id)
            if application.organisation_id
            else None
        )
        snapshot = applicant_snapshot(person, organisation) if person else {"person": {}}
    person_data = snapshot.get("person") or {}
    org = snapshot.get("organisation") or {}
    name = " ".join(
        part for part in (person_data.get("given_name"), person_data.get("family_name")) if part
    )
    return ApplicantView(
        name=name or "—",
        organisation=org.get("name", ""),
        organisation_id=org.get("external_id", ""),
        email=person_data.get("email", ""),
        account_deleted=account_deleted,
        address=_address(org or person_data),
    )


def _address(data: dict[str, Any]) -> tuple[str, ...]:
    place = " ".join(p for p in (data.get("postal_code", ""), data.get("locality", "")) if p)
    return tuple(line for line in (data.get("street", ""), place) if line)


def submit(
    application: Application,
    definition: FormDefinition,
    trust_level: int,
    applicant: dict[str, Any] | None = None,
) -> bool:
    """Turn the draft into a submission exactly once; ``False`` if it was submitted already.

    One conditional UPDATE decides: of two tabs submitting at once, only one changes the row.
    """
    settings = current_app.config["PORTAL"]
    now = utcnow()
    reference = new_reference(settings.reference_prefix, now.year)
    fee = definition.fee.amount(application.answers)
    result = db.session.execute(
        update(Application)
        .where(Application.id == application.id, Application.status == ApplicationStatus.DRAFT)
        .values(
            status=ApplicationStatus.SUBMITTED,
            reference=reference,
            submitted_at=now,
            updated_at=now,
            draft_expires_at=None,
            trust_level=trust_level,
            applicant=applicant,
            fee_cents=fee,
            office_id=select(FormVersion.office_id)
            .where(
                FormVersion.key == application.form_key,
                FormVersion.version == application.form_version,
            )
            .scalar_subquery(),
            case_status=CaseStatus.RECEIVED,
            status_changed_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(application)
    if getattr(result, "rowcount", 0) != 1:
        return False
    record_change(application, ChangeKind.SUBMITTED)
    return True


def purge_expired_drafts(now: dt.datetime | None = None) -> int:
    """Delete drafts past their expiry (and queue their files' bytes for deletion)."""
    moment = now or utcnow()
    expired = list(
        db.session.scalars(
            select(Application).where(
                Application.status == ApplicationStatus.DRAFT,
                Application.draft_expires_at < moment,
            )
        )
    )
    for application in expired:
        for item in list(application.files):
            remove_file(application, item)
        db.session.delete(application)
    db.session.flush()
    return len(expired)
