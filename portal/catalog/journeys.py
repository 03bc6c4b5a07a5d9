"""Lebenslagen that guide: a journey is the services a person in one situation needs, in
order, across authorities ("Umzug": Wohnsitz anmelden, Hund ummelden, Parkausweis …).

The relations between services are these journeys: after a submission, the steps that follow
the submitted service in any journey are the suggestions (``following``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from portal.catalog import places, services
from portal.catalog.models import Authority, Journey, JourneyStep, Leistung, LeistungKey, Office
from portal.extensions import db


@dataclass(frozen=True)
class StepView:
    number: int
    step: JourneyStep
    leistung: Leistung
    online_url: str | None
    here: list[Office]  # the offices responsible in the chosen place (empty without one)


def journeys() -> list[Journey]:
    return list(db.session.scalars(select(Journey).order_by(Journey.position, Journey.name)))


def by_slug(slug: str) -> Journey | None:
    found: Journey | None = db.session.scalar(select(Journey).where(Journey.slug == slug))
    return found


def steps(journey: Journey, place: Authority | None) -> list[StepView]:
    """The published steps, numbered, each with its online link and the office for ``place``."""
    shown = [step for step in journey.steps if step.leistung.published]
    return [
        StepView(
            number,
            step,
            step.leistung,
            services.online_url(step.leistung, place),
            places.responsible_here(step.leistung, place) if place is not None else [],
        )
        for number, step in enumerate(shown, start=1)
    ]


def following(leistung_ids: Iterable[int]) -> list[tuple[Journey, list[JourneyStep]]]:
    """For the services done, each journey they are part of with the published steps after
    the last of them (nothing after the journey's final step)."""
    done = set(leistung_ids)
    if not done:
        return []
    found = []
    rows = db.session.scalars(
        select(Journey)
        .join(JourneyStep, JourneyStep.journey_id == Journey.id)
        .where(JourneyStep.leistung_id.in_(done))
        .distinct()
        .order_by(Journey.position, Journey.name)
    )
    for journey in rows:
        last = max(s.position for s in journey.steps if s.leistung_id in done)
        later = [
            s
            for s in journey.steps
            if s.position > last and s.leistung.published and s.leistung_id not in done
        ]
        if later:
            found.append((journey, later))
    return found


def services_with_keys(keys: Iterable[str]) -> set[int]:
    """The published services carrying any of the Leistungsschlüssel ``keys``."""
    wanted = [key for key in keys if key]
    if not wanted:
        return set()
    return set(
        db.session.scalars(
            select(Leistung.id)
            .join(LeistungKey, LeistungKey.leistung_id == Leistung.id)
            .where(LeistungKey.key.in_(wanted), Leistung.published)
        )
    )
