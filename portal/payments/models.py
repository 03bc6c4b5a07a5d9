"""Payments, the provider events that moved them, and refunds.

``PaymentEvent.event_id`` is unique: a webhook delivered twice is recorded once, and only a
recorded (verified) event changes a payment's state.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import JSONType, UTCDateTime, created_at, intpk
from portal.extensions import db


class PaymentState(enum.StrEnum):
    OPEN = "offen"
    PAID = "bezahlt"
    FAILED = "fehlgeschlagen"
    CANCELLED = "abgebrochen"
    REFUNDED = "erstattet"


def _enum(kind: type[enum.Enum]) -> Enum:
    return Enum(kind, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class Payment(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "payment"

    id: Mapped[intpk]
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[created_at]
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    application_id: Mapped[int] = mapped_column(
        ForeignKey("application.id", ondelete="RESTRICT"), index=True
    )
    kassenzeichen: Mapped[str] = mapped_column(String(20), unique=True)
    purpose: Mapped[str] = mapped_column(String(27))
    amount_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    provider: Mapped[str] = mapped_column(String(40))
    # Stripe: the checkout session; XBezahldienste: the transactionId.
    provider_ref: Mapped[str] = mapped_column(String(200), default="")
    provider_payment: Mapped[str] = mapped_column(String(200), default="")  # payment intent
    # XBezahldienste: where the transaction's status is asked and where the citizen pays.
    status_url: Mapped[str] = mapped_column(String(2100), default="")
    pay_url: Mapped[str] = mapped_column(String(2100), default="")
    # The Kasse's own reference (XBezahldienste transactionReference), known once paid.
    transaction_reference: Mapped[str] = mapped_column(String(100), default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Reconciliation: when the current attempt started, how often the provider was asked, when
    # next; the problem the provider last reported; when the operator was told it is stuck.
    attempt_started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    checks: Mapped[int] = mapped_column(Integer, default=0)
    next_check_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), index=True)
    last_problem: Mapped[str] = mapped_column(String(40), default="")
    stuck_alerted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    state: Mapped[PaymentState] = mapped_column(_enum(PaymentState), default=PaymentState.OPEN)
    paid_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    refunded_cents: Mapped[int] = mapped_column(Integer, default=0)

    events: Mapped[list[PaymentEvent]] = relationship(
        back_populates="payment", order_by="PaymentEvent.id"
    )
    refunds: Mapped[list[Refund]] = relationship(back_populates="payment", order_by="Refund.id")


class PaymentEvent(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "payment_event"
    __table_args__ = (UniqueConstraint("provider", "event_id"),)

    id: Mapped[intpk]
    received_at: Mapped[created_at]
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id", ondelete="CASCADE"))
    provider: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))  # paid, failed, cancelled, open
    source: Mapped[str] = mapped_column(String(20))  # webhook, return, api, reconcile, staff
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    payment: Mapped[Payment] = relationship(back_populates="events")


class Refund(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "payment_refund"

    id: Mapped[intpk]
    created_at: Mapped[created_at]
    # What the refund was sent to the provider with; unique, so a repeat books nothing.
    idempotency_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id", ondelete="CASCADE"))
    amount_cents: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(500), default="")
    provider_ref: Mapped[str] = mapped_column(String(200), default="")
    # The payment service offers no refunds: the Kasse pays it back; the portal records the
    # request (in the export) and tells the clerk so.
    by_kasse: Mapped[bool] = mapped_column(Boolean, default=False)
    # When the money went back: at once for a provider's refund; for the Kasse's, when a
    # clerk records that it paid (until then the refund is only "angefordert").
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_account.id", ondelete="SET NULL")
    )

    payment: Mapped[Payment] = relationship(back_populates="refunds")

    @property
    def done(self) -> bool:
        return self.completed_at is not None
