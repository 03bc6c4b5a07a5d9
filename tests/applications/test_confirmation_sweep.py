"""A crash right after the submit commit does not lose the confirmation e-mail: the sweep that
runs with the hand-off sends it, once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from flask import Flask

from portal.applications.models import Application
from portal.applications.notices import send_confirmation, send_missing_confirmations
from portal.core.db import utcnow
from portal.core.mail import FolderMailer
from portal.extensions import db
from tests.factories import make_application, make_form, make_office, make_person

pytestmark = pytest.mark.usefixtures("app_context")


def _sent_to(folder: Path, address: str) -> int:
    return sum(1 for message in FolderMailer(folder).sent() if message["To"] == address)


def test_a_lost_confirmation_is_sent_by_the_sweep_once(app: Flask, mail_folder: Path) -> None:
    address = f"verloren-{utcnow().timestamp()}@example.org"
    person = make_person(email=address)
    # Submitted ten minutes ago; the job that would have confirmed it died with its process.
    lost = make_application(make_form(make_office()), person,
                            submitted_at=utcnow() - dt.timedelta(minutes=10))  # fmt: skip
    fresh = make_application(make_form(make_office()), make_person(email="frisch@example.org"))
    db.session.commit()
    assert send_missing_confirmations() >= 1
    assert _sent_to(mail_folder, address) == 1
    db.session.expire_all()
    assert db.session.get(Application, lost.id).confirmation_sent_at is not None  # type: ignore[union-attr]
    # Just submitted: its own job may still be on its way, the sweep leaves it alone.
    assert db.session.get(Application, fresh.id).confirmation_sent_at is None  # type: ignore[union-attr]
    send_missing_confirmations()
    send_confirmation(lost.id)  # a late job after the sweep: nothing twice
    assert _sent_to(mail_folder, address) == 1


def test_the_sweep_gives_up_on_submissions_days_old(app: Flask, mail_folder: Path) -> None:
    address = f"alt-{utcnow().timestamp()}@example.org"
    make_application(make_form(make_office()), make_person(email=address),
                     submitted_at=utcnow() - dt.timedelta(days=3))  # fmt: skip
    db.session.commit()
    send_missing_confirmations()
    assert _sent_to(mail_folder, address) == 0


@pytest.mark.parametrize(
    ("payment", "expected"),
    [("before_handoff", "Offene Gebühr: 61,20 €. An das Amt geht Ihr Antrag erst"),
     ("afterwards", "Gebühr: 61,20 €. Falls noch nicht geschehen")],
)  # fmt: skip
def test_the_confirmation_of_an_unpaid_submission_names_the_fee_and_the_day(
    app: Flask, mail_folder: Path, payment: str, expected: str
) -> None:
    """Issue 31, 4: the e-mail said nothing of the open fee."""
    address = f"gebuehr-{payment}-{utcnow().timestamp()}@example.org"
    submitted = dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC)
    application = make_application(make_form(make_office(), payment=payment),
                                   make_person(email=address), fee_cents=6120,
                                   submitted_at=submitted)  # fmt: skip
    db.session.commit()
    send_confirmation(application.id)
    [mail] = [m for m in FolderMailer(mail_folder).sent() if m["To"] == address]
    body = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert expected in body
    if payment == "before_handoff":
        assert "bis zum 16.03.2026" in body
