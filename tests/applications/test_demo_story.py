"""The demo tells a whole story: every demo form's cases reach the demo clerk."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session, scoped_session

from portal.applications.cases import QueueFilter, queue
from portal.applications.models import FormVersion
from portal.catalog.demo import DEMO_SOURCE
from portal.catalog.models import Office
from portal.identity.demo import DEMO_CLERK
from portal.identity.models import StaffAccount
from tests.catalog.test_demo import load_demo
from tests.factories import make_application, make_person


def test_every_demo_form_reaches_the_demo_clerk(
    app: Flask, db_session: scoped_session[Session]
) -> None:
    """Defect: the Bewohnerparkausweis named its office "kfz", the office's URL name was
    "kfz-zulassungsstelle"; its cases reached no clerk ("0 Vorgänge")."""
    load_demo(app)
    with app.test_request_context():
        forms = list(db_session.scalars(select(FormVersion).filter_by(active=True)))
        demo = [f for f in forms if f.key in {"hund-anmelden", "bewohnerparkausweis",
                                             "fuehrungszeugnis", "gewerbe-anmelden"}]  # fmt: skip
        assert len(demo) == 4
        anna = make_person()
        cases = {form.key: make_application(form, anna).public_id for form in demo}
        clerk = db_session.scalars(select(StaffAccount).filter_by(email=DEMO_CLERK)).one()
        seen = {item.public_id for item in queue(clerk, QueueFilter())}
        assert set(cases.values()) <= seen, {k: v in seen for k, v in cases.items()}
        parking = next(f for f in demo if f.key == "bewohnerparkausweis")
        office = db_session.get(Office, parking.office_id)
        assert office is not None
        assert (office.source, office.name) == (DEMO_SOURCE, "Kfz-Zulassungsstelle")
