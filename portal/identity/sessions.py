"""Login sessions: server-side records behind a random token in a cookie of their own.

Citizens (and people acting for an organisation) carry ``portal_login`` (path ``/``); staff
carry ``portal_verwaltung`` (path ``/verwaltung`` only), so the two never mix: a staff login is
invisible to citizen pages and the other way round. Each login gets a new token (the old one is
ended), the database keeps only its SHA-256, and the limits follow the trust level
(REFERENCE.md): basis 12 h / 60 min idle, substanziell 2 h / 30 min, hoch 30 min / 5 min.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from flask import Flask, current_app, flash, g, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.wrappers import Response

from portal.core.db import utcnow
from portal.extensions import db
from portal.identity.models import AccountKind, LoginSession, TrustLevel

CITIZEN_COOKIE = "portal_login"
STAFF_COOKIE = "portal_verwaltung"
STAFF_PATH = "/verwaltung"
TOUCH_EVERY = dt.timedelta(seconds=30)  # write last_seen at most this often


@dataclass(frozen=True)
class Limits:
    absolute: dt.timedelta
    idle: dt.timedelta


LIMITS = {
    TrustLevel.BASISREGISTRIERUNG: Limits(dt.timedelta(hours=12), dt.timedelta(minutes=60)),
    TrustLevel.SUBSTANZIELL: Limits(dt.timedelta(hours=2), dt.timedelta(minutes=30)),
    TrustLevel.HOCH: Limits(dt.timedelta(minutes=30), dt.timedelta(minutes=5)),
}
STAFF_LIMITS = Limits(dt.timedelta(hours=10), dt.timedelta(minutes=30))
EXPIRED = _l(
    "Ihre Sitzung ist aus Sicherheitsgründen abgelaufen. Bitte melden Sie sich erneut an. "
    "Gespeicherte Entwürfe bleiben erhalten."
)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _cookie_for(kind: AccountKind) -> tuple[str, str]:
    return (STAFF_COOKIE, STAFF_PATH) if kind == AccountKind.STAFF else (CITIZEN_COOKIE, "/")


def _remember(staff: bool, login: LoginSession | None, cookie: str | None) -> None:
    """Record for the rest of the request which login is current on one side, and what the
    response must do with that side's cookie (a new token, or ``None``: delete it)."""
    g.setdefault("current_logins", {})[staff] = login
    g.setdefault("login_cookies", {})[staff] = cookie


def start(
    kind: AccountKind,
    *,
    trust_level: TrustLevel = TrustLevel.BASISREGISTRIERUNG,
    person_id: int | None = None,
    organisation_id: int | None = None,
    staff_id: int | None = None,
    issuer: str = "",
    id_token: str = "",
) -> LoginSession:
    """A new login session; ends the one the browser had for the same side."""
    end(kind)
    limits = STAFF_LIMITS if kind == AccountKind.STAFF else LIMITS[trust_level]
    token = secrets.token_urlsafe(32)
    now = utcnow()
    login = LoginSession(
        token_hash=_hash(token),
        kind=kind,
        person_id=person_id,
        organisation_id=organisation_id,
        asserted_organisation_id=organisation_id,
        staff_id=staff_id,
        trust_level=int(trust_level),
        issuer=issuer,
        id_token=id_token,
        created_at=now,
        last_seen_at=now,
        expires_at=now + limits.absolute,
        idle_seconds=int(limits.idle.total_seconds()),
    )
    db.session.add(login)
    db.session.flush()
    _remember(kind == AccountKind.STAFF, login, token)
    return login


def _load(staff: bool) -> LoginSession | None:
    name = STAFF_COOKIE if staff else CITIZEN_COOKIE
    token = request.cookies.get(name)
    if not token:
        return None
    login: LoginSession | None = db.session.scalar(
        select(LoginSession).where(LoginSession.token_hash == _hash(token))
    )
    now = utcnow()
    if login is None or login.ended_at is not None:
        _remember(staff, None, None)  # stale cookie: remove it
        return None
    idle_until = login.last_seen_at + dt.timedelta(seconds=login.idle_seconds)
    if now >= login.expires_at or now >= idle_until:
        login.ended_at = now
        _remember(staff, None, None)
        flash(str(EXPIRED), "warning")
        return None
    if now - login.last_seen_at >= TOUCH_EVERY:
        login.last_seen_at = now
    return login


def _current(staff: bool) -> LoginSession | None:
    known: dict[bool, LoginSession | None] = g.setdefault("current_logins", {})
    if staff not in known:
        known[staff] = _load(staff)
    return known[staff]


def citizen_login() -> LoginSession | None:
    """The browser's citizen (or organisation) login, if it is still valid."""
    return _current(staff=False)


def staff_login() -> LoginSession | None:
    """The browser's staff login; only ever sent with requests under ``/verwaltung``."""
    return _current(staff=True)


def end(kind: AccountKind) -> LoginSession | None:
    """End the browser's login on that side (citizen/organisation, or staff)."""
    staff = kind == AccountKind.STAFF
    login = _current(staff)
    if login is not None:
        login.ended_at = utcnow()
    _remember(staff, None, None)
    return login


def expires_in(login: LoginSession) -> int:
    """Seconds until the login ends by idleness or by its absolute limit, whichever is first."""
    now = utcnow()
    idle_until = login.last_seen_at + dt.timedelta(seconds=login.idle_seconds)
    return max(0, int((min(idle_until, login.expires_at) - now).total_seconds()))


def extend(login: LoginSession) -> None:
    """Reset the idle clock (the person said they are still there); never past the absolute
    limit, which no activity extends."""
    login.last_seen_at = utcnow()


def timer(login: LoginSession) -> dict[str, int | bool]:
    """What the page's session notice needs: seconds left, when to warn, whether extending
    helps (not when the absolute limit comes first)."""
    now = utcnow()
    idle_until = login.last_seen_at + dt.timedelta(seconds=login.idle_seconds)
    left = expires_in(login)
    return {
        "expires_in": left,
        "warn_before": min(120, login.idle_seconds // 2),
        "extendable": login.expires_at - now > dt.timedelta(seconds=login.idle_seconds)
        or login.expires_at > idle_until + dt.timedelta(seconds=60),
    }


def _set_cookies(response: Response) -> Response:
    changes: dict[bool, str | None] = g.get("login_cookies", {})
    production = current_app.config["PORTAL"].is_production
    for staff, token in changes.items():
        name, path = _cookie_for(AccountKind.STAFF if staff else AccountKind.CITIZEN)
        if token is None:
            if name in request.cookies:
                response.delete_cookie(name, path=path, httponly=True, samesite="Lax")
        else:
            response.set_cookie(
                name, token, path=path, httponly=True, samesite="Lax", secure=production
            )
    return response


def init_sessions(app: Flask) -> None:
    app.after_request(_set_cookies)
