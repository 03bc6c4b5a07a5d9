"""Checks for uploaded files: size, real type by content (magic bytes), and a virus scan.

The name and the browser's stated type count for nothing: a file is a PDF when it starts like
one. The scan talks to clamd (``PORTAL_CLAMD_ADDRESS``) with its INSTREAM command; when clamd
is configured but does not answer, the upload is refused (fail closed).
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass
from typing import IO

from flask import current_app
from flask_babel import gettext as _

SIGNATURES = (
    ("application/pdf", b"%PDF-"),
    ("image/png", b"\x89PNG\r\n\x1a\n"),
    ("image/jpeg", b"\xff\xd8\xff"),
)
TYPE_NAMES = {"application/pdf": "PDF", "image/png": "PNG", "image/jpeg": "JPEG"}
CHUNK = 64 * 1024


class UploadRefusedError(ValueError):
    """The file is not accepted; the message says why, in German, naming no internals."""


@dataclass(frozen=True)
class CheckedFile:
    data: bytes
    content_type: str


def sniff(head: bytes) -> str | None:
    """The type the content really has, among the ones we accept at all."""
    for content_type, signature in SIGNATURES:
        if head.startswith(signature):
            return content_type
    return None


def read_limited(stream: IO[bytes], limit: int) -> bytes:
    """Read at most ``limit`` bytes; one more means too large (nothing beyond is read)."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise UploadRefusedError(
            _(
                "Die Datei ist zu groß. Erlaubt sind höchstens %(mb)s MB.",
                mb=f"{limit / 1024 / 1024:.0f}",
            )
        )
    return data


def scan(data: bytes, address: str, timeout: float = 30.0) -> None:
    """Ask clamd about ``data``; raises UploadRefused if it finds something or cannot answer."""
    host, _sep, port = address.rpartition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout) as conn:
            conn.sendall(b"zINSTREAM\0")
            for start in range(0, len(data), CHUNK):
                chunk = data[start : start + CHUNK]
                conn.sendall(struct.pack("!I", len(chunk)) + chunk)
            conn.sendall(struct.pack("!I", 0))
            reply = b""
            while not reply.endswith(b"\0"):
                part = conn.recv(4096)
                if not part:
                    break
                reply += part
    except (OSError, ValueError):
        raise UploadRefusedError(
            _(
                "Die Datei konnte gerade nicht auf Schadsoftware geprüft werden. "
                "Bitte versuchen Sie es später erneut."
            )
        ) from None
    answer = reply.rstrip(b"\0").decode("utf-8", "replace")
    if answer.endswith("FOUND"):
        raise UploadRefusedError(_("Die Datei enthält Schadsoftware und wurde nicht angenommen."))
    if not answer.endswith("OK"):
        raise UploadRefusedError(
            _(
                "Die Datei konnte gerade nicht auf Schadsoftware geprüft werden. "
                "Bitte versuchen Sie es später erneut."
            )
        )


def check(stream: IO[bytes], *, accept: tuple[str, ...], limit: int, clamd: str) -> CheckedFile:
    data = read_limited(stream, limit)
    if not data:
        raise UploadRefusedError(_("Die Datei ist leer."))
    content_type = sniff(data[:16])
    if content_type is None or content_type not in accept:
        allowed = ", ".join(TYPE_NAMES.get(item, item) for item in accept)
        raise UploadRefusedError(
            _(
                "Die Datei ist kein erlaubtes Format. Erlaubt sind: %(allowed)s. Der Dateiname "
                "allein genügt nicht; es zählt der Inhalt.",
                allowed=allowed,
            )
        )
    if clamd:
        scan(data, clamd)
    return CheckedFile(data, content_type)


def check_upload(
    stream: IO[bytes], accept: tuple[str, ...], limit: int | None = None
) -> CheckedFile:
    """``check`` with the portal's settings: at most ``PORTAL_UPLOAD_MAX_BYTES`` (or ``limit``
    when smaller) and the clamd of ``PORTAL_CLAMD_ADDRESS``."""
    settings = current_app.config["PORTAL"]
    largest = min(limit, settings.upload_max_bytes) if limit else settings.upload_max_bytes
    return check(stream, accept=accept, limit=largest, clamd=settings.clamd_address)
