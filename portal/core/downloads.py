"""A private file as a download: never cached, never sniffed, the name safely encoded."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response


def attachment(data: bytes, filename: str, mimetype: str) -> Response:
    return Response(
        data,
        mimetype=mimetype,
        headers={
            # A plain ASCII fallback, then the real name (RFC 6266 / 5987).
            "Content-Disposition": "attachment; filename=\"datei\"; filename*=UTF-8''"
            + quote(filename, safe=""),
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
