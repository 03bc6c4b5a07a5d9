"""Security headers, cookie settings and safe redirect targets."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from flask import Flask, Response, current_app

from portal.extensions import csrf

# No inline scripts or styles anywhere: every script and stylesheet is a file served by us.
# data: images are allowed because the KERN-UX stylesheet draws its icons as SVG data URIs.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)
HSTS = "max-age=31536000; includeSubDomains"


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def content_security_policy(form_targets: list[str]) -> str:
    """The policy; ``form_targets`` are other origins a form may lead to through a redirect
    (Chromium checks ``form-action`` on every hop): an identity provider's logout, for one."""
    origins = sorted({origin for origin in map(origin_of, form_targets) if origin})
    if not origins:
        return CONTENT_SECURITY_POLICY
    return CONTENT_SECURITY_POLICY.replace(
        "form-action 'self'", " ".join(["form-action 'self'", *origins])
    )


def init_security(app: Flask) -> None:
    """CSRF protection on every form, cookie flags and security headers on every response."""
    production = app.config["PORTAL"].is_production
    csrf.init_app(app)
    app.config.update(
        SESSION_COOKIE_NAME="portal_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=production,
        PREFERRED_URL_SCHEME="https" if production else "http",
    )

    # Other domains add origins here while the app is built (see content_security_policy).
    app.config.setdefault("CSP_FORM_TARGETS", [])
    policy: list[str] = []

    @app.after_request
    def set_security_headers(response: Response) -> Response:
        if not policy:
            policy.append(content_security_policy(app.config["CSP_FORM_TARGETS"]))
        headers = response.headers
        headers.setdefault("Content-Security-Policy", policy[0])
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        headers["X-Frame-Options"] = "DENY"
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
        if production:
            headers["Strict-Transport-Security"] = HSTS
        return response


def is_safe_local_path(target: str | None) -> bool:
    """True for a path on this site (``/foo?x``), false for anything that could leave it."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(char) < 32 for char in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def setting_limit(name: str) -> Callable[[], str]:
    """A rate limit for Flask-Limiter read from the setting ``name`` when a request asks, so
    that each app (and each test's settings) uses its own."""

    def limit() -> str:
        value: str = getattr(current_app.config["PORTAL"], name)
        return value

    return limit


# Writes without a login (accessibility feedback, the place chooser), per client address.
anonymous_write_limit = setting_limit("anonymous_rate_limit")
