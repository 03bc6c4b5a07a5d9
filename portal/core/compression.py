"""Pages compressed for clients that ask: Brotli or gzip, whichever the client prefers.

Flask-Compress does it for the embedded default (``PORTAL_COMPRESS=1``) and adds
``Vary: Accept-Encoding``; behind a reverse proxy that compresses, set ``PORTAL_COMPRESS=0``
(README, "Production"). Streamed downloads stay as they are. Static files come compressed from
``core.assets``, which compresses each file once.
"""

from __future__ import annotations

from flask import Flask
from flask_compress import Compress

compress = Compress()


def init_compression(app: Flask) -> None:
    if not app.config["PORTAL"].compress:
        return
    app.config.update(
        COMPRESS_ALGORITHM=["br", "gzip"],
        COMPRESS_BR_LEVEL=4,
        COMPRESS_LEVEL=6,
        COMPRESS_MIN_SIZE=500,
        COMPRESS_STREAMS=False,
    )
    compress.init_app(app)
