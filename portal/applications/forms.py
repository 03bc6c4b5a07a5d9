"""WTForms for one step of a form definition, with German messages that name the field."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import Field
from wtforms.validators import Email, Optional, ValidationError

from portal.applications.definition import Field as FieldDefinition
from portal.applications.definition import Step, length_limit
from portal.applications.fields import field_type, input_attributes
from portal.applications.fields.types import parse_date, parse_number
from portal.core.formtools import PortalForm

__all__ = ["parse_date", "parse_number", "step_form"]


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
    """Length and pattern rules of a field, then its type's own check (see ``fields``)."""

    def __init__(self, spec: FieldDefinition) -> None:
        self.spec = spec

    def _in_range(self, form: Any, text: str) -> None:
        """A date within its plausible range (``earliest``, ``latest``): not in the future
        where it cannot be, not before the date it follows (issue 31, 10)."""
        spec, answer = self.spec, parse_date(text)
        if answer is None:
            return
        answers = {**getattr(form, "answers", {})}
        step_key = getattr(form, "step_key", "")
        typed = {f.name: f.data for f in form if isinstance(f.data, str)}
        answers[step_key] = {**answers.get(step_key, {}), **typed}
        for bound, too_early in ((spec.earliest, True), (spec.latest, False)):
            if not bound:
                continue
            limit, other = date_bound(bound, answers, getattr(form, "labels", {}))
            if limit is None or (answer >= limit if too_early else answer <= limit):
                continue
            shown = limit.strftime("%d.%m.%Y")
            if other:
                message = _("„%(label)s“ darf nicht vor „%(other)s“ (%(day)s) liegen.",
                            label=spec.label, other=other, day=shown) if too_early else _(
                            "„%(label)s“ darf nicht nach „%(other)s“ (%(day)s) liegen.",
                            label=spec.label, other=other, day=shown)  # fmt: skip
            else:
                message = _("„%(label)s“ darf nicht vor dem %(day)s liegen.", label=spec.label,
                            day=shown) if too_early else _(
                            "„%(label)s“ darf nicht nach dem %(day)s liegen.", label=spec.label,
                            day=shown)  # fmt: skip
            raise ValidationError(message)

    def __call__(self, form: Any, field: Field) -> None:
        spec, label = self.spec, self.spec.label
        value = field.data
        if value is None or value is False or (isinstance(value, str) and not value.strip()):
            return
        text = str(value).strip()
        kind = field_type(spec.type)
        if kind.limits_length:
            # Without a max_length of its own, the draft's bound (definition.length_limit):
            # an answer is refused, never cut when it is stored.
            if len(text) > length_limit(spec):
                raise ValidationError(
                    _(
                        "„%(label)s“ darf höchstens %(n)d Zeichen lang sein.",
                        label=label,
                        n=length_limit(spec),
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
        problem = kind.check(spec, text)
        if problem:
            raise ValidationError(problem)
        if spec.type == "date" and (spec.earliest or spec.latest):
            self._in_range(form, text)
        # The pattern applies to the answer as it will be stored ("ms ab 123" → "MS-AB 123").
        if spec.pattern and not re.fullmatch(spec.pattern, kind.normalise(spec, text)):
            raise ValidationError(
                spec.pattern_message
                or _("„%(label)s“ hat nicht das erwartete Format.", label=label)
            )


def _wtforms_field(spec: FieldDefinition, locked: bool) -> Field | None:
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
    return field_type(spec.type).wtforms(spec, validators, common)


INPUT_TYPES, INPUT_MODES = input_attributes()
AUTOCOMPLETE = {
    "person.given_name": "given-name",
    "person.family_name": "family-name",
    "person.birth_date": "bday",
    "person.street": "address-line1",  # "street-address" belongs on a textarea
    "person.postal_code": "postal-code",
    "person.locality": "address-level2",
    "person.email": "email",
    "person.phone": "tel",
    "organisation.name": "organization",
}


BERLIN = ZoneInfo("Europe/Berlin")
RELATIVE = re.compile(r"today(?:([+-])(\d{1,3})([yd]))?")


def date_bound(
    bound: str, answers: dict[str, Any], labels: dict[str, str]
) -> tuple[dt.date | None, str]:
    """The day a bound names, and the label of the field it names ("" for a fixed day); the
    day is ``None`` when the named answer is missing or unreadable (nothing to compare)."""
    relative = RELATIVE.fullmatch(bound)
    if relative:
        today = dt.datetime.now(BERLIN).date()
        sign, amount, unit = relative.groups()
        if not amount:
            return today, ""
        count = int(amount) * (-1 if sign == "-" else 1)
        if unit == "d":
            return today + dt.timedelta(days=count), ""
        try:
            return today.replace(year=today.year + count), ""
        except ValueError:  # 29 February in a year without one
            return today.replace(year=today.year + count, day=28), ""
    if "." not in bound:
        return parse_date(bound), ""
    step, _sep, name = bound.partition(".")
    return parse_date(str(answers.get(step, {}).get(name) or "")), labels.get(bound, name)


def step_form(
    step: Step,
    visible: list[FieldDefinition],
    locked: set[str],
    answers: dict[str, Any] | None = None,
    labels: dict[str, str] | None = None,
) -> type[FlaskForm]:
    """A FlaskForm class for the visible fields of ``step`` (field names are the keys)."""

    class StepForm(PortalForm):
        pass

    for spec in visible:
        built = _wtforms_field(spec, spec.key in locked)
        if built is not None:
            setattr(StepForm, spec.key, built)
    StepForm.step_key = step.key
    StepForm.answers = answers or {}  # earlier steps' answers, for dates bounded by them
    StepForm.labels = labels or {}
    return StepForm
