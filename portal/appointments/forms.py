"""Inputs about appointments: booking by citizens, calendars and day lists by staff."""

from __future__ import annotations

import datetime as dt
import re

from flask_babel import lazy_gettext as _l
from wtforms import (
    EmailField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    AnyOf,
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)

from portal.core.formtools import ButtonForm, DayField, PortalForm, offered

WEEKDAYS = {"mo": 0, "di": 1, "mi": 2, "do": 3, "fr": 4, "sa": 5, "so": 6}
WEEKDAY_NAMES = ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So")
WINDOW_LINE = re.compile(
    r"^(?P<day>[A-Za-z]{2})\w*\.?\s+(?P<h1>\d{1,2})[:.](?P<m1>\d{2})\s*[-–]\s*"
    r"(?P<h2>\d{1,2})[:.](?P<m2>\d{2})$"
)


class BookingForm(PortalForm):
    time = RadioField(
        _l("Uhrzeit"),
        validators=[
            InputRequired(_l("Bitte wählen Sie eine Uhrzeit.")),
            offered(_l("Diese Uhrzeit ist nicht mehr frei. Bitte wählen Sie eine andere Uhrzeit.")),
        ],
        validate_choice=False,  # a time taken meanwhile gets our message (offered)
    )
    name = StringField(
        _l("Ihr Name"),
        validators=[
            DataRequired(_l("Bitte geben Sie Ihren Namen ein.")),
            Length(max=200, message=_l("Ihr Name darf höchstens 200 Zeichen lang sein.")),
        ],
    )
    email = EmailField(
        _l("E-Mail-Adresse"),
        description=_l("Dorthin schicken wir die Bestätigung und die Erinnerung."),
        validators=[
            DataRequired(_l("Bitte geben Sie Ihre E-Mail-Adresse ein.")),
            Email(_l("Bitte geben Sie eine E-Mail-Adresse im Format name@beispiel.de ein.")),
            Length(max=320, message=_l("Die E-Mail-Adresse ist zu lang.")),
        ],
    )


ConfirmForm = ButtonForm  # a button and its CSRF token


class HolderForm(PortalForm):
    """Cancel every open appointment of one address or client (staff)."""

    kind = HiddenField(validators=[AnyOf(("email", "client"))])
    key = HiddenField(validators=[DataRequired(), Length(max=320)])


def parse_windows(text: str) -> list[tuple[int, dt.time, dt.time]]:
    """ "Mo 08:00-12:00" per line into (weekday, start, end); raises ValueError naming the line."""
    windows = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        match = WINDOW_LINE.match(line)
        weekday = WEEKDAYS.get(match.group("day").lower()) if match else None
        if match is None or weekday is None:
            raise ValueError(str(number))
        try:
            starts = dt.time(int(match.group("h1")), int(match.group("m1")))
            ends = dt.time(int(match.group("h2")), int(match.group("m2")))
        except ValueError:
            raise ValueError(str(number)) from None
        if ends <= starts:
            raise ValueError(str(number))
        windows.append((weekday, starts, ends))
    return windows


def format_windows(windows: list[tuple[int, dt.time, dt.time]]) -> str:
    return "\n".join(
        f"{WEEKDAY_NAMES[day]} {start:%H:%M}-{end:%H:%M}" for day, start, end in windows
    )


class CalendarForm(PortalForm):
    name = StringField(
        _l("Name des Kalenders"),
        validators=[
            DataRequired(_l("Bitte geben Sie den Namen des Kalenders ein.")),
            Length(max=200, message=_l("Der Name darf höchstens 200 Zeichen lang sein.")),
        ],
    )
    counters = IntegerField(
        _l("Schalter"),
        description=_l("Wie viele Termine gleichzeitig stattfinden können."),
        validators=[
            InputRequired(_l("Bitte geben Sie die Zahl der Schalter ein.")),
            NumberRange(1, 50, _l("Die Zahl der Schalter muss zwischen 1 und 50 liegen.")),
        ],
    )
    slot_minutes = SelectField(
        _l("Zeitraster"),
        choices=[SelectChoice(str(m), _l("%(num)s Minuten", num=m)) for m in (5, 10, 15, 20, 30)],
        validators=[DataRequired(_l("Bitte wählen Sie ein Zeitraster."))],
    )  # fmt: skip
    lead_hours = IntegerField(
        _l("Vorlauf in Stunden"),
        description=_l("So viele Stunden vorher lässt sich ein Termin frühestens buchen."),
        validators=[
            InputRequired(_l("Bitte geben Sie den Vorlauf in Stunden ein.")),
            NumberRange(0, 720, _l("Der Vorlauf muss zwischen 0 und 720 Stunden liegen.")),
        ],
    )
    horizon_days = IntegerField(
        _l("Buchbar für Tage im Voraus"),
        validators=[
            InputRequired(_l("Bitte geben Sie an, wie viele Tage im Voraus gebucht werden kann.")),
            NumberRange(1, 365, _l("Buchbar im Voraus: zwischen 1 und 365 Tagen.")),
        ],
    )
    windows = TextAreaField(
        _l("Sprechzeiten für Termine"),
        description=_l("Eine Zeile je Zeitraum, zum Beispiel „Di 08:00-12:00“."),
        validators=[DataRequired(_l("Bitte geben Sie mindestens eine Sprechzeit an."))],
    )

    def validate_windows(self, field: TextAreaField) -> None:
        try:
            found = parse_windows(field.data or "")
        except ValueError as error:
            raise ValidationError(
                _l(
                    "Sprechzeiten: Zeile %(line)s hat nicht die Form „Di 08:00-12:00“.",
                    line=str(error),
                )
            ) from None
        if len(found) > 40:
            raise ValidationError(_l("Bitte geben Sie höchstens 40 Sprechzeiten an."))


class NewCalendarForm(CalendarForm):
    office = SelectField(
        _l("Amt"),
        validators=[DataRequired(_l("Bitte wählen Sie das Amt, dem der Kalender gehört."))],
    )
    field_order = ("office",)


class OfferForm(PortalForm):
    leistung = SelectField(
        _l("Leistung"), validators=[DataRequired(_l("Bitte wählen Sie eine Leistung."))]
    )
    duration = IntegerField(
        _l("Dauer in Minuten"),
        validators=[
            InputRequired(_l("Bitte geben Sie die Dauer in Minuten ein.")),
            NumberRange(5, 240, _l("Die Dauer muss zwischen 5 und 240 Minuten liegen.")),
        ],
    )


UNREADABLE_DAY = _l("Bitte geben Sie den Tag als Datum ein, zum Beispiel 24.12.2026.")


class ClosureForm(PortalForm):
    day = DayField(
        _l("Geschlossen am"),
        invalid=UNREADABLE_DAY,
        validators=[InputRequired(_l("Bitte geben Sie den Tag als Datum ein."))],
    )
    reason = StringField(
        _l("Grund"),
        validators=[
            Optional(),
            Length(max=200, message=_l("Der Grund darf höchstens 200 Zeichen lang sein.")),
        ],
    )


class DayForm(PortalForm):
    class Meta:
        csrf = False  # a GET filter

    datum = DayField(
        _l("Tag"),
        invalid=UNREADABLE_DAY,
        validators=[Optional()],
    )
