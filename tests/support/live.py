"""A portal served over HTTP on a loopback port, for tests that act like a browser."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask
from werkzeug.serving import BaseWSGIServer


@dataclass
class Portal:
    app: Flask
    server: BaseWSGIServer

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"
