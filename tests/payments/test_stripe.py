"""Stripe Checkout with the real ``stripe`` library against a local stand-in: verified webhooks,
idempotency, any order of return and webhooks, retries, refunds and the cash-system export."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, scoped_session

from portal.applications import services as applications
from portal.applications.models import Application
from portal.catalog.models import Office
from portal.identity.models import LoginSession, Person, StaffAccount, StaffAssignment, StaffRole
from portal.payments.models import Payment, PaymentEvent, PaymentState
from portal.payments.services import derive_state, luhn_digit
from tests.factories import make_office
from tests.payments.stripe_standin import StripeStandIn, signed_event

WEBHOOK_SECRET = "whsec_test_portal"
DEFINITIONS = Path(__file__).resolve().parents[2] / "portal" / "applications" / "definitions"


@pytest.fixture(scope="module")
def stripe_api() -> Iterator[StripeStandIn]:
    standin = StripeStandIn()
    yield standin
    standin.stop()


@pytest.fixture
def stripe_app(
    make_app: Callable[..., Flask], stripe_api: StripeStandIn, db_session: scoped_session[Session]
) -> Flask:
    return make_app(
        stripe_secret_key="sk_test_portal",
        stripe_webhook_secret=WEBHOOK_SECRET,
        stripe_api_base=stripe_api.url,
    )


@dataclass(frozen=True)
class Submitted:
    """Plain values: ORM objects do not outlive the requests that end their session."""

    person_id: int
    application_id: int
    public_id: str
    reference: str


def _submitted(app: Flask, db_session: scoped_session[Session], subject: str) -> Submitted:
    """Bernd with a submitted Bewohnerparkausweis for two years (61,20 Euro)."""
    with app.app_context():
        person, application = _make_submitted(db_session, subject)
        return Submitted(
            person.id, application.id, application.public_id, application.reference or ""
        )


def _make_submitted(
    db_session: scoped_session[Session], subject: str
) -> tuple[Person, Application]:
    person = Person(issuer="https://idp.example", subject=subject, given_name="Bernd", sources={})
    db_session.add(person)
    db_session.flush()
    if db_session.scalar(select(Office).filter_by(source="stripe-test")) is None:
        make_office(source="stripe-test", source_id="kfz", name="Kfz-Zulassungsstelle")
    row, _new = applications.store_definition(
        json.loads((DEFINITIONS / "bewohnerparkausweis.json").read_text("utf-8")), "stripe-test"
    )
    application = applications.start_draft(row, person, None)
    application.answers = {**application.answers, "ausweis": {"zone": "A", "jahre": "2"}}
    definition = applications.definition_of(row)
    assert applications.submit(application, definition, 3)
    db_session.commit()  # into the test's outer transaction, before the context ends
    db_session.refresh(person)
    db_session.refresh(application)
    return person, application


def _citizen(
    app: Flask,
    db_session: scoped_session[Session],
    login: Callable[..., LoginSession],
    subject: str,
) -> tuple[FlaskClient, Submitted]:
    """A logged-in browser of a citizen with a submitted application that has a fee."""
    browser = app.test_client()
    application = _submitted(app, db_session, subject)
    login(browser, db_session.get(Person, application.person_id))
    return browser, application


def _token(client: FlaskClient, path: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True))
    assert found
    return found.group(1)


def _pay(client: FlaskClient, application: Submitted) -> str:
    path = f"/antraege/{application.public_id}/bestaetigung"
    response = client.post(
        f"/antraege/{application.public_id}/bezahlen", data={"csrf_token": _token(client, path)}
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    return str(response.headers["Location"])


def _session_id(client: FlaskClient, application: Submitted) -> str:
    """Start paying; the checkout session's id at the stand-in."""
    return _pay(client, application).rsplit("/", 1)[1]


def _payment(db_session: scoped_session[Session], application: Submitted) -> Payment:
    db_session.expire_all()
    return db_session.scalars(
        select(Payment).filter_by(application_id=application.application_id)
    ).one()


