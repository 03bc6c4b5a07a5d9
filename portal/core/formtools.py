"""Small helpers for WTForms that every domain needs."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask_wtf import FlaskForm
from wtforms import DateField, Field, ValidationError


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
