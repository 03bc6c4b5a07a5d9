"""The figures of the public OZG dashboard, computed from the live database in grouped queries.

Nobody may be recognisable in a published figure:

- a count of applications from 1 to 4 is shown as "< 5" (:data:`FEW`), and every other count is
  rounded to a multiple of five, the total too, which is the sum of the rounded cells: subtracting
  the other cells from the total gives no exact count of a small one;
- a share or a median resting on fewer than five cases is not shown at all;
- only complete months count (up to the end of the last month): polling the figures does not
  show when one more application arrived.

Months are calendar months in UTC; the last twelve complete ones are listed, empty ones with 0.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, func, select, true

from portal.applications.models import Application, ApplicationStatus, FormVersion
from portal.applications.stats import decision_days
from portal.catalog.figures import ThemeFigures, themenfeld_figures
from portal.catalog.models import (
    Lebenslage,
    LeikaKey,
    Office,
    OzgLeistung,
    Themenfeld,
    Zustaendigkeit,
)
from portal.catalog.services import citizen_label
from portal.core.db import utcnow
from portal.extensions import db
from portal.payments.models import Payment, PaymentState
from portal.postfach.models import Message, Thread

SMALL = 5
ROUNDING = 5
FEW = "<5"
MONTHS = 12
Shown = int | str  # a count, or FEW


def rounded(count: int) -> int:
    """``count`` to the nearest multiple of five (halves up): 2 → 0, 3 → 5, 276 → 275."""
    return ROUNDING * ((count + ROUNDING // 2) // ROUNDING)


def shown(count: int) -> Shown:
    """A count as it may be published: "< 5", or rounded to a multiple of five."""
    return FEW if 0 < count < SMALL else rounded(count)


def month_start(moment: dt.datetime) -> dt.datetime:
    """The first instant of ``moment``'s month (UTC): figures count what came before it."""
    utc = moment.astimezone(dt.UTC)
    return dt.datetime(utc.year, utc.month, 1, tzinfo=dt.UTC)


def share(part: int, base: int) -> float | None:
    """``part / base`` rounded to a tenth of a percent, or ``None`` when the base is too small."""
    return round(part / base, 3) if base >= SMALL else None


@dataclass
class Usage:
    """What a set of offices did with its applications."""

    submitted: int = 0
    fee_bearing: int = 0  # applications with a fee
    paid_online: int = 0  # of those, paid through the portal
    days_to_decision: list[float] = field(default_factory=list)
    via_postfach: int = 0  # decided applications whose Bescheid went through the Postfach
    # A total publishes the sum of its rounded cells instead of its own count.
    published_submitted: int | None = None

    def add(self, other: Usage) -> None:
        self.submitted += other.submitted
        self.fee_bearing += other.fee_bearing
        self.paid_online += other.paid_online
        self.days_to_decision += other.days_to_decision
        self.via_postfach += other.via_postfach

    def published(self) -> dict[str, Any]:
        decided = len(self.days_to_decision)
        median = statistics.median(self.days_to_decision) if decided >= SMALL else None
        return {
            "applications": shown(self.submitted)
            if self.published_submitted is None
            else self.published_submitted,
            "share_paid_online": share(self.paid_online, self.fee_bearing),
            "median_days_to_decision": round(median, 1) if median is not None else None,
            "share_decisions_via_postfach": share(self.via_postfach, decided),
        }


@dataclass(frozen=True)
class Theme:
    key: str
    label: str  # in the citizens' words (the theme's label for the OZG key)
    figures: ThemeFigures
    usage: Usage


@dataclass(frozen=True)
class OfficeRow:
    id: int
    name: str
    services: int  # services the office is responsible for
    forms: int  # the portal's forms that go to it
    usage: Usage


@dataclass
class Dashboard:
    """Plain values only: it outlives the request that computed it (the cache)."""

    computed_at: dt.datetime
    themes: list[Theme]
    offices: list[OfficeRow]
    months: list[tuple[str, int]]
    total: Usage

    @property
    def reifegrad_levels(self) -> list[int | None]:
        levels = {level for theme in self.themes for level in theme.figures.reifegrad}
        return sorted(level for level in levels if level is not None) + (
            [None] if None in levels else []
        )


def _month(column: Any) -> Any:
    if db.engine.dialect.name == "sqlite":
        return func.strftime("%Y-%m", column)
    return func.to_char(func.timezone("UTC", column), "YYYY-MM")


def last_months(now: dt.datetime, count: int = MONTHS) -> list[str]:
    """``YYYY-MM`` of the last ``count`` months, oldest first, the current one last."""
    year, month = now.year, now.month
    months = []
    for _ in range(count):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def _per_group(query: Any) -> dict[int, int]:
    return {office: int(count) for office, count in db.session.execute(query) if office}


def to_themenfeld(query: Any) -> Any:
    """Join an application query to the Themenfeld of its form's Leistungsschlüssel."""
    return (
        query.join(
            FormVersion,
            and_(
                FormVersion.key == Application.form_key,
                FormVersion.version == Application.form_version,
            ),
        )
        .join(LeikaKey, LeikaKey.key == FormVersion.service_key)
        .join(OzgLeistung, OzgLeistung.id == LeikaKey.ozg_leistung_id)
        .join(Lebenslage, Lebenslage.id == OzgLeistung.lebenslage_id)
    )


