"""Small helpers for WTForms that every domain needs."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import DateField, Field, StringField, TextAreaField, ValidationError

from portal.core.textrules import clean_line, clean_text
from portal.core.urls import FIRST_DAY, LAST_DAY


def add_errors(form: FlaskForm, field: Field, messages: Iterable[str]) -> None:
    """Add errors found after validation (an upload check, a state of the case). WTForms caches
    ``form.errors`` on first use, so the cache is dropped for the error summary to see them."""
    field.errors = [*field.errors, *messages]
    form._errors = None


def offered(message: Any) -> Callable[[FlaskForm, Field], None]:
    """A choice field's value must be among the choices it was given for this request (a time
    or a place offered when the page was shown), with our ``message`` instead of WTForms'
    generic one. Use with ``validate_choice=False``."""

    def check(_form: FlaskForm, field: Field) -> None:
        if field.data not in {choice.value for choice in field.choices or []}:
            raise ValidationError(str(message))

    return check


class DayField(DateField):  # type: ignore[misc]
    """A date (``<input type="date">``) whose unreadable value gets our own message, which names
    the field, instead of WTForms' generic one."""

    def __init__(self, label: Any = None, *, invalid: Any, **kwargs: Any) -> None:
        super().__init__(label, **kwargs)
        self.invalid = invalid

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(str(self.invalid)) from None
        chosen: Any = getattr(self, "data", None)
        if chosen is not None and not FIRST_DAY <= chosen <= LAST_DAY:
            object.__setattr__(self, "data", None)  # as DateField leaves an unreadable value
            raise ValueError(str(self.invalid))


class PortalForm(FlaskForm):  # type: ignore[misc]
    """The base of every form: besides its own validators, each text field keeps to
    ``core.textrules`` — one-line fields (names, subjects, e-mail addresses) take no line
    breaks, control or bidi characters; multi-line fields no control characters. The error
    names the field."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        token = getattr(self, "csrf_token", None)
        if token is not None:  # a page with several forms must not repeat an id
            token.render_kw = {**(token.render_kw or {}), "id": False}

    def validate(self, extra_validators: Any = None) -> bool:
        valid: bool = super().validate(extra_validators)
        for field in self:
            if field.errors or not isinstance(field.data, str) or not field.data:
                continue
            if isinstance(field, TextAreaField):
                if not clean_text(field.data):
                    add_errors(self, field, [_("%(label)s: Bitte ohne Steuerzeichen eingeben.",
                                               label=field.label.text)])  # fmt: skip
                    valid = False
            elif isinstance(field, StringField) and not clean_line(field.data):
                add_errors(self, field, [_(
                    "%(label)s: Bitte in einer Zeile eingeben, ohne Zeilenumbrüche und "
                    "Steuerzeichen.", label=field.label.text)])  # fmt: skip
                valid = False
        return valid


class ButtonForm(PortalForm):
    """A button and its CSRF token (publish, cancel, confirm): nothing else to enter."""
