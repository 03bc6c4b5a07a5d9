"""What to do next: after a submission, the services that follow it in a Lebenslage ("Sie sind
umgezogen: Hund ummelden, Parkausweis …"). The citizen ticks them off or dismisses them in the
account; both are remembered per person and service."""

from __future__ import annotations

from sqlalchemy import select

from portal.applications.models import (
    Application,
    ApplicationStatus,
    FormVersion,
    SuggestionChoice,
    SuggestionState,
)
from portal.catalog import journeys
from portal.catalog.models import Journey, JourneyStep
from portal.extensions import db

Suggestions = list[tuple[Journey, list[JourneyStep]]]


def _service_ids(form_keys: set[tuple[str, int]]) -> set[int]:
    if not form_keys:
        return set()
    rows = db.session.scalars(
        select(FormVersion).where(FormVersion.key.in_({key for key, _version in form_keys}))
    )
    keys = {row.service_key for row in rows if (row.key, row.version) in form_keys}
    return journeys.services_with_keys(keys)


def _chosen(person_id: int) -> set[int]:
    return set(
        db.session.scalars(
            select(SuggestionChoice.leistung_id).where(SuggestionChoice.person_id == person_id)
        )
    )


def _without(found: Suggestions, chosen: set[int]) -> Suggestions:
    kept = []
    for journey, steps in found:
        left = [step for step in steps if step.leistung_id not in chosen]
        if left:
            kept.append((journey, left))
    return kept


def after(application: Application) -> Suggestions:
    """The next services after this application (for its confirmation page)."""
    done = _service_ids({(application.form_key, application.form_version)})
    found = journeys.following(done)
    return _without(found, _chosen(application.person_id)) if application.person_id else found


def open_for(person_id: int) -> Suggestions:
    """The next services after everything the person submitted for themselves, less those
    they ticked off or dismissed."""
    submitted = {
        (row.form_key, row.form_version)
        for row in db.session.scalars(
            select(Application).where(
                Application.person_id == person_id,
                Application.organisation_id.is_(None),
                Application.status != ApplicationStatus.DRAFT,
            )
        )
    }
    return _without(journeys.following(_service_ids(submitted)), _chosen(person_id))


def choose(person_id: int, leistung_id: int, state: SuggestionState) -> None:
    row = db.session.scalar(
        select(SuggestionChoice).where(
            SuggestionChoice.person_id == person_id, SuggestionChoice.leistung_id == leistung_id
        )
    )
    if row is None:
        db.session.add(SuggestionChoice(person_id=person_id, leistung_id=leistung_id, state=state))
    else:
        row.state = state
    db.session.flush()