def usage_by_office(until: dt.datetime | None = None) -> dict[int, Usage]:
    """Per office: submissions (before ``until``), fees, online payments, decisions. Grouped
    queries; reads only."""
    return usage_by(Application.office_id, until=until)


def usage_by_themenfeld(until: dt.datetime | None = None) -> dict[int, Usage]:
    """The same per Themenfeld of the forms' Leistungsschlüssel."""
    return usage_by(Lebenslage.themenfeld_id, to_themenfeld, until=until)


def counted_submission() -> Any:
    """A submission that counts: a Baukasten Testantrag never does."""
    return and_(Application.status == ApplicationStatus.SUBMITTED, Application.test.is_(False))


def usage_by(
    group: Any, through: Callable[[Any], Any] | None = None, *, until: dt.datetime | None = None
) -> dict[int, Usage]:
    """Usage per value of ``group``, a column that ``through`` joins to the application; only
    applications submitted before ``until`` (``None``: all)."""
    submitted = counted_submission()
    if until is not None:
        joined = through

        def through(query: Any) -> Any:
            query = joined(query) if joined else query
            return query.where(Application.submitted_at < until)

    def grouped(*columns: Any) -> Any:
        query = select(group, *columns).select_from(Application)
        return through(query) if through else query

    counted = func.count(func.distinct(Application.id))
    counts = _per_group(grouped(counted).where(submitted).group_by(group))
    fees = _per_group(grouped(counted).where(submitted, Application.fee_cents > 0).group_by(group))
    paid = _per_group(
        grouped(counted)
        .join(Payment, Payment.application_id == Application.id)
        .where(submitted, Payment.state.in_([PaymentState.PAID, PaymentState.REFUNDED]))
        .group_by(group)
    )
    postfach = _per_group(
        grouped(counted)
        .join(Thread, Thread.application_id == Application.id)
        .join(Message, Message.thread_id == Thread.id)
        .where(submitted, Message.kind == "bescheid")
        .group_by(group)
    )
    days = decision_days(None, group, through)
    usage: dict[int, Usage] = defaultdict(Usage)
    for office_id in set(counts) | set(days):
        usage[office_id] = Usage(
            submitted=counts.get(office_id, 0),
            fee_bearing=fees.get(office_id, 0),
            paid_online=paid.get(office_id, 0),
            days_to_decision=days.get(office_id, []),
            via_postfach=postfach.get(office_id, 0),
        )
    return dict(usage)


def per_month(
    now: dt.datetime, offices: Collection[int] | None = None, *, complete: bool = False
) -> list[tuple[str, int]]:
    """Submissions in each of the last twelve months (of these offices; ``None``: all); with
    ``complete`` the twelve before ``now``'s month, which is left out."""
    end = month_start(now) if complete else None
    months = last_months(end - dt.timedelta(seconds=1) if end is not None else now)
    first = dt.datetime(int(months[0][:4]), int(months[0][5:]), 1, tzinfo=dt.UTC)
    month = _month(Application.submitted_at)
    found: dict[str, int] = dict(
        db.session.execute(
            select(month, func.count())
            .where(
                counted_submission(),
                Application.submitted_at >= first,
                Application.submitted_at < end if end is not None else true(),
                Application.office_id.in_(offices) if offices is not None else true(),
            )
            .group_by(month)
        ).all()
    )
    return [(each, int(found.get(each, 0))) for each in months]


def compute(now: dt.datetime | None = None) -> Dashboard:
    """Every figure of the dashboard (unpublished: apply :func:`shown` and :func:`share`)."""
    moment = now or utcnow()
    active_forms = select(FormVersion).where(FormVersion.active, FormVersion.test.is_(False))
    forms = list(db.session.scalars(active_forms))
    online_keys = {form.service_key for form in forms if form.service_key}
    forms_per_office: dict[int, set[str]] = defaultdict(set)
    for form in forms:
        if form.office_id is not None:
            forms_per_office[form.office_id].add(form.key)
    figures = themenfeld_figures(online_keys)
    until = month_start(moment)
    by_theme = usage_by_themenfeld(until)
    themes = [
        Theme(
            feld.key,
            citizen_label(feld),
            figures.get(feld.id, ThemeFigures()),
            by_theme.get(feld.id, Usage()),
        )
        for feld in db.session.scalars(select(Themenfeld).order_by(Themenfeld.position))
    ]
    services = _per_group(
        select(
            Zustaendigkeit.office_id, func.count(func.distinct(Zustaendigkeit.leistung_id))
        ).group_by(Zustaendigkeit.office_id)
    )
    usage = usage_by_office(until)
    total = Usage()
    for each in usage.values():
        total.add(each)
    total.published_submitted = sum(rounded(each.submitted) for each in usage.values())
    published = select(Office).where(Office.published).order_by(Office.name)
    offices = [
        OfficeRow(office.id, office.name, services.get(office.id, 0),
                  len(forms_per_office.get(office.id, ())), usage.get(office.id, Usage()))
        for office in db.session.scalars(published)
        if office.id in usage or office.id in forms_per_office
    ]  # fmt: skip
    return Dashboard(moment, themes, offices, per_month(moment, complete=True), total)
