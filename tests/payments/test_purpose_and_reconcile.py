"""The Verwendungszweck over every demo service and any Aktenzeichen, and Stripe payments whose
webhook never arrives, found by the reconciliation run."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session, scoped_session

from portal.applications.reference import ALPHABET, check_symbol
from portal.catalog.demo_services import SERVICES
from portal.identity.models import LoginSession
from portal.payments import reconcile
from portal.payments.models import Payment, PaymentState
from portal.payments.services import PURPOSE_LIMIT, purpose_text
from tests.payments.stripe_standin import StripeStandIn
from tests.payments.test_stripe import WEBHOOK_SECRET, _citizen, _session_id

DEFINITIONS = Path(__file__).resolve().parents[2] / "portal" / "applications" / "definitions"
ALLOWED = re.compile(r"^[A-Za-z0-9 -]+$")
TITLES = sorted(
    {service.name for service in SERVICES}
    | {
        json.loads(path.read_text("utf-8")).get(key, "")
        for path in DEFINITIONS.glob("*.json")
        for key in ("title", "purpose")
    }
    - {""}
)


@st.composite
def references(draw: st.DrawFn) -> str:
    prefix = draw(st.from_regex(r"[A-Z0-9]{1,10}", fullmatch=True))
    year = draw(st.integers(2024, 2099))
    body = "".join(draw(st.lists(st.sampled_from(ALPHABET), min_size=7, max_size=7)))
    body += check_symbol(body)
    return f"{prefix}-{year}-{body[:4]}-{body[4:]}"


@settings(max_examples=300, deadline=None)
@given(reference=references(), title=st.sampled_from(TITLES) | st.text(max_size=80))
def test_the_purpose_fits_the_payment_services_and_names_the_aktenzeichen(
    reference: str, title: str
) -> None:
    purpose = purpose_text(reference, title)
    assert len(purpose) <= PURPOSE_LIMIT
    assert ALLOWED.match(purpose)
    head = reference if len(reference) <= PURPOSE_LIMIT else reference.split("-", 1)[1]
    assert purpose.split(" ", 1)[0] == head  # unique: the Aktenzeichen is
    words = purpose.split(" ")[1:]
    assert all(word and ALLOWED.match(word) for word in words)  # whole words, nothing cut


def test_demo_titles_keep_their_words_whole() -> None:
    assert TITLES, "no demo titles found"
    for title in TITLES:
        purpose = purpose_text("SP-2026-7KQ4-MZ3X", title)
        plain = title.replace("ü", "ue").replace("ä", "ae").replace("ö", "oe").replace("ß", "ss")
        for word in purpose.split(" ")[1:]:
            assert word in re.sub(r"[^A-Za-z0-9 -]", " ", plain).split(), (title, purpose)


def test_stripe_paid_without_webhook_is_paid_after_one_run(
    make_app: Callable[..., Flask],
    db_session: scoped_session[Session],
    login: Callable[..., LoginSession],
) -> None:
    stripe_api = StripeStandIn()
    try:
        app = make_app(
            stripe_secret_key="sk_test_portal",
            stripe_webhook_secret=WEBHOOK_SECRET,
            stripe_api_base=stripe_api.url,
        )
        client, application = _citizen(app, db_session, login, "reconcile-stripe")
        session_id = _session_id(client, application)
        stripe_api.pay(session_id)  # the citizen paid; the webhook is lost, no return either
        with app.app_context():
            asked = reconcile.run_due(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=2))
        assert asked >= 1
        db_session.expire_all()
        payment = db_session.scalars(
            select(Payment).filter_by(application_id=application.application_id)
        ).one()
        assert payment.state == PaymentState.PAID
        assert payment.next_check_at is None
        assert [event.source for event in payment.events] == ["start", "reconcile"]
        assert payment.events[1].data["raw"]["id"] == session_id  # Stripe's answer, kept raw
    finally:
        stripe_api.stop()
