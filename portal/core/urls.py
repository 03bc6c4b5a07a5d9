"""Absolute URLs from the configured base URL, never from the request's Host header.

A request may carry any ``Host``; a page cached for everyone, a sitemap, JSON-LD, an API link
or a payment return address must not echo it. With ``PORTAL_BASE_URL`` set (required in
production) absolute URLs start with it, and in production requests for other hosts are
refused with a 400 before any view runs. Without it (development, tests) the request's host is
used, and the page cache keys its pages by host, so one request cannot change another's page.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, request, url_for
from werkzeug.routing import (
    BaseConverter,
    IntegerConverter,
    Map,
    PathConverter,
    UnicodeConverter,
    ValidationError,
)

from portal.core.textrules import clean_line

# Every id is an SQL INTEGER: a larger number names nothing, and would overflow SQLite's
# driver (a 500) if it reached a query.
MAX_ID = 2**31 - 1
FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2099, 12, 31)


class BoundedIntegerConverter(IntegerConverter):
    """``<int:…>`` for every route: numbers above ``MAX_ID`` do not match (404)."""

    def __init__(
        self,
        url_map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = None,
        signed: bool = False,
    ) -> None:
        bounded = MAX_ID if max is None or max > MAX_ID else max
        super().__init__(url_map, fixed_digits, min, bounded, signed)

    def to_python(self, value: str) -> Any:
        if len(value) > len(str(MAX_ID)):  # before int(): a 10,000-digit number is slow
            raise ValidationError
        return super().to_python(value)


class _Clean(BaseConverter):
    """A segment with a control character names nothing (404): PostgreSQL would refuse a NUL
    in a query with an error."""

    def to_python(self, value: str) -> Any:
        if not clean_line(value):
            raise ValidationError
        return super().to_python(value)


class CleanStringConverter(_Clean, UnicodeConverter):
    """``<name>`` and ``<string:name>``."""


class CleanPathConverter(_Clean, PathConverter):
    """``<path:name>``."""


class DayConverter(BaseConverter):
    """``<day:…>``: an ISO date between 2000 and 2099, else no match (404)."""

    regex = r"\d{4}-\d{2}-\d{2}"

    def to_python(self, value: str) -> dt.date:
        found = day_in_range(value)
        if found is None:
            raise ValidationError
        return found

    def to_url(self, value: Any) -> str:
        return value.isoformat() if isinstance(value, dt.date) else str(value)


def day_in_range(text: str) -> dt.date | None:
    """An ISO date from a query string within the supported range; ``None`` otherwise."""
    try:
        found = dt.date.fromisoformat(text)
    except ValueError:
        return None
    return found if FIRST_DAY <= found <= LAST_DAY else None


def base_url() -> str:
    configured: str = current_app.config["PORTAL"].base_url
    return configured


def absolute_url(endpoint: str, **values: Any) -> str:
    """``url_for`` as an absolute URL under the canonical base (see the module docstring)."""
    base = base_url()
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


DEFAULT_PORTS = {"http": ":80", "https": ":443"}


def _host_of(host: str, scheme: str) -> str:
    """The host as compared: lower case, the scheme's default port spelled out or not."""
    host = host.lower()
    default = DEFAULT_PORTS.get(scheme, "")
    return host[: -len(default)] if default and host.endswith(default) else host


def init_urls(app: Flask) -> None:
    app.url_map.converters["int"] = BoundedIntegerConverter
    app.url_map.converters["default"] = CleanStringConverter
    app.url_map.converters["string"] = CleanStringConverter
    app.url_map.converters["path"] = CleanPathConverter
    app.url_map.converters["day"] = DayConverter
    settings = app.config["PORTAL"]
    if not (settings.is_production and settings.base_url):
        return
    parts = urlsplit(settings.base_url)
    hosts = {_host_of(parts.netloc, parts.scheme)}
    hosts |= {h.strip().lower() for h in settings.allowed_hosts.split(",") if h.strip()}

    @app.before_request
    def known_host_only() -> None:
        if _host_of(request.host, request.scheme) not in hosts:
            abort(400)
