"""Identity: citizen, Organisationskonto and staff logins over OpenID Connect."""

from __future__ import annotations

import time

from flask import Flask
from werkzeug.wrappers import Response

from portal.extensions import limiter


def init_identity(app: Flask) -> None:
    from portal.identity.access import init_access  # noqa: PLC0415
    from portal.identity.oidc import init_oidc  # noqa: PLC0415
    from portal.identity.routes import bp  # noqa: PLC0415
    from portal.identity.sessions import CITIZEN_COOKIE, STAFF_COOKIE, init_sessions  # noqa: PLC0415
    from portal.identity.testidp import init_testidp  # noqa: PLC0415

    settings = app.config["PORTAL"]
    app.config.setdefault("RATELIMIT_STORAGE_URI", settings.redis_url or "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", False)
    # Redis down must not take feedback, bookings or logins down with it: count in the process
    # until it is back.
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    limiter.init_app(app)
    app.after_request(_retry_after)
    init_oidc(app)
    init_sessions(app)
    init_access(app)
    init_testidp(app)
    app.register_blueprint(bp)
    # Logout posts a form that the portal redirects to the provider's end_session_endpoint.
    app.config["CSP_FORM_TARGETS"].extend(
        issuer
        for issuer in (settings.oidc_issuer, settings.org_oidc_issuer, settings.staff_oidc_issuer)
        if issuer
    )
    # A logged-in page is never shared from the page cache.
    app.config.setdefault("PAGE_CACHE_SKIP_COOKIES", []).extend([CITIZEN_COOKIE, STAFF_COOKIE])
    # Where a logged-in citizen lives, for the pages that name the office responsible there.
    app.extensions["place_from_account"] = _address


def _address() -> tuple[str, str] | None:
    from flask_login import current_user  # noqa: PLC0415

    if not current_user.is_authenticated:
        return None
    person = current_user.person
    return person.postal_code or "", person.locality or ""


def _retry_after(response: Response) -> Response:
    """Every 429 says when to try again (RFC 9110 Retry-After, in seconds)."""
    if response.status_code == 429 and "Retry-After" not in response.headers:
        breached = limiter.current_limit
        wait = int(breached.reset_at - time.time()) if breached is not None else 60
        response.headers["Retry-After"] = str(max(wait, 1))
    return response
