"""Log a test client in without going through a provider: a real login session row and cookie.

HTTP and browser tests log in through the built-in test provider; this is for the many tests
that only need "someone logged in at level X" with Flask's test client.
"""

from __future__ import annotations

import hashlib
import secrets

from flask.testing import FlaskClient

from portal.core.db import utcnow
from portal.extensions import db
from portal.identity.models import (
    AccountKind,
    LoginSession,
    Organisation,
    Person,
    StaffAccount,
    TrustLevel,
)
from portal.identity.sessions import CITIZEN_COOKIE, LIMITS, STAFF_COOKIE, STAFF_LIMITS, STAFF_PATH


def login_as(
    client: FlaskClient,
    person: Person,
    *,
    trust_level: TrustLevel = TrustLevel.SUBSTANZIELL,
    organisation: Organisation | None = None,
) -> LoginSession:
    token = secrets.token_urlsafe(32)
    now = utcnow()
    limits = LIMITS[trust_level]
    login = LoginSession(
        token_hash=hashlib.sha256(token.encode()).hexdigest(),
        kind=AccountKind.ORGANISATION if organisation else AccountKind.CITIZEN,
        person_id=person.id,
        organisation_id=organisation.id if organisation else None,
        asserted_organisation_id=organisation.id if organisation else None,
        trust_level=int(trust_level),
        issuer=person.issuer,
        created_at=now,
        last_seen_at=now,
        expires_at=now + limits.absolute,
        idle_seconds=int(limits.idle.total_seconds()),
    )
    db.session.add(login)
    db.session.flush()
    client.set_cookie(CITIZEN_COOKIE, token)
    return login


def staff_login_as(client: FlaskClient, staff: StaffAccount) -> LoginSession:
    """A staff login session for ``staff`` with its cookie on ``client`` (path /verwaltung)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    login = LoginSession(
        token_hash=hashlib.sha256(token.encode()).hexdigest(),
        kind=AccountKind.STAFF,
        staff_id=staff.id,
        trust_level=int(TrustLevel.SUBSTANZIELL),
        issuer=staff.issuer or "",
        created_at=now,
        last_seen_at=now,
        expires_at=now + STAFF_LIMITS.absolute,
        idle_seconds=int(STAFF_LIMITS.idle.total_seconds()),
    )
    db.session.add(login)
    db.session.flush()
    client.set_cookie(STAFF_COOKIE, token, path=STAFF_PATH)
    return login
