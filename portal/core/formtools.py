"""Small helpers for WTForms that every domain needs."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_wtf import FlaskForm
from wtforms import DateField, Field


def add_errors(form: FlaskForm, field: Field, messages: Iterable[str]) -> None:
    """Add errors found after validation (an upload check, a state of the case). WTForms caches
    ``form.errors`` on first use, so the cache is dropped for the error summary to see them."""
    field.errors = [*field.errors, *messages]
    form._errors = None


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
