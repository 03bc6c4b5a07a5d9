"""Field types of form definitions, as a registry: one class per type in one place.

Each type says how its text is checked (a German message naming the field), how a valid
answer is stored (normalised, so "2,0" and " 2 " are the same number and "ms ab 123" is
"MS-AB 123"), which WTForms field renders it and how the summary and receipt show it. A
definition naming a type not in ``FIELD_TYPES`` is refused when it is stored; the registry is
filled when ``portal.applications.fields.types`` is imported (by this package).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from wtforms import Field, StringField

if TYPE_CHECKING:
    from portal.applications.definition import Field as Spec


class FieldType:
    """A plain text line; subclasses change what differs."""

    name: ClassVar[str] = "text"
    input_type: ClassVar[str | None] = None  # HTML ``type`` of the input
    input_mode: ClassVar[str | None] = None  # HTML ``inputmode``
    has_answer: ClassVar[bool] = True  # False: shows text only, or is a file
    limits_length: ClassVar[bool] = False  # min_length / max_length apply

    def check(self, spec: Spec, text: str) -> str | None:  # noqa: ARG002 - the base accepts all
        """A German message for an answer of the wrong form, or ``None`` (text is not empty)."""
        return None

    def normalise(self, spec: Spec, text: str) -> str:  # noqa: ARG002
        """The stored form of an answer that passed ``check``."""
        return " ".join(text.split())

    def display(self, spec: Spec, value: Any) -> str:  # noqa: ARG002
        """The answer as the summary, the case view and the receipt show it."""
        return str(value)

    def quantity(self, value: Any) -> Decimal | None:  # noqa: ARG002
        """The answer as a number (fees per item); ``None`` for types that are not numbers."""
        return None

    def wtforms(self, spec: Spec, validators: list[Any], common: dict[str, Any]) -> Field | None:  # noqa: ARG002
        return StringField(validators=validators, **common)


FIELD_TYPES: dict[str, FieldType] = {}


def register(kind: type[FieldType]) -> type[FieldType]:
    FIELD_TYPES[kind.name] = kind()
    return kind


def field_type(name: str) -> FieldType:
    """The registered type; ``KeyError`` for an unknown one (definitions are checked first)."""
    return FIELD_TYPES[name]


def input_attributes() -> tuple[dict[str, str], dict[str, str]]:
    """HTML input types and input modes by field type, for the step template."""
    types = {name: kind.input_type for name, kind in FIELD_TYPES.items() if kind.input_type}
    modes = {name: kind.input_mode for name, kind in FIELD_TYPES.items() if kind.input_mode}
    return types, modes


Validator = Callable[[Any, Field], None]

from portal.applications.fields import types as _types  # noqa: E402, F401 - fills the registry
