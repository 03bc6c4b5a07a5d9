"""Which times a calendar offers: windows, grid, duration, counters, lead time, horizon, public
holidays of the chosen Land, closing days and the switch to summer time."""

from __future__ import annotations

import datetime as dt

from portal.appointments.models import Calendar, Closure, OpeningWindow
from portal.appointments.slots import BERLIN, cells, free_slots, holiday_name

MONDAY = dt.date(2027, 1, 11)
NOW = dt.datetime(2027, 1, 4, 12, tzinfo=dt.UTC)


def _calendar(**values: object) -> Calendar:
    calendar = Calendar(
        office_id=1, name="Test", counters=values.pop("counters", 1), slot_minutes=15,
        lead_hours=values.pop("lead_hours", 0), horizon_days=values.pop("horizon_days", 60),
    )  # fmt: skip
    calendar.windows = [OpeningWindow(weekday=0, starts=dt.time(8), ends=dt.time(9))]
    calendar.closures = []
    return calendar


def _times(calendar: Calendar, minutes: int, day: dt.date = MONDAY, **kw: object) -> list[str]:
    taken = kw.pop("taken", set())
    slots = free_slots(
        calendar, minutes, day, taken,  # type: ignore[arg-type]
        now=kw.pop("now", NOW), land=str(kw.pop("land", "")),  # type: ignore[arg-type]
    )  # fmt: skip
    return [slot.key for slot in slots]


def test_an_appointment_fits_the_window_on_the_grid() -> None:
    calendar = _calendar()
    assert _times(calendar, 15) == ["08:00", "08:15", "08:30", "08:45"]
    assert _times(calendar, 30) == ["08:00", "08:15", "08:30"]  # 08:45 would end at 09:15
    assert _times(calendar, 60) == ["08:00"]
    assert _times(calendar, 15, MONDAY + dt.timedelta(days=1)) == []  # no window on Tuesday


def test_a_taken_cell_blocks_every_appointment_covering_it_unless_another_counter_is_free() -> None:
    calendar = _calendar()
    taken = {(1, dt.datetime.combine(MONDAY, dt.time(8, 15), BERLIN).astimezone(dt.UTC))}
    assert _times(calendar, 30, taken=taken) == ["08:30"]
    calendar.counters = 2
    slots = free_slots(calendar, 30, MONDAY, taken, now=NOW, land="")
    assert [(s.key, s.counter) for s in slots] == [
        ("08:00", 2), ("08:15", 2), ("08:30", 1),
    ]  # fmt: skip


def test_lead_time_and_horizon() -> None:
    just_before = dt.datetime.combine(MONDAY, dt.time(7), BERLIN).astimezone(dt.UTC)
    assert _times(_calendar(lead_hours=1), 15, now=just_before) == ["08:00", "08:15", "08:30",
                                                                     "08:45"]  # fmt: skip
    assert _times(_calendar(lead_hours=2), 15, now=just_before) == []
    assert _times(_calendar(lead_hours=0), 15, now=just_before + dt.timedelta(minutes=80)) == [
        "08:30", "08:45",
    ]  # fmt: skip
    assert _times(_calendar(horizon_days=7), 15) == ["08:00", "08:15", "08:30", "08:45"]
    assert _times(_calendar(horizon_days=6), 15) == []  # Monday is 7 days after NOW


def test_public_holidays_of_the_land_and_closing_days() -> None:
    epiphany = dt.date(2027, 1, 6)  # Heilige Drei Könige: in Bayern, not in Niedersachsen
    calendar = _calendar()
    calendar.windows = [OpeningWindow(weekday=epiphany.weekday(), starts=dt.time(8),
                                      ends=dt.time(9))]  # fmt: skip
    assert _times(calendar, 15, epiphany, land="BY") == []
    assert holiday_name(epiphany, "BY") == "Heilige Drei Könige"
    assert len(_times(calendar, 15, epiphany, land="NI")) == 4
    calendar.closures = [Closure(day=epiphany, reason="Betriebsausflug")]
    assert _times(calendar, 15, epiphany, land="NI") == []


def test_times_are_berlin_wall_clock_across_the_switch_to_summer_time() -> None:
    # Mondays before and after 28 March (29 March 2027 is Easter Monday: closed)
    winter, summer = dt.date(2027, 3, 22), dt.date(2027, 4, 5)
    calendar = _calendar(horizon_days=120)
    first = free_slots(calendar, 15, winter, set(), now=NOW, land="")[0]
    later = free_slots(calendar, 15, summer, set(), now=NOW, land="")[0]
    assert (first.key, later.key) == ("08:00", "08:00")
    assert (first.starts_at.hour, later.starts_at.hour) == (7, 6)  # UTC


def test_cells_round_a_duration_up_to_the_grid() -> None:
    start = dt.datetime(2027, 1, 11, 7, tzinfo=dt.UTC)
    assert len(cells(start, 15, 15)) == 1
    assert len(cells(start, 20, 15)) == 2
    assert cells(start, 45, 15)[-1] == start + dt.timedelta(minutes=30)
