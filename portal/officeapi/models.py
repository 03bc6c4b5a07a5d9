"""What the office API keeps of its own: answers to idempotency keys, and receipts of cases."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.db import JSONType, UTCDateTime, created_at, intpk
from portal.extensions import db


class IdempotentAnswer(db.Model):  # type: ignore[name-defined,misc]
    """The answer given to a client's write with an ``Idempotency-Key``: a repeat with the same
    key gets it again and changes nothing; the same key for another request is refused."""

    __tablename__ = "api_idempotent_answer"
    __table_args__ = (UniqueConstraint("client_id", "key"),)

    id: Mapped[intpk]
    created_at: Mapped[created_at]
    client_id: Mapped[int] = mapped_column(ForeignKey("api_client.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))  # method, path and body
    status: Mapped[int] = mapped_column(Integer)
    body: Mapped[dict[str, Any]] = mapped_column(JSONType)


class Acknowledgement(db.Model):  # type: ignore[name-defined,misc]
    """A client confirmed that its Fachverfahren has taken the case over (Eingang bestätigt)."""

    __tablename__ = "api_acknowledgement"
    __table_args__ = (UniqueConstraint("client_id", "application_id"),)

    id: Mapped[intpk]
    client_id: Mapped[int] = mapped_column(ForeignKey("api_client.id", ondelete="CASCADE"))
    application_id: Mapped[int] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), index=True
    )
    acknowledged_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
