"""WTForms for one step of a form definition, with German messages that name the field."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from stdnum import iban as iban_number
from wtforms import BooleanField, Field, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, Optional, ValidationError

from portal.applications.definition import Field as FieldDefinition
from portal.applications.definition import Step

PHONE = re.compile(r"^\+?[0-9][0-9 ()/-]{4,29}$")
POSTAL_CODE = re.compile(r"^[0-9]{5}$")
YES_NO = [SelectChoice("ja", "Ja"), SelectChoice("nein", "Nein")]
RADIO_LIMIT = 5  # more options than this: a select list


def parse_date(value: str) -> dt.date | None:
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(value.strip(), pattern).replace(tzinfo=dt.UTC).date()
        except ValueError:
            continue
    return None


def parse_number(value: str) -> Decimal | None:
    text = value.strip().replace(" ", "")
    if "," in text:  # German: 1.234,5
        text = text.replace(".", "").replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


class Required:
    """Present, with a message naming the field; blanks count as missing."""

    field_flags: ClassVar[dict[str, bool]] = {"required": True}

    def __init__(self, spec: FieldDefinition) -> None:
        self.spec = spec

    def __call__(self, form: Any, field: Field) -> None:  # noqa: ARG002
        data = field.data
        missing = data is None or data is False or (isinstance(data, str) and not data.strip())
        if not missing:
            return
        label = self.spec.label
        if self.spec.type == "checkbox":
            message = _("Bitte bestätigen Sie „%(label)s“.", label=label)
        elif self.spec.type in ("choice", "yesno"):
            message = _("Bitte wählen Sie bei „%(label)s“ eine Antwort aus.", label=label)
        else:
            message = _("Bitte geben Sie „%(label)s“ an.", label=label)
        field.errors[:] = []
        raise ValidationError(message)


class Rules:
    """Type and range rules of a field, each with a German message naming it."""

    def __init__(self, spec: FieldDefinition) -> None:
        self.spec = spec

    def __call__(self, form: Any, field: Field) -> None:  # noqa: ARG002, PLR0912
        spec, label = self.spec, self.spec.label
        value = field.data
        if value is None or value is False or (isinstance(value, str) and not value.strip()):
            return
        text = str(value).strip()
        if spec.type in ("text", "textarea", "email", "phone"):
            if spec.max_length and len(text) > spec.max_length:
                raise ValidationError(
                    _(
                        "„%(label)s“ darf höchstens %(n)d Zeichen lang sein.",
                        label=label,
                        n=spec.max_length,
                    )
                )
            if spec.min_length and len(text) < spec.min_length:
                raise ValidationError(
                    _(
                        "„%(label)s“ muss mindestens %(n)d Zeichen lang sein.",
                        label=label,
                        n=spec.min_length,
                    )
                )
        if spec.pattern and not re.fullmatch(spec.pattern, text):
            raise ValidationError(
                spec.pattern_message
                or _("„%(label)s“ hat nicht das erwartete Format.", label=label)
            )
        if spec.type in ("number", "integer"):
            number = parse_number(text)
            if number is None or (spec.type == "integer" and number != number.to_integral_value()):
                kind = _("eine ganze Zahl") if spec.type == "integer" else _("eine Zahl")
                raise ValidationError(
                    _("Bitte geben Sie bei „%(label)s“ %(kind)s ein.", label=label, kind=kind)
                )
            if spec.minimum is not None and number < spec.minimum:
                raise ValidationError(
                    _("„%(label)s“ muss mindestens %(n)s sein.", label=label, n=spec.minimum)
                )
            if spec.maximum is not None and number > spec.maximum:
                raise ValidationError(
                    _("„%(label)s“ darf höchstens %(n)s sein.", label=label, n=spec.maximum)
                )
        elif spec.type == "date":
            if parse_date(text) is None:
                raise ValidationError(
                    _(
                        "Bitte geben Sie bei „%(label)s“ ein gültiges Datum ein, zum Beispiel "
                        "17.03.2024.",
                        label=label,
                    )
                )
        elif spec.type == "phone" and not PHONE.match(text):
            raise ValidationError(
                _(
                    "Bitte geben Sie bei „%(label)s“ eine Telefonnummer ein, zum Beispiel "
                    "030 1234567.",
                    label=label,
                )
            )
        elif spec.type == "postal_code" and not POSTAL_CODE.match(text):
            raise ValidationError(
                _(
                    "Bitte geben Sie bei „%(label)s“ eine Postleitzahl mit 5 Ziffern ein.",
                    label=label,
                )
            )
        elif spec.type == "iban" and not iban_number.is_valid(text):
            raise ValidationError(
                _(
                    "Bitte prüfen Sie die IBAN bei „%(label)s“; sie ist unvollständig oder hat "
                    "einen Tippfehler.",
                    label=label,
                )
            )
        elif spec.type in ("choice", "yesno"):
            allowed = {o.value for o in spec.options} if spec.type == "choice" else {"ja", "nein"}
            if text not in allowed:
                raise ValidationError(
                    _(
                        "Bitte wählen Sie bei „%(label)s“ eine der angebotenen Antworten.",
                        label=label,
                    )
                )


def _wtforms_field(spec: FieldDefinition, locked: bool) -> Field | None:  # noqa: PLR0911
    validators: list[Any] = (
        [Required(spec)] if spec.required and spec.type != "file" else [Optional()]
    )
    validators.append(Rules(spec))
    render_kw: dict[str, Any] = {"readonly": True} if locked else {}
    if spec.type == "email":
        validators.append(
            Email(
                _(
                    "Bitte geben Sie bei „%(label)s“ eine E-Mail-Adresse wie name@beispiel.de ein.",
                    label=spec.label,
                )
            )
        )
    common = {"label": spec.label, "description": spec.help, "render_kw": render_kw}
    if spec.type == "info":
        return None
    if spec.type == "textarea":
        return TextAreaField(validators=validators, **common)
    if spec.type == "checkbox":
        return BooleanField(validators=validators, **common)
    if spec.type in ("choice", "yesno"):
        options = (
            [SelectChoice(o.value, o.label) for o in spec.options]
            if spec.type == "choice"
            else YES_NO
        )
        if spec.type == "yesno" or len(options) <= RADIO_LIMIT:
            return RadioField(
                choices=options, validate_choice=False, validators=validators, **common
            )
        return SelectField(
            choices=[SelectChoice("", _("Bitte wählen")), *options],
            validate_choice=False,
            validators=validators,
            **common,
        )
    if spec.type == "file":
        return FileField(**common)
    return StringField(validators=validators, **common)


INPUT_TYPES = {
    "date": "date",
    "email": "email",
    "phone": "tel",
    "number": "text",
    "integer": "text",
}
INPUT_MODES = {"number": "decimal", "integer": "numeric", "postal_code": "numeric"}
AUTOCOMPLETE = {
    "person.given_name": "given-name",
    "person.family_name": "family-name",
    "person.birth_date": "bday",
    "person.street": "street-address",
    "person.postal_code": "postal-code",
    "person.locality": "address-level2",
    "person.email": "email",
    "person.phone": "tel",
    "organisation.name": "organization",
}


def step_form(step: Step, visible: list[FieldDefinition], locked: set[str]) -> type[FlaskForm]:
    """A FlaskForm class for the visible fields of ``step`` (field names are the keys)."""

    class StepForm(FlaskForm):  # type: ignore[misc]
        pass

    for spec in visible:
        built = _wtforms_field(spec, spec.key in locked)
        if built is not None:
            setattr(StepForm, spec.key, built)
    StepForm.step_key = step.key
    return StepForm
