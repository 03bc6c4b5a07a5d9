"""Online applications (Anträge): form versions, drafts and submissions, and their files.

An application belongs to a person acting for themselves, or to an organisation (then every
member acting for it sees it, and ``started_by`` records who began it). URLs carry a random
``public_id``, never the row id. A draft becomes a submission exactly once: the switch is one
conditional UPDATE (``status = 'entwurf'``), so two tabs submitting at once yield one result.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    Boolean,
    Enum,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import JSONType, UTCDateTime, created_at, intpk
from portal.extensions import db


class ApplicationStatus(enum.StrEnum):
    DRAFT = "entwurf"
    SUBMITTED = "eingereicht"


class CaseStatus(enum.StrEnum):
    """Where a submitted application stands in the office (visible to the applicant)."""

    RECEIVED = "eingegangen"
    IN_PROGRESS = "in_bearbeitung"
    QUERY = "rueckfrage"
    DECIDED = "beschieden"
    CLOSED = "abgeschlossen"


CASE_FLOW = {
    CaseStatus.RECEIVED: (CaseStatus.IN_PROGRESS,),
    CaseStatus.IN_PROGRESS: (CaseStatus.QUERY, CaseStatus.DECIDED),
    CaseStatus.QUERY: (CaseStatus.IN_PROGRESS, CaseStatus.DECIDED),
    CaseStatus.DECIDED: (CaseStatus.CLOSED,),
    CaseStatus.CLOSED: (),
}


class FormVersion(db.Model):  # type: ignore[name-defined,misc]
    """One version of a form definition (JSON, see ``definition.py``)."""

    __tablename__ = "form_version"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[intpk]
    created_at: Mapped[created_at]
    key: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    service_key: Mapped[str] = mapped_column(String(14), default="", index=True)
    definition: Mapped[dict[str, Any]] = mapped_column(JSONType)
    content_hash: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The office the definition's "office" named, resolved when the version was stored.
    office_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalog_office.id", ondelete="RESTRICT"), index=True
    )
    # A Baukasten test version (key "<form>--test"): opened only with the Formularredaktion's
    # test link; its applications are Testanträge.
    test: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class FormDraftState(enum.StrEnum):
    DRAFT = "entwurf"
    TEST = "test"  # the draft as it stands can be tried as a Testantrag
    PUBLISHED = "veroeffentlicht"
    WITHDRAWN = "zurueckgezogen"  # no longer offered online


class FormDraft(db.Model):  # type: ignore[name-defined,misc]
    """A form a Kommune's staff build in the browser (Baukasten): the definition being edited.
    Publishing stores it as a new immutable ``FormVersion`` through the same rules as
    ``flask forms load``; the draft stays for the next change."""

    __tablename__ = "form_draft"

    id: Mapped[intpk]
    created_at: Mapped[created_at]
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    key: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    office_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_office.id", ondelete="RESTRICT"), index=True
    )
    definition: Mapped[dict[str, Any]] = mapped_column(JSONType)
    # What the import could not carry over, in words, for the Formularredaktion to check.
    notes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    source: Mapped[str] = mapped_column(String(300), default="")
    state: Mapped[FormDraftState] = mapped_column(
        Enum(FormDraftState, native_enum=False, length=20,
             values_callable=lambda e: [m.value for m in e]),
        default=FormDraftState.DRAFT,
    )  # fmt: skip
    published_version: Mapped[int | None] = mapped_column(Integer)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_account.id", ondelete="SET NULL")
    )
    # Staff ids who changed the draft since it was last published (the four-eyes rule).
    editors: Mapped[list[int]] = mapped_column(JSONType, default=list)
    # Offered to every office of the region: each adopts the published version as its own.
    shared: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Application(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "application"

    id: Mapped[intpk]
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[created_at]
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    form_key: Mapped[str] = mapped_column(String(100), index=True)
    form_version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="SET NULL"), index=True
    )
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    status: Mapped[ApplicationStatus] = mapped_column(
        Enum(
            ApplicationStatus,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=ApplicationStatus.DRAFT,
        index=True,
    )
    # {"step": {"field": value}} as typed (strings), so nothing entered is ever lost.
    answers: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # {"step.field": "person.given_name"}: values taken from the identity (once-only).
    prefilled: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # {"step": true/false}: whether the step's last answers passed validation.
    complete: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    draft_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    reference: Mapped[str | None] = mapped_column(String(40), unique=True)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # When the e-mail confirming the submission went out (see ``applications.notices``).
    confirmation_sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    trust_level: Mapped[int | None] = mapped_column(Integer)
    # Who applied, as the identity said at submission: the office keeps this even after the
    # account is deleted, and the receipt stays the same (see ``services.applicant_snapshot``).
    applicant: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    fee_cents: Mapped[int] = mapped_column(Integer, default=0)
    # The case in the office (after submission): which office, its status, the clerk. Copied
    # from the form version at submission; a renamed or re-imported office keeps its cases.
    office_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalog_office.id", ondelete="RESTRICT"), index=True
    )
    case_status: Mapped[CaseStatus | None] = mapped_column(
        Enum(
            CaseStatus,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        ),
        index=True,
    )
    status_changed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    assigned_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_account.id", ondelete="SET NULL"), index=True
    )
    # Sent by the Formularredaktion to try a form: never counted, handed to the test target,
    # deleted after PORTAL_RETENTION_TEST_DAYS.
    test: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(), index=True)
    # Set when the retention period ended: answers, files, messages and the applicant's data are
    # gone; the register entry (reference, service, office, dates, fee) stays with its payment.
    erased_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    files: Mapped[list[ApplicationFile]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="ApplicationFile.id"
    )

    @property
    def is_draft(self) -> bool:
        return self.status == ApplicationStatus.DRAFT


class ApplicationFile(db.Model):  # type: ignore[name-defined,misc]
    """An uploaded file; its bytes are in the file store, encrypted, under ``storage_key``."""

    __tablename__ = "application_file"

    id: Mapped[intpk]
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[created_at]
    application_id: Mapped[int] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), index=True
    )
    step: Mapped[str] = mapped_column(String(100))
    field: Mapped[str] = mapped_column(String(100))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(200))

    application: Mapped[Application] = relationship(back_populates="files")


class CaseEvent(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "case_event"

    id: Mapped[intpk]
    created_at: Mapped[created_at]
    application_id: Mapped[int] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), index=True
    )
    staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_account.id", ondelete="SET NULL")
    )
    kind: Mapped[str] = mapped_column(String(30))  # status, assignment
    status: Mapped[str] = mapped_column(String(20), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    visible_to_applicant: Mapped[bool] = mapped_column(Boolean, default=True)


class AuditEntry(db.Model):  # type: ignore[name-defined,misc]
    """Append-only: who on the staff side read or downloaded what, and when."""

    __tablename__ = "audit_entry"

    id: Mapped[intpk]
    created_at: Mapped[created_at]
    staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_account.id", ondelete="SET NULL"), index=True
    )
    # or the Fachverfahren of the office, through the office API (then staff_id is empty)
    client_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_client.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(40))  # case.view, file.download, receipt.download
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("application.id", ondelete="SET NULL"), index=True
    )
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class ChangeKind(enum.StrEnum):
    """What happened to a case, as the office's systems are told (office API, webhook)."""

    SUBMITTED = "eingang"
    STATUS = "status"
    MESSAGE = "nachricht"  # the applicant wrote
    DOCUMENTS = "unterlagen"  # the applicant sent files
    RETRIEVED = "abgerufen"  # the applicant opened the Bescheid