def _webhook(client: FlaskClient, body: bytes, signature: str) -> int:
    response = client.post(
        "/zahlung/stripe/webhook",
        data=body,
        headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
    )
    return response.status_code


def test_checkout_is_created_once_per_attempt(
    stripe_app: Flask,
    stripe_api: StripeStandIn,
    db_session: scoped_session[Session],
    login: Callable[..., LoginSession],
) -> None:
    client, application = _citizen(stripe_app, db_session, login, "pay-1")
    location = _pay(client, application)
    assert location.startswith(stripe_api.url + "/pay/cs_test_")
    payment = _payment(db_session, application)
    assert payment.amount_cents == 6120
    assert len(payment.purpose) <= 27
    assert payment.purpose.startswith(application.reference)  # the Aktenzeichen, unique
    assert luhn_digit(payment.kassenzeichen[:-1]) == payment.kassenzeichen[-1]
    method, path, body, key = stripe_api.requests[-1]
    assert (method, path) == ("POST", "/v1/checkout/sessions")
    assert key == f"checkout-{payment.public_id}-1"
    assert body["metadata"]["payment"] == payment.public_id
    assert body["line_items"]["0"]["price_data"]["unit_amount"] == "6120"
    assert payment.state == PaymentState.OPEN


def test_webhooks_need_a_valid_recent_signature(
    stripe_app: Flask,
    stripe_api: StripeStandIn,
    db_session: scoped_session[Session],
    login: Callable[..., LoginSession],
) -> None:
    client, application = _citizen(stripe_app, db_session, login, "pay-2")
    session_id = _session_id(client, application)
    paid = stripe_api.pay(session_id)
    body, signature = signed_event("whsec_wrong", "checkout.session.completed", paid)
    assert _webhook(client, body, signature) == 400
    body, signature = signed_event(WEBHOOK_SECRET, "checkout.session.completed", paid, age=600)
    assert _webhook(client, body, signature) == 400  # older than Stripe's 300 s tolerance
    tampered_body, signature = signed_event(WEBHOOK_SECRET, "checkout.session.completed", paid)
    assert _webhook(client, tampered_body.replace(b"paid", b"PAID"), signature) == 400
    payment = _payment(db_session, application)
    assert payment.state == PaymentState.OPEN
    # Nothing recorded from a refused webhook: only the start of the attempt.
    assert [event.source for event in payment.events] == ["start"]


def test_a_repeated_or_late_webhook_changes_nothing_twice(
    stripe_app: Flask,
    stripe_api: StripeStandIn,
    db_session: scoped_session[Session],
    login: Callable[..., LoginSession],
) -> None:
    client, application = _citizen(stripe_app, db_session, login, "pay-3")
    session_id = _session_id(client, application)
    paid = dict(stripe_api.pay(session_id))
    body, signature = signed_event(
        WEBHOOK_SECRET, "checkout.session.completed", paid, event_id="evt_once"
    )
    assert _webhook(client, body, signature) == 200
    first = _payment(db_session, application)
    assert first.state == PaymentState.PAID
    paid_at = first.paid_at
    assert _webhook(client, body, signature) == 200  # Stripe retries: recorded once
    late, late_sig = signed_event(
        WEBHOOK_SECRET, "checkout.session.expired", {**paid, "status": "expired"}
    )
    assert _webhook(client, late, late_sig) == 200
    payment = _payment(db_session, application)
    assert payment.state == PaymentState.PAID
    assert payment.paid_at == paid_at
    assert [e.kind for e in payment.events if e.source != "start"] == ["paid", "cancelled"]
    assert payment.provider_payment == f"pi_{session_id[8:]}"


