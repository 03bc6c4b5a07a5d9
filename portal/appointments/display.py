"""How days and times of appointments read: "Dienstag, 8. Dezember 2026, 09:30 Uhr"."""

from __future__ import annotations

import datetime as dt

from babel.dates import format_date, format_datetime
from flask_babel import get_locale

from portal.appointments.slots import BERLIN


def _locale() -> str:
    return str(get_locale() or "de")


def when(moment: dt.datetime) -> str:
    """Day and time of an appointment, in Berlin time."""
    if _locale() == "de":
        return format_datetime(moment, "EEEE, d. MMMM y, HH:mm 'Uhr'", tzinfo=BERLIN, locale="de")
    return format_datetime(moment, "EEEE, d MMMM y, HH:mm", tzinfo=BERLIN, locale=_locale())


def day(value: dt.date) -> str:
    if _locale() == "de":
        return format_date(value, "EEEE, d. MMMM y", locale="de")
    return format_date(value, "EEEE, d MMMM y", locale=_locale())


def clock(moment: dt.datetime) -> str:
    return moment.astimezone(BERLIN).strftime("%H:%M")
