"""Demo: a year of anonymous history, so that the dashboard shows something on ``make run``.

For each demo form and each of the last twelve months, a reproducible number of applications
without any applicant data (the snapshot is empty, as after anonymisation), each decided after
a few days and closed; most fees paid online, most Bescheide delivered through the Postfach.
They are closed cases, so the clerks' queue (open cases by default) stays the demo's own.
Loaded once: a second run finds them and adds nothing.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets

from flask import current_app
from sqlalchemy import func, select

from portal.applications.models import (
    Application,
    ApplicationStatus,
    CaseEvent,
    CaseStatus,
    FormVersion,
)
from portal.applications.reference import new_reference
from portal.core.db import utcnow
from portal.core.demo import register_demo
from portal.dashboard.figures import last_months
from portal.extensions import db
from portal.payments.models import Payment, PaymentEvent, PaymentState
from portal.payments.services import new_kassenzeichen
from portal.postfach.models import Message, Thread
from portal.postfach.services import seal

HISTORY = "demo_history"  # the mark in the (otherwise empty) applicant snapshot


def _already_loaded() -> bool:
    marked = Application.applicant[HISTORY].as_boolean()
    count = db.session.scalar(select(func.count()).select_from(Application).where(marked))
    return bool(count)


def _fee(form: FormVersion) -> int:
    fee = form.definition.get("fee", {})
    return int(fee.get("amount_cents") or fee.get("unit_cents") or 0)


@register_demo("Nutzungsdaten eines Jahres (anonym, für die Kennzahlen)")
def load_history() -> str:
    if _already_loaded():
        return "schon vorhanden"
    rng = random.Random(2026)  # noqa: S311 - reproducible demo data, not security
    now = utcnow()
    forms = list(
        db.session.scalars(
            select(FormVersion).where(FormVersion.active, FormVersion.test.is_(False))
        )
    )
    prefix = current_app.config["PORTAL"].reference_prefix
    created = 0
    for month in last_months(now):
        year, number = int(month[:4]), int(month[5:])
        start = dt.datetime(year, number, 1, 8, tzinfo=dt.UTC)
        for form in forms:
            if form.office_id is None:
                continue
            for _ in range(rng.randint(2, 9)):
                submitted = start + dt.timedelta(days=rng.randint(0, 27), hours=rng.randint(0, 9))
                if submitted > now - dt.timedelta(days=3):
                    continue
                _history_case(rng, form, submitted, now, prefix)
                created += 1
    db.session.flush()
    return f"{created} abgeschlossene Anträge der letzten zwölf Monate"


def _history_case(
    rng: random.Random, form: FormVersion, submitted: dt.datetime, now: dt.datetime, prefix: str
) -> None:
    decided = min(submitted + dt.timedelta(days=rng.randint(1, 21), hours=rng.randint(0, 8)), now)
    fee = _fee(form)
    application = Application(
        public_id=secrets.token_hex(16),
        created_at=submitted,
        updated_at=decided,
        form_key=form.key,
        form_version=form.version,
        title=form.title,
        status=ApplicationStatus.SUBMITTED,
        answers={},
        reference=new_reference(prefix, submitted.year),
        submitted_at=submitted,
        status_changed_at=decided,
        applicant={"person": {}, "organisation": None, HISTORY: True},
        office_id=form.office_id,
        case_status=CaseStatus.CLOSED,
        fee_cents=fee,
        trust_level=int(form.definition.get("trust_level") == "hoch") + 2,
    )
    db.session.add(application)
    db.session.flush()
    for status, moment in ((CaseStatus.DECIDED, decided), (CaseStatus.CLOSED, decided)):
        db.session.add(
            CaseEvent(
                application_id=application.id, kind="status", status=status.value, text="",
                visible_to_applicant=True, created_at=moment,
            )
        )  # fmt: skip
    if fee and rng.random() < 0.85:  # most pay online at once
        _paid(application, fee, submitted + dt.timedelta(minutes=rng.randint(2, 90)))
    if rng.random() < 0.8:  # most Bescheide go through the Postfach
        thread = Thread(
            public_id=secrets.token_hex(16), created_at=submitted, updated_at=decided,
            subject=f"{form.title} – {application.reference}", office_id=form.office_id,
            application_id=application.id,
        )  # fmt: skip
        db.session.add(thread)
        db.session.add(
            Message(
                public_id=secrets.token_hex(16), created_at=decided, thread=thread,
                from_office=True, kind="bescheid", body=seal("Bescheid (Demo-Verlauf)"),
                read_at=decided + dt.timedelta(days=1),
            )
        )  # fmt: skip


def _paid(application: Application, cents: int, moment: dt.datetime) -> None:
    payment = Payment(
        public_id=secrets.token_hex(16),
        created_at=moment,
        updated_at=moment,
        application_id=application.id,
        kassenzeichen=new_kassenzeichen(),
        purpose=application.title[:27],
        amount_cents=cents,
        provider="test",
        provider_payment=f"demo-{secrets.token_hex(6)}",
        attempts=1,
        state=PaymentState.PAID,
        paid_at=moment,
    )
    db.session.add(payment)
    db.session.flush()
    db.session.add(
        PaymentEvent(
            payment_id=payment.id, provider="test", event_id=f"demo:{payment.public_id}:paid",
            kind="paid", source="demo", data={"attempt": 1},
        )
    )  # fmt: skip
