"""Pages that are the same for every anonymous visitor, kept per process.

Catalogue pages are read far more often than they change. A view decorated with
``@shared_page`` is rendered once per path, query string and language and then served from an
in-process LRU cache — but only to requests without a session cookie, and only if rendering did
not write to the session (a CSRF token or a login do). Each entry remembers
the content revision it was made under; writers call ``bump_revision()`` in their transaction,
and every process notices the new revision within ``REVISION_CHECK_SECONDS``. So several app
servers stay stateless: the only shared state is one row in the database.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Flask, current_app, make_response, request, session
from flask_babel import get_locale
from sqlalchemy import String, select, update
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.datastructures import Headers
from werkzeug.wrappers import Response

from portal.core.db import Base
from portal.extensions import db

REVISION_CHECK_SECONDS = 1.0
CONTENT = "content"
View = TypeVar("View", bound=Callable[..., Any])


class ContentRevision(Base):
    """A counter per kind of shared content; raising it invalidates every cached page."""

    __tablename__ = "content_revision"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(default=0)


@dataclass(frozen=True)
class CachedPage:
    revision: int
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def response(self) -> Response:
        return Response(self.body, status=self.status, headers=Headers(self.headers))


class PageCache:
    """A bounded LRU of rendered pages plus the last known content revision."""

    def __init__(self, size: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.size = size
        self._clock = clock
        self._pages: OrderedDict[tuple[str, ...], CachedPage] = OrderedDict()
        self._lock = threading.Lock()
        self._revision = 0
        self._checked_at = float("-inf")

    @property
    def enabled(self) -> bool:
        return self.size > 0

    def revision(self) -> int:
        """The content revision, read from the database at most once per check interval."""
        now = self._clock()
        if now - self._checked_at >= REVISION_CHECK_SECONDS:
            value = db.session.scalar(
                select(ContentRevision.value).where(ContentRevision.name == CONTENT)
            )
            with self._lock:
                self._revision, self._checked_at = value or 0, now
        return self._revision

    def forget_revision(self) -> None:
        """Re-read the revision on the next request (this process just changed it)."""
        self._checked_at = float("-inf")

    def get(self, key: tuple[str, ...], revision: int) -> CachedPage | None:
        with self._lock:
            page = self._pages.get(key)
            if page is None or page.revision != revision:
                return None
            self._pages.move_to_end(key)
            return page

    def put(self, key: tuple[str, ...], page: CachedPage) -> None:
        with self._lock:
            self._pages[key] = page
            self._pages.move_to_end(key)
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)

    def __len__(self) -> int:
        return len(self._pages)


def page_cache() -> PageCache:
    return cast(PageCache, current_app.extensions["page_cache"])


def bump_revision() -> None:
    """Mark shared content as changed, in the caller's transaction."""
    changed = db.session.execute(
        update(ContentRevision)
        .where(ContentRevision.name == CONTENT)
        .values(value=ContentRevision.value + 1)
    )
    if not getattr(changed, "rowcount", 0):
        db.session.add(ContentRevision(name=CONTENT, value=1))
    db.session.flush()
    if "page_cache" in current_app.extensions:
        page_cache().forget_revision()


def _anonymous_get() -> bool:
    """A GET without a session or login cookie."""
    return request.method == "GET" and _anonymous_request()


def _anonymous_request() -> bool:
    """A request without a session or login cookie (other packages add theirs to the list)."""
    names = [
        current_app.config["SESSION_COOKIE_NAME"],
        *current_app.config["PAGE_CACHE_SKIP_COOKIES"],
    ]
    return not any(name in request.cookies for name in names)


def shared_page(view: View) -> View:
    """Serve the view from the page cache to anonymous visitors (see the module docstring)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        cache = page_cache()
        if not cache.enabled or not _anonymous_get():
            return view(*args, **kwargs)
        # The host is part of the key: without PORTAL_BASE_URL, pages hold absolute URLs made
        # from it, and a request with a foreign Host must not change the page others get.
        key = (
            request.host.lower(),
            request.path,
            request.query_string.decode("latin-1"),
            str(get_locale()),
            # Preferences a page depends on (the chosen place): part of the key, one page each.
            *(request.cookies.get(name, "") for name in current_app.config["PAGE_CACHE_VARY"]),
        )
        revision = cache.revision()
        hit = cache.get(key, revision)
        if hit is not None:
            return hit.response().make_conditional(request)
        response = make_response(view(*args, **kwargs))
        # The visitor came without a session, so the page can only depend on one if rendering
        # wrote to it (a CSRF token, say) — and then the session cookie is already set here.
        # Flask adds that cookie after this wrapper, so look at the session itself.
        if (
            response.status_code == 200
            and not response.is_streamed
            and not session.modified
            and "Set-Cookie" not in response.headers
        ):
            body = response.get_data()
            response.set_etag(hashlib.blake2b(body, digest_size=12).hexdigest())
            cache.put(key, CachedPage(revision, 200, list(response.headers.items()), body))
            return response.make_conditional(request)
        return response

    return cast(View, wrapper)


def _private() -> bool:
    """The response may depend on who asks: the visitor sent a session or got one."""
    return not _anonymous_request() or session.modified


def init_page_cache(app: Flask) -> None:
    app.extensions["page_cache"] = PageCache(app.config["PORTAL"].page_cache_size)
    app.config.setdefault("PAGE_CACHE_SKIP_COOKIES", [])
    app.config.setdefault("PAGE_CACHE_VARY", [])

    @app.after_request
    def cache_policy(response: Response) -> Response:
        """Nothing of a visitor with a session is kept by any cache; the rest is revalidated."""
        if "Cache-Control" not in response.headers:
            private = _private() or "Set-Cookie" in response.headers
            response.headers["Cache-Control"] = "private, no-store" if private else "no-cache"
        return response
