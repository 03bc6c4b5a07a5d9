"""Delivery through FIT-Connect, against a stand-in of the Submission API: every part arrives
encrypted to the destination's key and matches its hash; a Zustelldienst that fails half-way is
tried again with the same submission, so the package arrives exactly once; a destination key
that does not fit is given up at once with an alert."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session, scoped_session

from portal.applications.models import Application
from portal.config import ConfigError
from portal.core.db import utcnow
from portal.extensions import db
from portal.handoff import services as handoff
from portal.handoff.models import Delivery, DeliveryState, FitConnectSubmission
from tests.factories import PDF, make_application, make_form, make_office, make_person
from tests.handoff.fitconnect_standin import SubmissionApiStandIn

CLIENT = ("portal-sender", "sender-secret")


@pytest.fixture
def standin() -> Iterator[SubmissionApiStandIn]:
    server = SubmissionApiStandIn(*CLIENT)
    yield server
    server.stop()


@pytest.fixture
def fit_app(
    make_app: Callable[..., Flask],
    standin: SubmissionApiStandIn,
    db_session: scoped_session[Session],
) -> Flask:
    return make_app(
        handoff_targets=f"*=fitconnect:{standin.destination_id}",
        fitconnect_submission_url=standin.url,
        fitconnect_token_url=f"{standin.url}/token",
        fitconnect_client_id=CLIENT[0],
        fitconnect_client_secret=CLIENT[1],
        handoff_max_attempts=5,
        handoff_alert_email="leitstelle@example.de",
    )


def _scheduled(app: Flask, service: str = "99123456789012") -> tuple[int, str]:
    """A submitted case with an uploaded file, its delivery scheduled: (delivery id, key)."""
    with app.test_request_context("/"):
        form = make_form(make_office(), service=service)
        application = make_application(form, make_person(), with_file=True)
        delivery = handoff.schedule(application)
        db.session.commit()
        return delivery.id, delivery.idempotency_key


def _delivery(delivery_id: int) -> Delivery:
    db.session.expire_all()
    found = db.session.get(Delivery, delivery_id)
    assert found is not None
    return found


def test_a_package_arrives_encrypted_and_checked(
    fit_app: Flask, standin: SubmissionApiStandIn
) -> None:
    delivery_id, key = _scheduled(fit_app)
    with fit_app.test_request_context("/"):
        assert handoff.deliver(delivery_id) is True
        assert _delivery(delivery_id).state == DeliveryState.DELIVERED
        application = db.session.get(Application, _delivery(delivery_id).application_id)
        assert application is not None
        expected = handoff.build(application, key)
    (received,) = standin.delivered.values()
    assert json.loads(received["data"]) == json.loads(expected.data)
    assert PDF in received["attachments"].values()
    assert len(received["attachments"]) == len(expected.attachments)
    assert (
        received["metadata"]["additionalReferenceInfo"]["senderReference"]
        == (expected.metadata["additionalReferenceInfo"]["senderReference"])
    )
    assert standin.created == 1


def test_a_failure_half_way_goes_on_with_the_same_submission(
    fit_app: Flask, standin: SubmissionApiStandIn
) -> None:
    delivery_id, key = _scheduled(fit_app)
    standin.fail_once = {"upload"}
    with fit_app.test_request_context("/"):
        start = utcnow()
        assert handoff.deliver(delivery_id, start) is False
        assert "503" in _delivery(delivery_id).last_error
        kept = db.session.scalar(select(FitConnectSubmission).filter_by(idempotency_key=key))
        assert kept is not None
        assert kept.submitted_at is None
        standin.fail_once = {"events"}  # submitted, but the event log is not there yet
        assert handoff.run_due(start + dt.timedelta(seconds=31)) == 0
        assert handoff.run_due(start + dt.timedelta(minutes=2)) == 1
        assert _delivery(delivery_id).state == DeliveryState.DELIVERED
    assert standin.created == 1
    assert len(standin.delivered) == 1


def test_the_zustelldienst_down_is_retried(fit_app: Flask, standin: SubmissionApiStandIn) -> None:
    delivery_id, _key = _scheduled(fit_app)
    standin.down_for = 1
    with fit_app.test_request_context("/"):
        start = utcnow()
        assert handoff.deliver(delivery_id, start) is False
        assert _delivery(delivery_id).state == DeliveryState.WAITING
        assert handoff.run_due(start + dt.timedelta(seconds=31)) == 1
    assert len(standin.delivered) == 1


def test_a_key_that_does_not_fit_is_given_up_with_an_alert(
    fit_app: Flask, standin: SubmissionApiStandIn
) -> None:
    delivery_id, key = _scheduled(fit_app)
    standin.publish_wrong_key()
    with fit_app.test_request_context("/"):
        assert handoff.deliver(delivery_id) is False
        failed = _delivery(delivery_id)
        assert failed.state == DeliveryState.GIVEN_UP
        assert failed.attempts == 1  # waiting would not change the key
        assert "422" in failed.last_error
    assert standin.delivered == {}
    mails = (Path(fit_app.config["PORTAL"].instance_path) / "mail").glob("*.eml")
    assert any(key in mail.read_text("utf-8") for mail in mails)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"handoff_targets": "*=fitconnect:kein-zustellpunkt"}, "keine FIT-Connect-Zustellpunkt"),
        (
            {"handoff_targets": "*=fitconnect:3e9b1c52-8f1f-4c55-9d27-0c1b2a3d4e5f"},
            "PORTAL_FITCONNECT_CLIENT_ID",
        ),
    ],
)
def test_a_bad_setting_stops_the_start(
    make_app: Callable[..., Flask], overrides: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        make_app(**overrides)


def test_a_form_without_leistungsschluessel_is_never_sent_with_an_empty_service(
    fit_app: Flask, standin: SubmissionApiStandIn
) -> None:
    """Issue 31, 20: the submission named an empty service identifier. It is given up at once,
    with the alert saying what to fix, and nothing reaches the Zustelldienst."""
    delivery_id, key = _scheduled(fit_app, service="")
    with fit_app.test_request_context("/"):
        assert handoff.deliver(delivery_id) is False
        failed = _delivery(delivery_id)
        assert failed.state == DeliveryState.GIVEN_UP
        assert "keinen Leistungsschlüssel" in failed.last_error
    assert standin.created == 0
    mails = (Path(fit_app.config["PORTAL"].instance_path) / "mail").glob("*.eml")
    assert any(key in mail.read_text("utf-8") for mail in mails)


def test_the_baukasten_will_not_publish_a_form_without_leistungsschluessel_for_fitconnect(
    fit_app: Flask,
) -> None:
    """Issue 31, 20: refused where the form is stored, before any citizen can apply."""
    from portal.applications import baukasten
    from portal.applications.models import FormDraft, FormVersion
    from portal.identity.models import StaffRole
    from tests.factories import definition, make_staff
    from tests.support.auth import staff_login_as

    client = fit_app.test_client()
    with fit_app.test_request_context("/"):
        office = make_office()
        editor = make_staff((StaffRole.FORMULARREDAKTION, office))
        raw = {"manifest": {"format": baukasten.EXPORT_FORMAT}, "definition": definition(office)}
        draft = baukasten.import_export(json.dumps(raw).encode(), office, editor, "ohne-leika")
        staff_login_as(client, editor)
        db.session.commit()
        draft_id = draft.id
    page = client.get(f"/verwaltung/formulare/{draft_id}").get_data(as_text=True)
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert found
    token = found.group(1)
    client.post(f"/verwaltung/formulare/{draft_id}/veroeffentlichen", data={"csrf_token": token})
    with fit_app.test_request_context("/"):
        assert db.session.scalar(select(FormVersion).filter_by(key="ohne-leika")) is None
        assert db.session.get(FormDraft, draft_id) is not None
    assert "zuerst den Leistungsschlüssel ein" in client.get(
        f"/verwaltung/formulare/{draft_id}"
    ).get_data(as_text=True)
