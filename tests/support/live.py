"""A portal served over HTTP on a loopback port, for tests that act like a browser."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server


@dataclass
class Portal:
    app: Flask
    server: BaseWSGIServer

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"


@contextmanager
def serve(app: Flask) -> Iterator[Portal]:
    """``app`` served on a free loopback port in a thread, stopped afterwards."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Portal(app, server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
