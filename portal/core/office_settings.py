"""Settings that name a kind of integration per office: ``office=kind:where`` pairs separated by
``;`` (hand-off targets, appointment systems). Parsed without the database; the offices are
resolved later (``catalog.offices``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from portal.config import ConfigError


@dataclass(frozen=True)
class OfficePair:
    office: str  # the reference as written (id, key or URL name; "*" for every other office)
    kind: str
    where: str


def office_pairs(spec: str, setting: str, kinds: Iterable[str]) -> list[OfficePair]:
    """The pairs of ``spec``; a malformed part, an unknown kind or an office named twice stops
    the start with a message naming ``setting``."""
    known = list(kinds)
    pairs: list[OfficePair] = []
    for part in (p.strip() for p in spec.split(";")):
        if not part:
            continue
        office, _, rest = part.partition("=")
        kind, _, where = rest.partition(":")
        office, kind, where = office.strip(), kind.strip(), where.strip()
        if not office or not where:
            raise ConfigError(f"{setting}: „{part}“ hat nicht die Form amt=art:ziel.")
        if kind not in known:
            raise ConfigError(f"{setting}: unbekannte Art „{kind}“ ({', '.join(known)}).")
        if any(pair.office == office for pair in pairs):
            raise ConfigError(f"{setting}: das Amt „{office}“ steht zweimal darin.")
        pairs.append(OfficePair(office, kind, where))
    return pairs
