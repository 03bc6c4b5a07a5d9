"""Where a citizen lives, and which office is responsible there.

A place is an authority people live in (Gemeinde or kreisfreie Stadt) with its postal codes.
Responsibility follows the ARS: a Zuständigkeit covers its area (an ARS or a prefix of one, a
Kreis's five digits covering its Gemeinden) or, without one, the area of the office's own
authority. For a place, the most specific covering wins: the Gemeinde's own Bürgerbüro before
an office of the Kreis, the Kreis before the Land.

The chosen place lives in a cookie (``ort``: the place's URL name, a preference and nothing
secret); without it, a logged-in citizen's address decides (``place_from_account``, registered
by the identity package).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from flask import current_app, request
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from portal.catalog.models import Authority, AuthorityKind, Leistung, Office, Zustaendigkeit
from portal.catalog.text import ascii_text
from portal.extensions import db

PLACE_COOKIE = "ort"
PLACE_COOKIE_SECONDS = 365 * 24 * 3600
NATIONAL_FINDER = "https://verwaltung.bund.de/"
POSTAL_CODE = re.compile(r"\d{5}")
PLACE_KINDS = (AuthorityKind.GEMEINDE, AuthorityKind.KREISFREIE_STADT)


def normalize(text: str) -> str:
    """ "Neudorf a. d. Bach", "neudorf a d bach" and "Neudorf-a.d.Bach" read alike; umlauts
    may be written out (ü = ue)."""
    return " ".join(re.sub(r"[^a-z0-9]+", " ", ascii_text(text.casefold())).split())


def places() -> list[Authority]:
    """The region's places (Gemeinden and kreisfreie Städte), by name."""
    return list(
        db.session.scalars(
            select(Authority).where(Authority.kind.in_(PLACE_KINDS)).order_by(Authority.name)
        )
    )


def is_region() -> bool:
    """More than one place: only then does a citizen have to say where they live."""
    count = db.session.scalar(
        select(func.count()).select_from(Authority).where(Authority.kind.in_(PLACE_KINDS))
    )
    return (count or 0) > 1


def find(text: str) -> list[Authority]:
    """The places a postal code or a (start of a) place name names; empty: not in the region."""
    wanted = text.strip()
    every = places()
    if POSTAL_CODE.fullmatch(wanted):
        return [place for place in every if wanted in (place.postal_codes or [])]
    key = normalize(wanted)
    if not key:
        return []
    exact = [place for place in every if normalize(place.name) == key]
    if exact:
        return exact
    return [place for place in every if normalize(place.name).startswith(key)]


def by_slug(slug: str) -> Authority | None:
    if not slug or len(slug) > 100:
        return None
    found = db.session.scalar(select(Authority).where(Authority.slug == slug))
    return found if found is not None and found.is_place else None


def by_ars(ars: str) -> Authority | None:
    if not ars.isdigit() or len(ars) != 12:
        return None
    found = db.session.scalar(select(Authority).where(Authority.ars == ars))
    return found if found is not None and found.is_place else None


def current_place() -> Authority | None:
    """The place chosen in this browser, else the logged-in citizen's, else the one this
    process serves (``PORTAL_HOME_AUTHORITY``, a Gemeinde's own host), else none."""
    chosen = by_slug(request.cookies.get(PLACE_COOKIE, ""))
    if chosen is not None:
        return chosen
    from_account = current_app.extensions.get("place_from_account")
    postal_code, locality = (from_account() if from_account else None) or ("", "")
    for text in (postal_code, locality):
        found = find(text) if text else []
        if len(found) == 1:
            return found[0]
    return by_slug(current_app.config["PORTAL"].home_authority)


def remember(response: Response, place: Authority) -> None:
    """Keep ``place`` as this browser's place (a preference: a year, not readable by scripts)."""
    response.set_cookie(
        PLACE_COOKIE, place.slug, max_age=PLACE_COOKIE_SECONDS, httponly=True, samesite="Lax",
        secure=current_app.config["PORTAL"].is_production,
    )  # fmt: skip


def area_of(row: Zustaendigkeit) -> str:
    """The ARS (prefix) a responsibility covers; "" covers every place."""
    return row.area or (row.office.authority.ars or "")


def responsible_here(leistung: Leistung, place: Authority) -> list[Office]:
    """The offices responsible for ``leistung`` in ``place``: the most specific covering."""
    ars = place.ars or ""
    covering = [
        (len(area_of(row)), row.office)
        for row in leistung.zustaendigkeiten
        if row.office.published and ars.startswith(area_of(row))
    ]
    if not covering:
        return []
    best = max(length for length, _office in covering)
    found = {office.id: office for length, office in covering if length == best}
    return sorted(found.values(), key=lambda office: office.name)


def area_names(areas: Iterable[str]) -> tuple[str, ...]:
    """Names for ARS areas ("091620000000" → "München"); codes naming no authority are left
    out rather than shown as numbers."""
    codes = sorted(set(areas))
    if not codes:
        return ()
    known = dict(
        db.session.execute(
            select(Authority.ars, Authority.name).where(Authority.ars.in_(codes))
        ).all()
    )
    return tuple(known[code] for code in codes if code in known)
