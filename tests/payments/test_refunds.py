"""Refunds: found by id whatever the age of the payment, never more than was paid."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import threading
import time

import pytest
import requests
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session, scoped_session

from portal.core.db import utcnow
from portal.extensions import db
from portal.identity.models import AccountKind, LoginSession, StaffRole
from portal.identity.sessions import STAFF_COOKIE, STAFF_LIMITS
from portal.payments.models import Payment, PaymentState, Refund
from portal.payments.providers import TestProvider
from tests.conftest import TEST_DATABASE_URL
from tests.factories import (
    make_application,
    make_form,
    make_office,
    make_payment,
    make_person,
    make_staff,
)
from tests.support.auth import staff_login_as
from tests.support.live import Portal

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def test_the_oldest_of_600_payments_can_be_refunded(
    app: Flask, db_session: scoped_session[Session]
) -> None:
    """Defect: refunds looked only among the newest 500 payments; an older one was a 404."""
    with app.test_request_context():
        office = make_office()
        form = make_form(office)
        anna = make_person()
        start = utcnow() - dt.timedelta(days=700)
        payments = [
            make_payment(
                make_application(form, anna, fee_cents=1000),
                created_at=start + dt.timedelta(hours=number),
            )
            for number in range(600)
        ]
        oldest = payments[0].public_id
        staff = make_staff((StaffRole.AMTSLEITUNG, office))
        db_session.commit()
        client = app.test_client()
        staff_login_as(client, staff)
        db_session.commit()
    listing = client.get("/verwaltung/zahlungen").get_data(as_text=True)
    assert "Ältere Zahlungen" in listing  # paged, 50 a page
    assert oldest not in listing
    token = CSRF.search(listing)
    assert token
    refunded = client.post(
        f"/verwaltung/zahlungen/{oldest}/erstattung",
        data={"csrf_token": token.group(1), "amount": "10,00", "reason": "Doppelt bezahlt",
              "request_id": secrets.token_urlsafe(18)},
    )  # fmt: skip
    assert refunded.status_code == 303
    payment = db_session.scalars(select(Payment).filter_by(public_id=oldest)).one()
    assert payment.state == PaymentState.REFUNDED


@pytest.fixture
def slow_refunds(monkeypatch: pytest.MonkeyPatch) -> None:
    """The provider takes its time, so two clerks' requests overlap for sure."""
    original = TestProvider.refund

    def slow(self: TestProvider, payment: Payment, amount_cents: int, idempotency_key: str) -> str:
        time.sleep(0.5)
        return original(self, payment, amount_cents, idempotency_key)

    monkeypatch.setattr(TestProvider, "refund", slow)


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="nur mit PostgreSQL (CI setzt es)")
def test_two_refunds_at_once_never_exceed_what_was_paid(portal: Portal, slow_refunds: None) -> None:
    app = portal.app
    with app.test_request_context():
        office = make_office()
        payment = make_payment(
            make_application(make_form(office), make_person()), amount_cents=1000
        )
        clerks = [make_staff((StaffRole.AMTSLEITUNG, office)) for _ in range(2)]
        payment_id, payment_row = payment.public_id, payment.id
        tokens = [_login(clerk.id) for clerk in clerks]
        db.session.commit()
    browsers = [_browser(portal, token) for token in tokens]
    results: list[int] = []
    barrier = threading.Barrier(2)

    def refund(browser: requests.Session, csrf: str) -> None:
        barrier.wait()
        response = browser.post(
            f"{portal.url}/verwaltung/zahlungen/{payment_id}/erstattung",
            data={"csrf_token": csrf, "amount": "7,00", "reason": "Versehen",
                  "request_id": secrets.token_urlsafe(18)},
            allow_redirects=False, timeout=30,
        )  # fmt: skip
        results.append(response.status_code)

    workers = [threading.Thread(target=refund, args=(browser, csrf)) for browser, csrf in browsers]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    with app.app_context():
        refunds = list(db.session.scalars(select(Refund).filter_by(payment_id=payment_row)))
        stored = db.session.get(Payment, payment_row)
        assert stored is not None
        assert sum(r.amount_cents for r in refunds) <= 1000
        assert stored.refunded_cents == 700
    assert sorted(results) == [303, 422]  # one booked, the other told "höchstens 3,00 €"


def _login(staff_id: int) -> str:
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(
        LoginSession(
            token_hash=hashlib.sha256(token.encode()).hexdigest(),
            kind=AccountKind.STAFF,
            staff_id=staff_id,
            trust_level=3,
            created_at=now,
            last_seen_at=now,
            expires_at=now + STAFF_LIMITS.absolute,
            idle_seconds=int(STAFF_LIMITS.idle.total_seconds()),
        )
    )
    return token


def _browser(portal: Portal, token: str) -> tuple[requests.Session, str]:
    browser = requests.Session()
    browser.cookies.set(STAFF_COOKIE, token, path="/verwaltung")
    page = browser.get(f"{portal.url}/verwaltung/zahlungen", timeout=30).text
    found = CSRF.search(page)
    assert found, page[:300]
    return browser, found.group(1)
