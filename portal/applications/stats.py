"""Figures of an office's cases for its own staff: how many in which state, how many overdue,
how long from submission to Bescheid. Grouped queries over the offices of a scope only."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from portal.applications.cases import OVERDUE_AFTER
from portal.applications.models import Application, ApplicationStatus, CaseEvent, CaseStatus
from portal.core.db import utcnow
from portal.extensions import db
from portal.identity.access import OfficeScope, in_scope

OPEN_STATES = (CaseStatus.RECEIVED, CaseStatus.IN_PROGRESS, CaseStatus.QUERY)


@dataclass
class CaseFigures:
    by_status: dict[CaseStatus, int] = field(default_factory=dict)
    overdue: int = 0
    decided: int = 0  # cases with a Bescheid, the basis of the median
    median_days: float | None = None  # submission → first "beschieden", in days

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


def case_figures(scope: OfficeScope, now: dt.datetime | None = None) -> dict[int, CaseFigures]:
    """Per office of ``scope`` (``None``: every office) that has cases: its figures.

    Three grouped queries; reads only, commits nothing.
    """
    moment = now or utcnow()
    submitted = (
        Application.status == ApplicationStatus.SUBMITTED,
        Application.office_id.is_not(None),
        in_scope(Application.office_id, scope),
        Application.test.is_(False),  # a Testantrag is no case of the office's statistics
    )
    figures: dict[int, CaseFigures] = defaultdict(CaseFigures)
    for office_id, status, count in db.session.execute(
        select(Application.office_id, Application.case_status, func.count())
        .where(*submitted)
        .group_by(Application.office_id, Application.case_status)
    ):
        if office_id is not None:
            figures[office_id].by_status[status or CaseStatus.RECEIVED] = int(count)
    for office_id, count in db.session.execute(
        select(Application.office_id, func.count())
        .where(
            *submitted,
            Application.case_status.in_(OPEN_STATES),
            Application.status_changed_at < moment - OVERDUE_AFTER,
        )
        .group_by(Application.office_id)
    ):
        if office_id is not None:
            figures[office_id].overdue = int(count)
    for office_id, days in decision_days(scope).items():
        figures[office_id].decided = len(days)
        figures[office_id].median_days = statistics.median(days)
    return dict(figures)


def decision_days(
    scope: OfficeScope, group: Any = None, through: Callable[[Any], Any] | None = None
) -> dict[int, list[float]]:
    """Per office of ``scope`` (or per ``group``, a column that ``through`` joins to the
    application): for each case with a Bescheid, the days from its submission to its first
    Bescheid (a later second one does not count). One grouped query; reads only."""
    key = Application.office_id if group is None else group
    decided_at = func.min(CaseEvent.created_at)
    durations: dict[int, list[float]] = defaultdict(list)
    query = select(key, Application.submitted_at, decided_at).join(
        CaseEvent, CaseEvent.application_id == Application.id
    )
    for office_id, submitted_at, first_decision in db.session.execute(
        (through(query) if through else query)
        .where(
            Application.status == ApplicationStatus.SUBMITTED,
            in_scope(Application.office_id, scope),
            CaseEvent.kind == "status",
            CaseEvent.status == CaseStatus.DECIDED.value,
        )
        .group_by(Application.id, key, Application.submitted_at)
    ):
        if office_id is not None and submitted_at is not None and first_decision is not None:
            seconds = (_aware(first_decision) - _aware(submitted_at)).total_seconds()
            durations[office_id].append(max(seconds, 0) / 86400)
    return dict(durations)


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
