"""Office statistics: figures checked against a hand-computed set; only one's own offices."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask.testing import FlaskClient

from portal.applications.models import Application, CaseEvent, CaseStatus
from portal.applications.stats import case_figures
from portal.catalog.models import Office
from portal.core.db import utcnow
from portal.extensions import db
from portal.identity.models import StaffRole
from portal.payments.models import PaymentState
from tests.factories import (
    make_application,
    make_form,
    make_office,
    make_payment,
    make_person,
    make_staff,
)
from tests.support.auth import staff_login_as

NOW = utcnow()


def _case(
    office: Office, status: CaseStatus, *, days_ago: float, idle_days: float = 0
) -> Application:
    application = make_application(make_form(office), make_person(), case_status=status)
    application.submitted_at = NOW - dt.timedelta(days=days_ago)
    application.status_changed_at = NOW - dt.timedelta(days=idle_days)
    return application


def _decided(application: Application, after_days: float) -> None:
    assert application.submitted_at is not None
    db.session.add(
        CaseEvent(
            application_id=application.id, kind="status", status=CaseStatus.DECIDED.value,
            text="", visible_to_applicant=True,
            created_at=application.submitted_at + dt.timedelta(days=after_days),
        )
    )  # fmt: skip


def _scene() -> tuple[Office, Office]:
    """Office A: 2 received (one idle for 20 days), 1 in progress (idle 15 days: overdue),
    1 Rückfrage, 3 decided after 2, 4 and 9 days (median 4), one of them decided twice (the
    first counts), 1 closed without a Bescheid; payments 2 paid (30,60 € + 10,00 €), 1 open.
    Office B: 1 received, paid 99,00 €."""
    a, b = make_office(name="Amt Alpha"), make_office(name="Amt Beta")
    _case(a, CaseStatus.RECEIVED, days_ago=1)
    _case(a, CaseStatus.RECEIVED, days_ago=20, idle_days=20)
    in_progress = _case(a, CaseStatus.IN_PROGRESS, days_ago=30, idle_days=15)
    _case(a, CaseStatus.QUERY, days_ago=3, idle_days=3)
    for after in (2, 4, 9):
        decided = _case(a, CaseStatus.DECIDED, days_ago=40)
        _decided(decided, after)
        if after == 2:
            _decided(decided, 30)  # a second Bescheid later: the first one counts
    _case(a, CaseStatus.CLOSED, days_ago=50, idle_days=40)
    make_payment(in_progress, amount_cents=3060)
    make_payment(decided, amount_cents=1000)
    make_payment(
        _case(a, CaseStatus.RECEIVED, days_ago=0), state=PaymentState.OPEN, amount_cents=500
    )
    make_payment(_case(b, CaseStatus.RECEIVED, days_ago=2), amount_cents=9900)
    db.session.commit()
    return a, b


@pytest.mark.usefixtures("app_context")
def test_figures_match_a_hand_computed_set() -> None:
    a, b = _scene()
    figures = case_figures(frozenset({a.id, b.id}), now=NOW)
    alpha = figures[a.id]
    assert alpha.by_status == {
        CaseStatus.RECEIVED: 3,
        CaseStatus.IN_PROGRESS: 1,
        CaseStatus.QUERY: 1,
        CaseStatus.DECIDED: 3,
        CaseStatus.CLOSED: 1,
    }
    assert alpha.total == 9
    assert alpha.overdue == 2  # received idle 20 days, in progress idle 15 days
    assert alpha.decided == 3
    assert alpha.median_days == pytest.approx(4.0)
    assert figures[b.id].total == 1
    assert figures[b.id].median_days is None
    assert set(case_figures(frozenset({b.id}), now=NOW)) == {b.id}


def _page(client: FlaskClient) -> str:
    response = client.get("/verwaltung/statistik")
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _section(html: str, office: Office) -> str:
    found = re.search(rf'data-office="{office.id}">(.*?)</section>', html, re.S)
    assert found, f"{office.name} fehlt"
    return found[1]


@pytest.mark.usefixtures("app_context")
def test_the_page_shows_the_figures_of_ones_own_office_only(client: FlaskClient) -> None:
    a, b = _scene()
    staff_login_as(client, make_staff((StaffRole.SACHBEARBEITUNG, a), (StaffRole.REDAKTION, b)))
    db.session.commit()
    html = _page(client)
    alpha = _section(html, a)
    assert 'data-figure="total">9<' in alpha
    assert 'data-figure="overdue">2<' in alpha
    assert "4 Tage (aus 3 Bescheiden)" in alpha
    assert 'data-status="in_bearbeitung">1<' in alpha
    assert 'data-payments="bezahlt">2<' in alpha
    assert "40,60" in alpha
    assert "Amt Beta" not in html  # Redaktion of B opens none of its figures
    assert "99,00" not in html
    assert f'data-office="{b.id}"' not in html


@pytest.mark.usefixtures("app_context")
def test_the_administrator_sees_every_office(client: FlaskClient) -> None:
    a, b = _scene()
    staff_login_as(client, make_staff((StaffRole.ADMINISTRATION, None)))
    db.session.commit()
    html = _page(client)
    assert 'data-figure="total">9<' in _section(html, a)
    assert "99,00" in _section(html, b)


@pytest.mark.usefixtures("app_context")
def test_the_redaktion_alone_gets_no_statistics(client: FlaskClient) -> None:
    a, _b = _scene()
    staff_login_as(client, make_staff((StaffRole.REDAKTION, a)))
    db.session.commit()
    assert client.get("/verwaltung/statistik").status_code == 403


@pytest.mark.usefixtures("app_context")
def test_an_office_without_cases_says_so(client: FlaskClient) -> None:
    empty = make_office(name="Amt Leer")
    staff_login_as(client, make_staff((StaffRole.AMTSLEITUNG, empty)))
    db.session.commit()
    assert "Noch keine Vorgänge." in _section(_page(client), empty)