class CaseChange(db.Model):  # type: ignore[name-defined,misc]
    """Append-only feed of changes to submitted cases; its id is the office API's cursor."""

    __tablename__ = "case_change"

    id: Mapped[intpk]
    created_at: Mapped[created_at]
    application_id: Mapped[int] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), index=True
    )
    office_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalog_office.id", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[ChangeKind] = mapped_column(
        Enum(
            ChangeKind, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]
        )
    )


class SuggestionState(enum.StrEnum):
    DONE = "erledigt"
    DISMISSED = "ausgeblendet"


class SuggestionChoice(db.Model):  # type: ignore[name-defined,misc]
    """What a citizen did with a suggested next service: ticked off or dismissed."""

    __tablename__ = "suggestion_choice"
    __table_args__ = (UniqueConstraint("person_id", "leistung_id"),)

    id: Mapped[intpk]
    created_at: Mapped[created_at]
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    leistung_id: Mapped[int] = mapped_column(ForeignKey("catalog_leistung.id", ondelete="CASCADE"))
    state: Mapped[SuggestionState] = mapped_column(
        Enum(
            SuggestionState,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        )
    )


class FormPolicy(db.Model):  # type: ignore[name-defined,misc]
    """How an office's Baukasten forms are published: with ``four_eyes``, the person who
    publishes must not have changed the form since its last publication."""

    __tablename__ = "form_policy"

    id: Mapped[intpk]
    office_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_office.id", ondelete="CASCADE"), unique=True
    )
    four_eyes: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_account.id", ondelete="SET NULL")
    )
