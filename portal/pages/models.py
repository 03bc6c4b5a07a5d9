"""Feedback sent through the accessibility statement (BITV 2.0 § 7 feedback route)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.db import created_at, intpk
from portal.extensions import db


class AccessibilityFeedback(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "accessibility_feedback"

    id: Mapped[intpk]
    created_at: Mapped[created_at]
    message: Mapped[str] = mapped_column(Text)
    page: Mapped[str] = mapped_column(String(500), default="")
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(320), default="")
    # Set once the office responsible for accessibility has been told by e-mail.
    forwarded_at: Mapped[dt.datetime | None]
