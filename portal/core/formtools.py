"""Small helpers for WTForms that every domain needs."""

from __future__ import annotations

from collections.abc import Iterable

from flask_wtf import FlaskForm
from wtforms import Field


def add_errors(form: FlaskForm, field: Field, messages: Iterable[str]) -> None:
    """Add errors found after validation (an upload check, a state of the case). WTForms caches
    ``form.errors`` on first use, so the cache is dropped for the error summary to see them."""
    field.errors = [*field.errors, *messages]
    form._errors = None
