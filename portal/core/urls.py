"""Absolute URLs from the configured base URL, never from the request's Host header.

A request may carry any ``Host``; a page cached for everyone, a sitemap, JSON-LD, an API link
or a payment return address must not echo it. With ``PORTAL_BASE_URL`` set (required in
production) absolute URLs start with it, and in production requests for other hosts are
refused with a 400 before any view runs. Without it (development, tests) the request's host is
used, and the page cache keys its pages by host, so one request cannot change another's page.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, request, url_for


def base_url() -> str:
    configured: str = current_app.config["PORTAL"].base_url
    return configured


def absolute_url(endpoint: str, **values: Any) -> str:
    """``url_for`` as an absolute URL under the canonical base (see the module docstring)."""
    base = base_url()
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def init_urls(app: Flask) -> None:
    settings = app.config["PORTAL"]
    if not (settings.is_production and settings.base_url):
        return
    hosts = {urlsplit(settings.base_url).netloc.lower()}
    hosts |= {h.strip().lower() for h in settings.allowed_hosts.split(",") if h.strip()}

    @app.before_request
    def known_host_only() -> None:
        if request.host.lower() not in hosts:
            abort(400)
