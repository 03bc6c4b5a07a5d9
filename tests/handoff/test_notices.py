"""Events for the office's webhook (the applicant wrote, sent files, opened the Bescheid) follow
the outbox rules: kept with the change, retried when the Fachverfahren is down, delivered once,
given up with an alert when it stays down; offices without a webhook get none."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session, scoped_session

from portal.applications.cases import record_change
from portal.applications.models import Application, CaseChange, ChangeKind
from portal.core.db import utcnow
from portal.extensions import db
from portal.handoff.models import DeliveryState, Notice
from portal.handoff.notices import run_due_notices
from tests.factories import make_application, make_form, make_office, make_person
from tests.handoff.receiver import Receiver

SECRET = "notice-test-secret"


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    server = Receiver(SECRET)
    yield server
    server.stop()


def _case(app: Flask) -> tuple[int, str]:
    """A submitted case: its row id and public id."""
    with app.test_request_context("/"):
        application = make_application(make_form(make_office()), make_person())
        db.session.commit()
        return application.id, application.public_id


def _notices(application_id: int) -> list[Notice]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Notice)
            .join(CaseChange, CaseChange.id == Notice.change_id)
            .where(CaseChange.application_id == application_id)
            .order_by(Notice.id)
        )
    )


def test_a_notice_waits_for_a_webhook_that_is_down_and_arrives_once(
    make_app: Callable[..., Flask], receiver: Receiver, db_session: scoped_session[Session]
) -> None:
    app = make_app(
        handoff_targets=f"*=webhook:{receiver.url}",
        handoff_webhook_secret=SECRET,
        handoff_max_attempts=3,
    )
    case_id, public_id = _case(app)
    receiver.down_for = 1
    with app.test_request_context("/"):
        record_change(db.session.get(Application, case_id), ChangeKind.MESSAGE)
        db.session.commit()  # in a request, the job would be sent now; here the sweep does it
        start = utcnow()
        assert run_due_notices(start) == 0  # down
        (notice,) = _notices(case_id)
        assert notice.state == DeliveryState.WAITING
        assert notice.attempts == 1
        assert run_due_notices(start + dt.timedelta(seconds=31)) == 1
        assert run_due_notices(start + dt.timedelta(hours=1)) == 0
        (notice,) = _notices(case_id)
        assert notice.state == DeliveryState.DELIVERED
    delivered = receiver.events[notice.idempotency_key]
    assert delivered["event"] == "nachricht"
    assert delivered["caseId"] == public_id
    assert receiver.posts.count(notice.idempotency_key) == 2  # once refused, once taken


def test_a_webhook_that_stays_down_is_given_up_with_an_alert(
    make_app: Callable[..., Flask],
    receiver: Receiver,
    db_session: scoped_session[Session],
    tmp_path: Path,
) -> None:
    app = make_app(
        handoff_targets=f"*=webhook:{receiver.url}",
        handoff_webhook_secret=SECRET,
        handoff_max_attempts=2,
        handoff_alert_email="leitstelle@example.de",
    )
    case_id, _public_id = _case(app)
    receiver.down_for = 10
    with app.test_request_context("/"):
        record_change(db.session.get(Application, case_id), ChangeKind.RETRIEVED)
        db.session.commit()
        start = utcnow()
        run_due_notices(start)
        run_due_notices(start + dt.timedelta(minutes=5))
        (notice,) = _notices(case_id)
        assert notice.state == DeliveryState.GIVEN_UP
        assert "503" in notice.last_error
    receiver.down_for = 0
    mails = sorted((Path(app.config["PORTAL"].instance_path) / "mail").glob("*.eml"))
    assert any(notice.idempotency_key in m.read_text("utf-8") for m in mails)


def test_offices_without_a_webhook_get_no_notices(
    app: Flask, db_session: scoped_session[Session]
) -> None:
    case_id, _public_id = _case(app)  # the default target is a folder
    with app.test_request_context("/"):
        record_change(db.session.get(Application, case_id), ChangeKind.DOCUMENTS)
        db.session.commit()
        assert _notices(case_id) == []
