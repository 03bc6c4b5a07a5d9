"""Resending a delivery: only what is not delivered and not being sent, only for one's offices."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, scoped_session

from portal.core.db import utcnow
from portal.handoff.models import Delivery, DeliveryState
from portal.identity.models import StaffRole
from tests.factories import (
    make_application,
    make_delivery,
    make_form,
    make_office,
    make_person,
    make_staff,
)
from tests.support.auth import staff_login_as

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _setup(
    app: Flask, db_session: scoped_session[Session], state: DeliveryState, leased: bool = False
) -> tuple[FlaskClient, int, str]:
    with app.test_request_context():
        office = make_office()
        application = make_application(make_form(office), make_person())
        lease = utcnow() + dt.timedelta(minutes=4) if leased else None
        delivery_id = make_delivery(application, state=state, lease_until=lease).id
        lead = make_staff((StaffRole.AMTSLEITUNG, office))
        db_session.commit()
        client = app.test_client()
        staff_login_as(client, lead)
        db_session.commit()
    page = client.get("/verwaltung/uebermittlungen").get_data(as_text=True)
    token = CSRF.search(page)
    assert token
    return client, delivery_id, token.group(1)


@pytest.mark.parametrize(
    ("state", "leased", "message"),
    [
        (DeliveryState.DELIVERED, False, "bereits zugestellt"),
        (DeliveryState.WAITING, True, "wird gerade gesendet"),
    ],
)
def test_a_delivered_or_leased_package_is_not_sent_again(
    app: Flask,
    db_session: scoped_session[Session],
    state: DeliveryState,
    leased: bool,
    message: str,
) -> None:
    """Defect: a resend overwrote a delivered package's "übermittelt am" and cleared a live
    lease, so two workers could send the same package."""
    client, delivery_id, token = _setup(app, db_session, state, leased)
    before = db_session.get(Delivery, delivery_id)
    assert before is not None
    delivered_at, lease, attempts = before.delivered_at, before.lease_until, before.attempts
    response = client.post(
        f"/verwaltung/uebermittlungen/{delivery_id}/erneut",
        data={"csrf_token": token},
        follow_redirects=True,
    )
    assert message in response.get_data(as_text=True)
    db_session.expire_all()
    after = db_session.get(Delivery, delivery_id)
    assert after is not None
    assert (after.state, after.delivered_at, after.lease_until, after.attempts) == (
        state, delivered_at, lease, attempts,
    )  # fmt: skip


def test_a_given_up_package_is_sent_again(app: Flask, db_session: scoped_session[Session]) -> None:
    client, delivery_id, token = _setup(app, db_session, DeliveryState.GIVEN_UP)
    response = client.post(
        f"/verwaltung/uebermittlungen/{delivery_id}/erneut",
        data={"csrf_token": token},
        follow_redirects=True,
    )
    assert "wird erneut versucht" in response.get_data(as_text=True)
    db_session.expire_all()
    after = db_session.get(Delivery, delivery_id)
    assert after is not None
    assert after.state in (DeliveryState.WAITING, DeliveryState.DELIVERED)
