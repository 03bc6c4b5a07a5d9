"""The Redaktion keeps the Lebenslagen that guide: name, introduction and ordered steps.
Every change renews cached pages at once (the start page, the journey, suggestions)."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.catalog.models import Journey, JourneyStep
from portal.catalog.text import ascii_text, slugify
from portal.core.pagecache import bump_revision
from portal.extensions import db


def _slug(name: str) -> str:
    base = slugify(name) if any(c.isalnum() for c in ascii_text(name)) else "lebenslage"
    slug, number = base, 1
    while db.session.scalar(select(Journey.id).where(Journey.slug == slug)) is not None:
        number += 1
        slug = f"{base}-{number}"
    return slug


def create(name: str, intro: str) -> Journey:
    last = db.session.scalar(select(func.max(Journey.position))) or 0
    journey = Journey(slug=_slug(name), name=name, intro=intro, position=last + 1)
    db.session.add(journey)
    db.session.flush()
    bump_revision()
    return journey


def update(journey: Journey, name: str, intro: str) -> None:
    journey.name, journey.intro = name, intro
    bump_revision()


def add_step(journey: Journey, leistung_id: int, note: str) -> bool:
    """Append the service; ``False`` if it is already a step of this journey."""
    if any(step.leistung_id == leistung_id for step in journey.steps):
        return False
    last = max((step.position for step in journey.steps), default=-1)
    journey.steps.append(JourneyStep(leistung_id=leistung_id, position=last + 1, note=note))
    db.session.flush()
    bump_revision()
    return True


def move_step(journey: Journey, step: JourneyStep, direction: str) -> None:
    """``hoch``/``runter`` swap with the neighbour; ``entfernen`` removes the step."""
    ordered = sorted(journey.steps, key=lambda item: item.position)
    index = ordered.index(step)
    if direction == "entfernen":
        journey.steps.remove(step)
    else:
        other = index - 1 if direction == "hoch" else index + 1
        if 0 <= other < len(ordered):
            ordered[index], ordered[other] = ordered[other], ordered[index]
        for position, item in enumerate(ordered):
            item.position = position
    db.session.flush()
    bump_revision()
