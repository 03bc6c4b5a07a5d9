"""Outgoing e-mail behind a small interface.

With ``PORTAL_SMTP_URL`` (``smtp://user:pass@host:587`` uses STARTTLS when offered,
``smtps://…`` TLS from the start) mail goes to that server. Without it, the embedded default
writes each message as an ``.eml`` file into ``instance/mail/`` — a local mail catcher.
"""

from __future__ import annotations

import smtplib
import ssl
import uuid
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from flask import Flask, current_app

from portal.config import ConfigError, Settings

EXTENSION_KEY = "portal.mail"


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None: ...


class FolderMailer:
    """Development stand-in: keeps every message as a file instead of sending it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / f"{uuid.uuid4().hex}.eml").write_bytes(bytes(message))

    def sent(self) -> list[EmailMessage]:
        """Messages written so far, oldest first (used by tests and the demo)."""
        from email import message_from_bytes, policy  # noqa: PLC0415

        files = sorted(self.folder.glob("*.eml"), key=lambda path: path.stat().st_mtime_ns)
        messages: list[EmailMessage] = []
        for path in files:
            parsed = message_from_bytes(path.read_bytes(), policy=policy.default)
            assert isinstance(parsed, EmailMessage)  # noqa: S101 - policy.default guarantees it
            messages.append(parsed)
        return messages


class SMTPMailer:
    def __init__(self, url: str, timeout: float = 30.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
            raise ConfigError(
                "PORTAL_SMTP_URL muss die Form smtp://host:port oder smtps://… haben."
            )
        self.tls = parts.scheme == "smtps"
        self.host = parts.hostname
        self.port = parts.port or (465 if self.tls else 587)
        self.username = unquote(parts.username or "")
        self.password = unquote(parts.password or "")
        self.timeout = timeout

    def send(self, message: EmailMessage) -> None:
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if self.tls:
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with smtp:
            smtp.ehlo()
            if not self.tls and smtp.has_extn("starttls"):
                smtp.starttls(context=context)
                smtp.ehlo()
            if self.username:
                smtp.login(self.username, self.password)
            smtp.send_message(message)


def build_mailer(settings: Settings) -> Mailer:
    if settings.smtp_url:
        return SMTPMailer(settings.smtp_url)
    return FolderMailer(Path(settings.instance_path) / "mail")


def init_mail(app: Flask) -> None:
    app.extensions[EXTENSION_KEY] = build_mailer(app.config["PORTAL"])


def get_mailer() -> Mailer:
    mailer: Mailer = current_app.extensions[EXTENSION_KEY]
    return mailer


def send_mail(
    to: str, subject: str, body: str, attachments: Sequence[tuple[bytes, str, str]] = ()
) -> None:
    """Send a plain-text message from ``PORTAL_MAIL_FROM`` with ``attachments`` given as
    (content, MIME type, file name); the type may carry parameters ("text/calendar;
    method=CANCEL"). Raises on delivery failure."""
    message = EmailMessage()
    message["From"] = current_app.config["PORTAL"].mail_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate()
    sender_domain = parseaddr(message["From"])[1].rpartition("@")[2] or None
    message["Message-ID"] = make_msgid(domain=sender_domain)
    message.set_content(body)
    for content, mime_type, filename in attachments:
        kind, *parameters = (part.strip() for part in mime_type.split(";"))
        maintype, _, subtype = kind.partition("/")
        params = dict(part.partition("=")[::2] for part in parameters if "=" in part)
        message.add_attachment(
            content, maintype=maintype, subtype=subtype, filename=filename, params=params
        )
    get_mailer().send(message)
