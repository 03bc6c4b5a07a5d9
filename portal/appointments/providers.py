"""Where a citizen books an appointment with an office: the portal's own calendars (the
embedded default) or the office's own system.

``PORTAL_APPOINTMENT_PROVIDERS`` names an office's system in the style of the hand-off targets:
``buergerbuero=link:https://tevis.example.de/buergerbuero``. A kind is a factory registered in
``PROVIDER_KINDS``; the setting is checked when the app starts, so a typo stops the start.
"link" sends citizens to the office's booking site (TEVIS, Qmatic and the like all have one);
a kind that books through such a system's interface plugs in here the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from flask import current_app

from portal.catalog.offices import by_office_id
from portal.config import ConfigError
from portal.core.office_settings import office_pairs

SETTING = "PORTAL_APPOINTMENT_PROVIDERS"


class AppointmentSystem(Protocol):
    @property
    def name(self) -> str: ...

    def booking_url(self, leistung_id: int) -> str | None:
        """Where to book an appointment for the service (``None``: it cannot be booked)."""


@dataclass(frozen=True)
class LinkSystem:
    """The office's own booking site. ``{leistung}`` in the address becomes the service's id."""

    name: str
    url: str

    def booking_url(self, leistung_id: int) -> str | None:
        return self.url.replace("{leistung}", str(leistung_id))


SystemFactory = Callable[[str, str], AppointmentSystem]  # name, where
PROVIDER_KINDS: dict[str, SystemFactory] = {}


def provider_kind(kind: str) -> Callable[[SystemFactory], SystemFactory]:
    def decorator(factory: SystemFactory) -> SystemFactory:
        PROVIDER_KINDS[kind] = factory
        return factory

    return decorator


@provider_kind("link")
def _link(name: str, where: str) -> AppointmentSystem:
    if not where.startswith("https://"):
        raise ConfigError(f"{SETTING}: „{where}“ ist keine https-Adresse.")
    return LinkSystem(name, where)


def systems_from(spec: str) -> dict[str, AppointmentSystem]:
    """``office=kind:where`` pairs separated by ``;``, keyed by the office reference as written;
    checked without the database (see ``office_systems`` for the offices)."""
    systems: dict[str, AppointmentSystem] = {}
    for pair in office_pairs(spec, SETTING, PROVIDER_KINDS):
        systems[pair.office] = PROVIDER_KINDS[pair.kind](f"{pair.office}:{pair.kind}", pair.where)
    return systems


def office_systems() -> dict[int, AppointmentSystem]:
    """The configured systems by office id; offices not named use the portal's calendars.
    A reference that names no office raises ``ConfigError``; a success is kept per process."""
    cached: dict[int, AppointmentSystem] | None = current_app.extensions.get(
        "appointment_office_systems"
    )
    if cached is None:
        cached = by_office_id(current_app.extensions["appointment_systems"], SETTING)
        current_app.extensions["appointment_office_systems"] = cached
    return cached
