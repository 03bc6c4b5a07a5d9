"""Catalogue figures for the public dashboard: per Themenfeld, how many services, how many of
them can be applied for online, and their OZG Reifegrad as the catalogue states it.

The Reifegrad is data (the Landesredaktion's level, 0–4 in model 1.1, 0–7 in model 2.0): the
levels shown are those found, services without one count as "not stated".
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from sqlalchemy import case, false, func, or_

from portal.catalog.models import Lebenslage, Leistung, LeistungKey, OzgLeistung
from portal.catalog.services import placed
from portal.extensions import db


@dataclass
class ThemeFigures:
    services: int = 0
    online: int = 0
    reifegrad: dict[int | None, int] = field(default_factory=dict)  # None: not stated


def themenfeld_figures(online_keys: Collection[str]) -> dict[int, ThemeFigures]:
    """Per Themenfeld id. A service counts as online when the catalogue names an online
    service for it or when one of its Leistungsschlüssel is in ``online_keys`` (the portal's
    own forms). Two grouped queries; reads only."""
    online = or_(
        Leistung.online_url.is_not(None),
        LeistungKey.key.in_(sorted(online_keys)) if online_keys else false(),
    )
    figures: dict[int, ThemeFigures] = {}
    for themenfeld_id, services, online_services in db.session.execute(
        placed(
            Lebenslage.themenfeld_id,
            func.count(func.distinct(Leistung.id)),
            func.count(func.distinct(case((online, Leistung.id)))),
        )
        .join(Lebenslage, Lebenslage.id == OzgLeistung.lebenslage_id)
        .group_by(Lebenslage.themenfeld_id)
    ):
        figures[themenfeld_id] = ThemeFigures(int(services), int(online_services))
    for themenfeld_id, level, count in db.session.execute(
        placed(Lebenslage.themenfeld_id, Leistung.reifegrad, func.count(func.distinct(Leistung.id)))
        .join(Lebenslage, Lebenslage.id == OzgLeistung.lebenslage_id)
        .group_by(Lebenslage.themenfeld_id, Leistung.reifegrad)
    ):
        figures.setdefault(themenfeld_id, ThemeFigures()).reifegrad[level] = int(count)
    return figures
