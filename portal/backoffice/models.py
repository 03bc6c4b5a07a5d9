"""What happened in a case (visible to the applicant where it concerns them) and the audit log
of every staff read and download."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.db import JSONType, created_at, intpk
from portal.extensions import db


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
    action: Mapped[str] = mapped_column(String(40))  # case.view, file.download, receipt.download
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("application.id", ondelete="SET NULL"), index=True
    )
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
