"""The weight budget: what a phone on a slow network downloads for a page (issue 12).

Counted from the files actually served, compressed as for a browser (tests/support/weight.py):
a first visit with an empty cache under 100 KB, a repeat visit under 15 KB, two font files.
A later change that adds a font weight or a large stylesheet fails here.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from portal.appointments import services
from portal.appointments.slots import BERLIN
from portal.core.db import utcnow
from portal.extensions import db
from tests.factories import (
    make_application,
    make_calendar,
    make_form,
    make_office,
    make_person,
    make_service,
)
from tests.support.auth import login_as
from tests.support.weight import measure

FIRST_VISIT = 100 * 1024
REPEAT_VISIT = 15 * 1024


@pytest.mark.parametrize("theme", ["default", "example-stadt"])
@pytest.mark.usefixtures("app_context")
def test_start_service_form_step_and_booking_stay_within_the_budget(
    make_app: Callable[..., Flask], theme: str
) -> None:
    app = make_app(theme=theme, page_cache_size=100)
    office = make_office()
    service = make_service(office)
    form = make_form(office)
    person = make_person()
    draft = make_application(form, person, case_status=None)
    offer = make_calendar(office, service).offers[0]
    day = services.days_with_slots(offer, utcnow().astimezone(BERLIN).date(), 1)[0][0]
    booking_paths = (f"/termine/{offer.id}", f"/termine/{offer.id}/{day.isoformat()}")
    citizen = app.test_client()
    login_as(citizen, person)
    db.session.commit()
    pages = (
        "/",
        f"/leistungen/{service.id}/{service.slug}",
        "/leichte-sprache",
        "/gebaerdensprache",
    )
    step_path = f"/antraege/{draft.public_id}/angaben"

    anonymous = [measure(app.test_client(), path) for path in pages]
    step = measure(citizen, step_path)
    booking = [measure(app.test_client(), path) for path in booking_paths]

    for weight in [*anonymous, step, *booking]:
        assert weight.first_visit <= FIRST_VISIT, (weight.path, weight.first_visit, weight.files)
        assert weight.repeat <= REPEAT_VISIT, (weight.path, weight.repeat)
        fonts = [url for url in weight.files if url.endswith(".woff2")]
        assert len(fonts) == 2, fonts
        assert set(weight.files) == weight.immutable  # nothing fetched again on a repeat visit
    # A shared page comes back as 304 Not Modified on a repeat visit.
    assert all(weight.repeat == 0 for weight in anonymous)
