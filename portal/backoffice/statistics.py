"""Statistics of an office for its own staff: cases by state, overdue cases, the median time from
submission to Bescheid, and payments. Staff see only the offices where they hold a case role
(Administration: every office); the figures are exact, since they stay inside the office."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import format_decimal, ngettext
from sqlalchemy import select

from portal.applications.cases import OVERDUE_AFTER
from portal.applications.models import CaseStatus
from portal.applications.stats import case_figures
from portal.backoffice.forms import STATUS_LABELS
from portal.catalog.models import Office
from portal.extensions import db
from portal.identity.access import (
    CASE_READ,
    in_scope,
    logged_in_staff,
    office_scope,
    staff_required,
)
from portal.payments.models import PaymentState
from portal.payments.services import STATE_LABELS, totals_by_office

bp = Blueprint("statistics", __name__, url_prefix="/verwaltung", template_folder="templates")


@bp.get("/statistik")
@staff_required(*CASE_READ)
def overview() -> str:
    scope = office_scope(logged_in_staff(), *CASE_READ)
    cases = case_figures(scope)
    payments = totals_by_office(scope)
    offices = [
        office
        for office in db.session.scalars(
            select(Office).where(in_scope(Office.id, scope)).order_by(Office.name)
        )
        if scope is not None or office.id in cases or office.id in payments
    ]
    return render_template(
        "backoffice/statistics.html",
        offices=offices,
        cases=cases,
        payments=payments,
        case_states=list(CaseStatus),
        status_labels=STATUS_LABELS,
        payment_states=list(PaymentState),
        payment_labels=STATE_LABELS,
        overdue_days=OVERDUE_AFTER.days,
        median_texts={
            office_id: _median_text(figures.median_days, figures.decided)
            for office_id, figures in cases.items()
            if figures.median_days is not None
        },
    )


def _median_text(days: float, decided: int) -> str:
    """ "4,5 Tage (aus 12 Bescheiden)": a day count a clerk reads at a glance."""
    shown = format_decimal(round(days, 1), format="#,##0.#")
    return str(
        ngettext(
            "%(days)s Tage (aus %(num)d Bescheid)",
            "%(days)s Tage (aus %(num)d Bescheiden)",
            decided,
            days=shown,
        )
    )