def test_the_return_url_alone_never_marks_paid(
    stripe_app: Flask,
    stripe_api: StripeStandIn,
    db_session: scoped_session[Session],
    login: Callable[..., LoginSession],
) -> None:
    client, application = _citizen(stripe_app, db_session, login, "pay-4")
    session_id = _session_id(client, application)
    payment_id = _payment(db_session, application).public_id
    # The browser comes back claiming success, but Stripe says the session is unpaid.
    page = client.get(f"/zahlung/{payment_id}?session_id={session_id}")
    assert "Zahlung wird geprüft" in page.get_data(as_text=True)
    assert _payment(db_session, application).state == PaymentState.OPEN
    # Once Stripe (asked with our key) says paid, the return page may say so too,
    # even before the webhook arrives; the webhook later adds nothing.
    paid = stripe_api.pay(session_id)
    page = client.get(f"/zahlung/{payment_id}?session_id={session_id}")
    assert "Zahlung eingegangen" in page.get_data(as_text=True)
    body, signature = signed_event(WEBHOOK_SECRET, "checkout.session.completed", paid)
    assert _webhook(client, body, signature) == 200
    assert _payment(db_session, application).state == PaymentState.PAID


def test_a_failed_attempt_then_a_successful_retry(
    stripe_app: Flask,
    stripe_api: StripeStandIn,
    db_session: scoped_session[Session],
    login: Callable[..., LoginSession],
) -> None:
    client, application = _citizen(stripe_app, db_session, login, "pay-5")
    first = _session_id(client, application)
    failed, signature = signed_event(
        WEBHOOK_SECRET, "checkout.session.async_payment_failed", stripe_api.sessions[first]
    )
    assert _webhook(client, failed, signature) == 200
    payment = _payment(db_session, application)
    assert payment.state == PaymentState.FAILED
    payment_id = payment.public_id
    assert "Erneut bezahlen" in client.get(f"/zahlung/{payment_id}").get_data(as_text=True)
    second = _session_id(client, application)
    assert second != first
    assert stripe_api.requests[-1][3] == f"checkout-{payment_id}-2"
    assert _payment(db_session, application).state == PaymentState.OPEN  # a new attempt
    body, signature = signed_event(
        WEBHOOK_SECRET, "checkout.session.completed", stripe_api.pay(second)
    )
    assert _webhook(client, body, signature) == 200
    # The first attempt's failure arrives again, late: a success after a failure stays paid.
    assert _webhook(client, failed, signed_event(WEBHOOK_SECRET, "x", {})[1]) == 400
    again, again_sig = signed_event(
        WEBHOOK_SECRET, "checkout.session.async_payment_failed", stripe_api.sessions[first]
    )
    assert _webhook(client, again, again_sig) == 200
    assert _payment(db_session, application).state == PaymentState.PAID


def test_the_state_does_not_depend_on_the_order_of_events() -> None:
    kinds = ["paid", "failed", "cancelled", "paid"]
    for order in itertools.permutations(kinds):
        payment = Payment(amount_cents=100, refunded_cents=0, attempts=1)
        payment.events = [
            PaymentEvent(kind=kind, data={"attempt": 1}, event_id=str(index), provider="t")
            for index, kind in enumerate(order)
        ]
        assert derive_state(payment) == PaymentState.PAID
    for order in itertools.permutations(["failed", "cancelled"]):
        payment = Payment(amount_cents=100, refunded_cents=0, attempts=1)
        payment.events = [PaymentEvent(kind=k, data={"attempt": 1}) for k in order]
        assert derive_state(payment) == PaymentState.FAILED


def _staff_client(
    app: Flask, db_session: scoped_session[Session], office_id: int | None
) -> FlaskClient:
    """Amtsleitung of the office (refunds need it); ``None``: an administrator."""
    from portal.identity import sessions

    staff = StaffAccount(email=f"kasse-{office_id}@musterstadt.example", name="Kasse", roles=[])
    role = StaffRole.AMTSLEITUNG if office_id else StaffRole.ADMINISTRATION
    staff.roles.append(StaffAssignment(role=role, office_id=office_id))
    db_session.add(staff)
    db_session.flush()
    client = app.test_client()
    with app.test_request_context("/verwaltung/"):
        sessions.start(sessions.AccountKind.STAFF, staff_id=staff.id)
        token = sessions.g.login_cookies[True]
        db_session.commit()  # before the context's teardown ends the session
    client.set_cookie("portal_verwaltung", token, path="/verwaltung")
    return client


