"""Which times a calendar can offer: pure arithmetic on the weekly windows, the closed days and
the cells already claimed. Times are planned in Berlin time and stored in UTC."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Set
from dataclasses import dataclass
from functools import cache
from zoneinfo import ZoneInfo

import holidays
from holidays.countries.germany import Germany

from portal.appointments.models import Calendar
from portal.config import ConfigError

BERLIN = ZoneInfo("Europe/Berlin")
Taken = Set[tuple[int, dt.datetime]]  # (counter, cell start in UTC)


@dataclass(frozen=True)
class Slot:
    starts_at: dt.datetime  # UTC
    ends_at: dt.datetime
    counter: int  # the first counter free for the whole appointment

    @property
    def local(self) -> dt.datetime:
        return self.starts_at.astimezone(BERLIN)

    @property
    def key(self) -> str:
        """How a form names this time: "09:30" (Berlin time on the chosen day)."""
        return self.local.strftime("%H:%M")


@cache
def public_holidays(land: str) -> holidays.HolidayBase:
    """Germany's public holidays, with those of ``land`` ("BY", "NW" …; empty: nationwide)."""
    if land and land not in Germany.subdivisions:
        known = ", ".join(Germany.subdivisions)
        raise ConfigError(f"PORTAL_APPOINTMENT_HOLIDAYS: „{land}“ ist kein Land ({known}).")
    return holidays.country_holidays("DE", subdiv=land or None, language="de")


def holiday_name(day: dt.date, land: str) -> str | None:
    name = public_holidays(land).get(day)
    return str(name) if name else None


def cells(starts_at: dt.datetime, minutes: int, grid: int) -> list[dt.datetime]:
    """The grid cells an appointment of ``minutes`` starting at ``starts_at`` covers."""
    count = max(1, -(-minutes // grid))
    return [starts_at + dt.timedelta(minutes=grid * index) for index in range(count)]


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants where the Berlin day ``day`` starts and ends."""
    start = dt.datetime.combine(day, dt.time(), BERLIN).astimezone(dt.UTC)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), BERLIN).astimezone(dt.UTC)
    return start, end


def starts_on(calendar: Calendar, minutes: int, day: dt.date) -> list[dt.datetime]:
    """Every grid start on ``day`` where an appointment of ``minutes`` fits a window."""
    found: list[dt.datetime] = []
    length = dt.timedelta(minutes=minutes)
    step = dt.timedelta(minutes=calendar.slot_minutes)
    for window in calendar.windows:
        if window.weekday != day.weekday():
            continue
        start = dt.datetime.combine(day, window.starts, BERLIN)
        end = dt.datetime.combine(day, window.ends, BERLIN)
        while start + length <= end:
            found.append(start.astimezone(dt.UTC))
            start += step
    return sorted(set(found))


def first_and_last_day(calendar: Calendar, now: dt.datetime) -> tuple[dt.datetime, dt.date]:
    """The earliest bookable instant (now + lead time) and the last bookable day (horizon)."""
    earliest = now + dt.timedelta(hours=calendar.lead_hours)
    last = now.astimezone(BERLIN).date() + dt.timedelta(days=calendar.horizon_days)
    return earliest, last


def is_closed(calendar: Calendar, day: dt.date, land: str) -> bool:
    return holiday_name(day, land) is not None or any(c.day == day for c in calendar.closures)


def free_slots(
    calendar: Calendar,
    minutes: int,
    day: dt.date,
    taken: Taken,
    *,
    now: dt.datetime,
    land: str,
) -> list[Slot]:
    """The times on ``day`` with a counter free for ``minutes``; empty on closed days and
    outside the lead time and horizon."""
    earliest, last = first_and_last_day(calendar, now)
    if day > last or is_closed(calendar, day, land):
        return []
    slots = []
    for start in starts_on(calendar, minutes, day):
        if start < earliest:
            continue
        needed = cells(start, minutes, calendar.slot_minutes)
        counter = next(
            (
                number
                for number in range(1, calendar.counters + 1)
                if not any((number, cell) in taken for cell in needed)
            ),
            None,
        )
        if counter is not None:
            slots.append(Slot(start, start + dt.timedelta(minutes=minutes), counter))
    return slots


def days_between(first: dt.date, last: dt.date) -> Iterable[dt.date]:
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)
