"""The field types (see the package docstring). Messages name the field once, in German."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from flask_babel import gettext
from flask_wtf.file import FileField
from stdnum import iban as iban_number
from wtforms import BooleanField, Field, RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice

from portal.applications.fields import FieldType, register

if TYPE_CHECKING:
    from portal.applications.definition import Field as Spec

PHONE = re.compile(r"^\+?[0-9][0-9 ()/-]{4,29}$")
POSTAL_CODE = re.compile(r"^[0-9]{5}$")
# Unterscheidungszeichen (1–3 letters), Erkennungszeichen (1–2 letters), 1–4 digits, E or H.
PLATE = re.compile(r"^([A-ZÄÖÜ]{1,3})[- ]+([A-Z]{1,2})[- ]*([0-9]{1,4})([EH]?)$")
RADIO_LIMIT = 5  # more options than this: a select list


def _(text: str, **values: Any) -> str:
    return str(gettext(text, **values))


def parse_date(value: str) -> dt.date | None:
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(value.strip(), pattern).replace(tzinfo=dt.UTC).date()
        except ValueError:
            continue
    return None


# German grouping: "2.000" is two thousand, "1.234,5" too has a dot per three digits.
GROUPED_NUMBER = re.compile(r"[+-]?\d{1,3}(?:\.\d{3})+(?:,\d+)?")
# Otherwise one decimal separator, comma or point: "2", "2,5", "2.5". No exponent ("1e3").
PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


def parse_number(value: str) -> Decimal | None:
    """A number as people type it: "2", " 2 ", "2,0", "2.0", "2.000" (two thousand), "1.234,5";
    ``None`` for anything else (exponents, "1,234.5", words)."""
    text = value.strip().replace(" ", "").replace("\u00a0", "").replace("\u202f", "")
    if GROUPED_NUMBER.fullmatch(text):
        text = text.replace(".", "").replace(",", ".")
    elif PLAIN_NUMBER.fullmatch(text):
        text = text.replace(",", ".")
    else:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _canonical(number: Decimal) -> str:
    """``2`` for 2,0; ``2.5`` for 2,50: one spelling per number, with a decimal point."""
    text = format(number.normalize(), "f")
    return text if text != "-0" else "0"


@register
class Text(FieldType):
    name = "text"
    limits_length = True


@register
class TextArea(FieldType):
    name = "textarea"
    limits_length = True

    def normalise(self, spec: Spec, text: str) -> str:  # noqa: ARG002 - lines are kept
        return text.strip()

    def wtforms(self, spec: Spec, validators: list[Any], common: dict[str, Any]) -> Field | None:  # noqa: ARG002
        return TextAreaField(validators=validators, **common)


@register
class Number(FieldType):
    name = "number"
    input_type = "text"
    input_mode = "decimal"
    whole = False

    def check(self, spec: Spec, text: str) -> str | None:
        number = parse_number(text)
        if number is None or (self.whole and number != number.to_integral_value()):
            kind = _("eine ganze Zahl") if self.whole else _("eine Zahl")
            return _("Bitte geben Sie bei „%(label)s“ %(kind)s ein.", label=spec.label, kind=kind)
        if spec.minimum is not None and number < spec.minimum:
            return _("„%(label)s“ muss mindestens %(n)s sein.", label=spec.label, n=spec.minimum)
        if spec.maximum is not None and number > spec.maximum:
            return _("„%(label)s“ darf höchstens %(n)s sein.", label=spec.label, n=spec.maximum)
        return None

    def normalise(self, spec: Spec, text: str) -> str:  # noqa: ARG002
        number = parse_number(text)
        return _canonical(number) if number is not None else text.strip()

    def quantity(self, value: Any) -> Decimal | None:
        return parse_number(str(value)) if value not in (None, "") else None

    def display(self, spec: Spec, value: Any) -> str:  # noqa: ARG002
        number = parse_number(str(value))
        return str(value) if number is None else _canonical(number).replace(".", ",")


@register
class Integer(Number):
    name = "integer"
    input_mode = "numeric"
    whole = True


@register
class Date(FieldType):
    name = "date"
    input_type = "date"

    def check(self, spec: Spec, text: str) -> str | None:
        if parse_date(text) is None:
            return _(
                "Bitte geben Sie bei „%(label)s“ ein gültiges Datum ein, zum Beispiel 17.03.2024.",
                label=spec.label,
            )
        return None

    def normalise(self, spec: Spec, text: str) -> str:  # noqa: ARG002
        parsed = parse_date(text)
        return parsed.isoformat() if parsed else text.strip()

    def display(self, spec: Spec, value: Any) -> str:  # noqa: ARG002
        parsed = parse_date(str(value))
        return parsed.strftime("%d.%m.%Y") if parsed else str(value)


class Choices(FieldType):
    def allowed(self, spec: Spec) -> list[SelectChoice]:
        return [SelectChoice(o.value, o.label) for o in spec.options]

    def check(self, spec: Spec, text: str) -> str | None:
        if text not in {choice.value for choice in self.allowed(spec)}:
            return _(
                "Bitte wählen Sie bei „%(label)s“ eine der angebotenen Antworten.",
                label=spec.label,
            )
        return None

    def normalise(self, spec: Spec, text: str) -> str:  # noqa: ARG002
        return text.strip()

    def display(self, spec: Spec, value: Any) -> str:
        return next((c.label for c in self.allowed(spec) if c.value == value), str(value))

    def wtforms(self, spec: Spec, validators: list[Any], common: dict[str, Any]) -> Field | None:
        options = self.allowed(spec)
        if self.name == "yesno" or len(options) <= RADIO_LIMIT:
            return RadioField(
                choices=options, validate_choice=False, validators=validators, **common
            )
        return SelectField(
            choices=[SelectChoice("", _("Bitte wählen")), *options],
            validate_choice=False,
            validators=validators,
            **common,
        )


@register
class Choice(Choices):
    name = "choice"


@register
class YesNo(Choices):
    name = "yesno"

    def allowed(self, spec: Spec) -> list[SelectChoice]:  # noqa: ARG002
        return [SelectChoice("ja", _("Ja")), SelectChoice("nein", _("Nein"))]


@register
class Checkbox(FieldType):
    name = "checkbox"

    def display(self, spec: Spec, value: Any) -> str:  # noqa: ARG002
        return str(_("Ja") if value else _("Nein"))

    def wtforms(self, spec: Spec, validators: list[Any], common: dict[str, Any]) -> Field | None:  # noqa: ARG002
        return BooleanField(validators=validators, **common)


@register
class Email(FieldType):
    name = "email"
    input_type = "email"
    limits_length = True

    def normalise(self, spec: Spec, text: str) -> str:  # noqa: ARG002
        return text.strip()


@register
class Phone(FieldType):
    name = "phone"
    input_type = "tel"
    limits_length = True

    def check(self, spec: Spec, text: str) -> str | None:
        if not PHONE.match(text.strip()):
            return _(
                "Bitte geben Sie bei „%(label)s“ eine Telefonnummer ein, zum Beispiel 030 1234567.",
                label=spec.label,
            )
        return None


@register
class PostalCode(FieldType):
    name = "postal_code"
    input_mode = "numeric"

    def check(self, spec: Spec, text: str) -> str | None:
        if not POSTAL_CODE.match(text.strip()):
            return _(
                "Bitte geben Sie bei „%(label)s“ eine Postleitzahl mit 5 Ziffern ein.",
                label=spec.label,
            )
        return None

    def normalise(self, spec: Spec, text: str) -> str:  # noqa: ARG002
        return text.strip()


@register
class Iban(FieldType):
    name = "iban"

    def check(self, spec: Spec, text: str) -> str | None:
        if not iban_number.is_valid(text):
            return _(
                "Bitte prüfen Sie die IBAN bei „%(label)s“; sie ist unvollständig oder hat "
                "einen Tippfehler.",
                label=spec.label,
            )
        return None

    def normalise(self, spec: Spec, text: str) -> str:  # noqa: ARG002
        return str(iban_number.compact(text))

    def display(self, spec: Spec, value: Any) -> str:  # noqa: ARG002
        text = str(value)
        return str(iban_number.format(text)) if iban_number.is_valid(text) else text


@register
class LicencePlate(FieldType):
    """An amtliches Kennzeichen, stored as "MS-AB 123" however it was typed."""

    name = "licence_plate"

    def check(self, spec: Spec, text: str) -> str | None:
        if not PLATE.match(text.strip().upper()):
            return _(
                "Bitte geben Sie bei „%(label)s“ ein Kennzeichen wie MS-AB 123 ein.",
                label=spec.label,
            )
        return None

    def normalise(self, spec: Spec, text: str) -> str:  # noqa: ARG002
        found = PLATE.match(text.strip().upper())
        if found is None:
            return text.strip()
        district, letters, digits, suffix = found.groups()
        return f"{district}-{letters} {digits}{suffix}"


@register
class File(FieldType):
    name = "file"
    has_answer = False

    def wtforms(self, spec: Spec, validators: list[Any], common: dict[str, Any]) -> Field | None:  # noqa: ARG002
        return FileField(**common)


@register
class Info(FieldType):
    name = "info"
    has_answer = False

    def wtforms(self, spec: Spec, validators: list[Any], common: dict[str, Any]) -> Field | None:  # noqa: ARG002
        return None
