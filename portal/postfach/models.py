"""Threads and messages. Bodies and attachments are encrypted at rest (Fernet, the storage
keys); a thread belongs to a person acting for themselves or to an organisation, and to the
office that answers."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import UTCDateTime, created_at, intpk
from portal.extensions import db


class Thread(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "postfach_thread"

    id: Mapped[intpk]
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[created_at]
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    office_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_office.id", ondelete="RESTRICT"), index=True
    )
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("application.id", ondelete="SET NULL"), unique=True
    )
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="SET NULL"), index=True
    )
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    # "Wichtig" as the account marks a thread for itself (the office marks single messages).
    flagged: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    messages: Mapped[list[Message]] = relationship(
        back_populates="thread", order_by="Message.id", cascade="all, delete-orphan"
    )


class Message(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "postfach_message"

    id: Mapped[intpk]
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[created_at]
    thread_id: Mapped[int] = mapped_column(
        ForeignKey("postfach_thread.id", ondelete="CASCADE"), index=True
    )
    from_office: Mapped[bool] = mapped_column(Boolean)
    kind: Mapped[str] = mapped_column(String(30), default="nachricht")  # eingangsbestaetigung
    sender_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL")
    )
    sender_staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_account.id", ondelete="SET NULL")
    )
    body: Mapped[bytes] = mapped_column(LargeBinary)  # Fernet token
    important: Mapped[bool] = mapped_column(Boolean, default=False)
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())  # by the other side

    thread: Mapped[Thread] = relationship(back_populates="messages")
    attachments: Mapped[list[MessageAttachment]] = relationship(
        back_populates="message", order_by="MessageAttachment.id", cascade="all, delete-orphan"
    )
    search_tokens: Mapped[list[SearchToken]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )


class MessageAttachment(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "postfach_attachment"

    id: Mapped[intpk]
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("postfach_message.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(200))
    retrieved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())  # "abgerufen am"

    message: Mapped[Message] = relationship(back_populates="attachments")


class SearchToken(db.Model):  # type: ignore[name-defined,misc]
    """A blind index of message words: a keyed hash per word, never the word itself, so a
    search needs no decryption and the database learns no text (see ``services.word_tokens``)."""

    __tablename__ = "postfach_search_token"
    __table_args__ = (Index("ix_postfach_search_token_token", "token", "message_id"),)

    id: Mapped[intpk]
    message_id: Mapped[int] = mapped_column(
        ForeignKey("postfach_message.id", ondelete="CASCADE"), index=True
    )
    token: Mapped[str] = mapped_column(String(32))
