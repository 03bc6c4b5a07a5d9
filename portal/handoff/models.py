"""The hand-off outbox: one row per submitted application and target.

The row is written in the same transaction as the submission (or the payment that releases it),
so no submission can be lost between the portal and the outbox. Workers claim a row with a lease;
a worker that dies mid-delivery leaves a lease that runs out, and the next run tries again. The
idempotency key travels with every attempt, so the target can recognise a repeat.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.db import UTCDateTime, created_at, intpk
from portal.extensions import db


class DeliveryState(enum.StrEnum):
    WAITING = "wartend"  # due (again) at next_attempt_at
    DELIVERED = "zugestellt"
    GIVEN_UP = "aufgegeben"  # too many failures: staff were alerted, a resend restarts it


class OutboxRow:
    """What every row of the outbox has: its target, the key the target knows repeats by, and
    the state of its attempts (see ``services.claim``, ``services.failed``)."""

    target: Mapped[str] = mapped_column(String(100))
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    state: Mapped[DeliveryState] = mapped_column(
        Enum(
            DeliveryState,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=DeliveryState.WAITING,
        index=True,
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str] = mapped_column(Text, default="")
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class Delivery(OutboxRow, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "handoff_delivery"
    __table_args__ = (UniqueConstraint("application_id", "target"),)

    id: Mapped[intpk]
    created_at: Mapped[created_at]
    application_id: Mapped[int] = mapped_column(
        ForeignKey("application.id", ondelete="RESTRICT"), index=True
    )


class Notice(OutboxRow, db.Model):  # type: ignore[name-defined,misc]
    """An event for the office's webhook (the applicant wrote, sent documents, opened the
    Bescheid): kept and retried like a package, so the Fachverfahren hears of it once."""

    __tablename__ = "handoff_notice"

    id: Mapped[intpk]
    created_at: Mapped[created_at]
    change_id: Mapped[int] = mapped_column(
        ForeignKey("case_change.id", ondelete="CASCADE"), unique=True
    )


class FitConnectSubmission(db.Model):  # type: ignore[name-defined,misc]
    """A package's submission at FIT-Connect, kept as soon as it exists: a retry goes on with it
    instead of sending a second one (FIT-Connect has no idempotency keys)."""

    __tablename__ = "handoff_fitconnect_submission"

    id: Mapped[intpk]
    created_at: Mapped[created_at]
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    destination_id: Mapped[str] = mapped_column(String(36))
    submission_id: Mapped[str] = mapped_column(String(36))
    case_id: Mapped[str] = mapped_column(String(36))
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