def test_staff_refund_fully_or_partly_and_export(
    stripe_app: Flask,
    stripe_api: StripeStandIn,
    db_session: scoped_session[Session],
    login: Callable[..., LoginSession],
) -> None:
    citizen, application = _citizen(stripe_app, db_session, login, "pay-6")
    session_id = _session_id(citizen, application)
    body, signature = signed_event(
        WEBHOOK_SECRET, "checkout.session.completed", stripe_api.pay(session_id)
    )
    assert _webhook(citizen, body, signature) == 200
    payment = _payment(db_session, application)
    payment_id, kassenzeichen = payment.public_id, payment.kassenzeichen
    office_id = db_session.get(Application, application.application_id).office_id
    staff = _staff_client(stripe_app, db_session, office_id)
    listing = staff.get("/verwaltung/zahlungen").get_data(as_text=True)
    assert kassenzeichen in listing
    token = _token(staff, "/verwaltung/zahlungen")
    request_id = re.search(r'name="request_id" value="([^"]+)"', listing)
    assert request_id
    too_much = staff.post(
        f"/verwaltung/zahlungen/{payment_id}/erstattung",
        data={"csrf_token": token, "amount": "70,00", "reason": "Versehen",
              "request_id": request_id.group(1)},
    )  # fmt: skip
    assert too_much.status_code == 422
    absurd = staff.post(
        f"/verwaltung/zahlungen/{payment_id}/erstattung",
        data={
            "csrf_token": token,
            "amount": "1e999",
            "reason": "Tippfehler",
            "request_id": request_id.group(1),
        },
    )
    assert absurd.status_code == 422  # a German message, not a 500
    assert "Bitte geben Sie einen Betrag wie 12,50 ein." in absurd.get_data(as_text=True)
    assert "Höchstens 61,20 € können erstattet werden." in too_much.get_data(as_text=True)
    partly_data = {"csrf_token": token, "amount": "30,60", "reason": "nur ein Jahr",
                   "request_id": request_id.group(1)}  # fmt: skip
    partly = staff.post(f"/verwaltung/zahlungen/{payment_id}/erstattung", data=partly_data)
    assert partly.status_code == 303
    assert stripe_api.refunds[-1]["amount"] == 3060
    assert stripe_api.requests[-1][3] == f"refund-{payment_id}-{request_id.group(1)}"
    assert _payment(db_session, application).state == PaymentState.PAID
    # The same form sent again (a double click, a reload) books nothing more.
    refunds_before = len(stripe_api.refunds)
    again = staff.post(f"/verwaltung/zahlungen/{payment_id}/erstattung", data=partly_data)
    assert again.status_code == 303
    assert len(stripe_api.refunds) == refunds_before
    assert _payment(db_session, application).refunded_cents == 3060
    rest = staff.post(
        f"/verwaltung/zahlungen/{payment_id}/erstattung",
        data={"csrf_token": token, "amount": "30,60", "reason": "zurückgezogen",
              "request_id": "zweite-erstattung-0001"},
    )  # fmt: skip
    assert rest.status_code == 303
    refunded = _payment(db_session, application)
    assert refunded.state == PaymentState.REFUNDED
    assert refunded.refunded_cents == 6120
    today = dt.datetime.now(dt.UTC).date()
    day = dt.timedelta(days=1)
    export = staff.get(f"/verwaltung/zahlungen/export.csv?von={today - day}&bis={today + day}")
    text = export.get_data(as_text=True)
    assert export.mimetype == "text/csv"
    header, *lines = text.lstrip("\ufeff").strip().split("\r\n")
    assert header.startswith("kassenzeichen;aktenzeichen;verwendungszweck;betrag")
    row = next(line for line in lines if line.startswith(kassenzeichen))
    assert f";{application.reference};" in row
    assert ";61,20;EUR;erstattet;" in row
    # A citizen cannot reach the back office's payment pages.
    assert citizen.get("/verwaltung/zahlungen").status_code == 302
