"""Form definitions: our own declarative, versioned format for an online service's form.

A definition is JSON (``definitions/*.json``, or what ``forms import-fim`` writes) and lives
in the database, one row per key and version. An application keeps the version it was started
with, so a new version never changes a running draft. Shape (``schema: serviceportal-form/1``)::

    {"schema": "serviceportal-form/1", "key": "hund-anmelden", "version": 1,
     "title": "Hund anmelden", "service": "99102013000000",
     "trust_level": "basisregistrierung", "accounts": ["buerger"],
     "fee": {"kind": "fixed", "amount_cents": 0}, "payment": "none",
     "purpose": "Hundesteuer", "office": "steueramt",
     "steps": [{"key": "hund", "title": "Ihr Hund", "show_if": {...}, "fields": [
         {"key": "rasse", "type": "text", "label": "Rasse", "help": "...", "required": true,
          "max_length": 100, "show_if": {"field": "hund.art", "equals": "ja"},
          "prefill": "person.family_name", "prefill_locked": false}]}]}

Field types: text, textarea, number, integer, date, choice (``options``), checkbox, yesno,
email, phone, iban, postal_code, file (``accept``, ``max_bytes``) and info (text only).
A date may bound its answers (``earliest``, ``latest``: "today", "today-30y", "today+1y",
"today-14d", an ISO date, or ``step.field`` of a date asked before it).
Conditions (``show_if``) name a field of an *earlier* step as ``step.field`` with ``equals`` or
``in``, so the server alone decides what is shown, with or without script.
Fees: fixed (``amount_cents``), per_item (``field``, ``unit_cents``) or tiered (``field``,
``tiers``: [{"up_to": n, "amount_cents": c}, …], the last without ``up_to``).
Payment: none, optional, before_handoff or afterwards.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from portal.applications.fields import FIELD_TYPES
from portal.applications.fields.types import parse_number
from portal.identity.models import TrustLevel

SCHEMA = "serviceportal-form/1"
ACCOUNTS = frozenset({"buerger", "organisation"})
PAYMENT_POLICIES = frozenset({"none", "optional", "before_handoff", "afterwards"})
PREFILL_SOURCES = frozenset(
    {
        "person.given_name",
        "person.family_name",
        "person.birth_name",
        "person.birth_date",
        "person.birth_place",
        "person.nationality",
        "person.street",
        "person.postal_code",
        "person.locality",
        "person.email",
        "person.phone",
        "organisation.name",
        "organisation.street",
        "organisation.postal_code",
        "organisation.locality",
        "organisation.external_id",
    }
)
# The longest text answer without a max_length of its own (a name, an address, a description):
# checked when entered and kept at most in a draft, so no answer grows with what a script posts.
TEXT_LIMIT = 1_000
TEXTAREA_LIMIT = 10_000
DEFAULT_ACCEPT = ("application/pdf", "image/jpeg", "image/png")
DEFAULT_MAX_BYTES = 10 * 1024 * 1024


class DefinitionError(ValueError):
    """A definition that cannot be used; the message names the place."""


@dataclass(frozen=True)
class Condition:
    field: str  # "step.field"
    equals: str | None = None
    any_of: tuple[str, ...] = ()

    def holds(self, answers: dict[str, dict[str, Any]]) -> bool:
        step, _, name = self.field.partition(".")
        value = answers.get(step, {}).get(name)
        text = "" if value is None else str(value)
        if self.any_of:
            return text in self.any_of
        return text == (self.equals or "")


@dataclass(frozen=True)
class Option:
    value: str
    label: str


@dataclass(frozen=True)
class Field:
    key: str
    type: str
    label: str
    help: str = ""
    required: bool = False
    min_length: int | None = None
    max_length: int | None = None
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    pattern: str | None = None
    pattern_message: str | None = None
    options: tuple[Option, ...] = ()
    code_list: str | None = None
    show_if: Condition | None = None
    prefill: str | None = None
    prefill_locked: bool = False
    accept: tuple[str, ...] = DEFAULT_ACCEPT
    max_bytes: int = DEFAULT_MAX_BYTES
    section: str = ""
    # A date's plausible range: "today", "today-30y", "today+1y", "today-14d", "2000-01-01",
    # or "step.field", another date answered before it (the dog is not kept before its birth).
    earliest: str | None = None
    latest: str | None = None


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    fields: tuple[Field, ...]
    intro: str = ""
    show_if: Condition | None = None

    def field(self, key: str) -> Field | None:
        return next((item for item in self.fields if item.key == key), None)


@dataclass(frozen=True)
class Fee:
    kind: str = "none"  # none, fixed, per_item, tiered
    amount_cents: int = 0
    field: str | None = None  # "step.field" holding the count/quantity
    unit_cents: int = 0
    tiers: tuple[tuple[int | None, int], ...] = ()

    def amount(self, answers: dict[str, dict[str, Any]]) -> int:
        """The fee in cents for these answers."""
        if self.kind == "fixed":
            return self.amount_cents
        if self.kind in ("per_item", "tiered") and self.field:
            step, _, name = self.field.partition(".")
            # Parsed as the form parsed it: "2", " 2 ", "2,0" and "2.0" are two items, whether
            # the answer was stored normalised or (before normalising) as typed.
            number = parse_number(str(answers.get(step, {}).get(name) or "0"))
            quantity = max(int(number), 0) if number is not None else 0
            if self.kind == "per_item":
                return quantity * self.unit_cents
            for up_to, cents in self.tiers:
                if up_to is None or quantity <= up_to:
                    return cents
        return 0


@dataclass(frozen=True)
class FormDefinition:
    key: str
    version: int
    title: str
    steps: tuple[Step, ...]
    service: str = ""
    trust_level: TrustLevel = TrustLevel.BASISREGISTRIERUNG
    accounts: tuple[str, ...] = ("buerger",)
    fee: Fee = dataclasses.field(default_factory=Fee)
    payment: str = "none"
    purpose: str = ""
    office: str = ""
    intro: str = ""
    source: dict[str, str] = field(default_factory=dict)

    def step(self, key: str) -> Step | None:
        return next((item for item in self.steps if item.key == key), None)

    def visible_steps(self, answers: dict[str, dict[str, Any]]) -> list[Step]:
        return [s for s in self.steps if s.show_if is None or s.show_if.holds(answers)]

    def visible_fields(self, step: Step, answers: dict[str, dict[str, Any]]) -> list[Field]:
        return [f for f in step.fields if f.show_if is None or f.show_if.holds(answers)]

    @property
    def has_files(self) -> bool:
        return any(item.type == "file" for step in self.steps for item in step.fields)


def _condition(raw: Any, where: str, earlier: set[str]) -> Condition | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("field"), str):
        raise DefinitionError(f"{where}: Die Bedingung nennt kein Feld (show_if.field).")
    if raw["field"] not in earlier:
        raise DefinitionError(
            f"{where}: Die Bedingung nennt „{raw['field']}“. Eine Bedingung kann nur ein Feld "
            "eines früheren Schritts prüfen."
        )
    if "in" in raw:
        return Condition(raw["field"], any_of=tuple(str(v) for v in raw["in"]))
    return Condition(raw["field"], equals=str(raw.get("equals", "")))


def _decimal(value: Any, where: str) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise DefinitionError(f"{where}: „{value}“ ist keine Zahl.") from None


DATE_BOUND = re.compile(r"today(?:[+-]\d{1,3}[yd])?|\d{4}-\d{2}-\d{2}|[\w-]+\.[\w-]+")


def _date_bound(raw: Any, named: str, kind: str, dates: set[str]) -> str | None:
    if raw is None:
        return None
    text = str(raw)
    if kind != "date" or not DATE_BOUND.fullmatch(text):
        raise DefinitionError(
            f"{named}: Ein Datumsbereich (earliest, latest) ist „today“, „today-30y“, "
            "„today+14d“, ein Datum wie 2000-01-01 oder ein früher gefragtes Datumsfeld."
        )
    if "." in text and text not in dates:
        raise DefinitionError(
            f"{named}: Der Datumsbereich nennt „{text}“, das kein vorher gefragtes Datumsfeld ist."
        )
    return text


def _field(raw: dict[str, Any], where: str, earlier: set[str], dates: set[str]) -> Field:
    key, kind = str(raw.get("key", "")), str(raw.get("type", ""))
    if not key or "." in key:
        raise DefinitionError(f"{where}: Ein Feld hat keinen gültigen Schlüssel.")
    named = f"{where}, Feld „{raw.get('label') or key}“"
    if kind not in FIELD_TYPES:
        raise DefinitionError(f"{named}: Die Art „{kind}“ gibt es nicht.")
    options = tuple(
        Option(str(item["value"]), str(item.get("label", item["value"])))
        for item in raw.get("options", [])
    )
    if kind == "choice" and not options:
        raise DefinitionError(f"{named}: Eine Auswahl braucht mindestens eine Antwort.")
    prefill = raw.get("prefill")
    if prefill is not None and prefill not in PREFILL_SOURCES:
        raise DefinitionError(f"{named}: Die Vorbelegung „{prefill}“ gibt es nicht.")
    return Field(
        key=key,
        type=kind,
        label=str(raw.get("label", key)),
        help=str(raw.get("help", "")),
        required=bool(raw.get("required", False)),
        min_length=raw.get("min_length"),
        max_length=raw.get("max_length"),
        minimum=_decimal(raw.get("min"), named),
        maximum=_decimal(raw.get("max"), named),
        pattern=raw.get("pattern"),
        pattern_message=raw.get("pattern_message"),
        options=options,
        code_list=raw.get("code_list"),
        show_if=_condition(raw.get("show_if"), named, earlier),
        prefill=prefill,
        prefill_locked=bool(raw.get("prefill_locked", False)),
        accept=tuple(raw.get("accept", DEFAULT_ACCEPT)),
        max_bytes=int(raw.get("max_bytes", DEFAULT_MAX_BYTES)),
        section=str(raw.get("section", "")),
        earliest=_date_bound(raw.get("earliest"), named, kind, dates),
        latest=_date_bound(raw.get("latest"), named, kind, dates),
    )


# Fees are stored in cents as a 32-bit integer (PostgreSQL ``integer``).
MAX_FEE_CENTS = 2**31 - 1


def _largest_quantity(spec: Field) -> Decimal | None:
    """The largest count a field can hold, or ``None`` when it has no upper bound."""
    if spec.options:
        values = []
        for option in spec.options:
            try:
                values.append(Decimal(option.value))
            except InvalidOperation:
                values.append(Decimal(0))  # not a number: counts as 0 (see Fee.amount)
        return max(values)
    return spec.maximum


def _fee(raw: dict[str, Any] | None, fields: dict[str, Field]) -> Fee:
    if not raw:
        return Fee()
    kind = raw.get("kind", "none")
    if kind not in ("none", "fixed", "per_item", "tiered"):
        raise DefinitionError(f"Gebühr: Die Art „{kind}“ gibt es nicht.")
    if kind in ("per_item", "tiered") and raw.get("field") not in fields:
        raise DefinitionError(
            f"Gebühr: Das Feld „{raw.get('field')}“, nach dem sie sich richtet, gibt es nicht."
        )
    if kind == "per_item":
        largest = _largest_quantity(fields[raw["field"]])
        if largest is None:
            raise DefinitionError(
                f"Gebühr: Das Feld „{fields[raw['field']].label}“ braucht einen Höchstwert, "
                "sonst ist die Gebühr unbegrenzt."
            )
        if largest * int(raw.get("unit_cents", 0)) > MAX_FEE_CENTS:
            raise DefinitionError("Gebühr: Die höchstmögliche Gebühr ist zu groß.")
    tiers = tuple((item.get("up_to"), int(item["amount_cents"])) for item in raw.get("tiers", []))
    if kind == "tiered" and (not tiers or tiers[-1][0] is not None):
        raise DefinitionError("Gebühr: Die letzte Stufe gilt ohne Obergrenze („darüber“).")
    return Fee(
        kind=kind,
        amount_cents=int(raw.get("amount_cents", 0)),
        field=raw.get("field"),
        unit_cents=int(raw.get("unit_cents", 0)),
        tiers=tiers,
    )


def parse(raw: dict[str, Any]) -> FormDefinition:  # noqa: PLR0912 - one check per rule
    """Check and read a definition; raises DefinitionError naming the first problem."""
    if raw.get("schema") != SCHEMA:
        raise DefinitionError(f"Das Format muss „{SCHEMA}“ sein (schema).")
    key = str(raw.get("key", ""))
    if not key or not key.replace("-", "").isalnum() or key != key.lower():
        raise DefinitionError(
            "Der Kurzname (key) hat nur Kleinbuchstaben, Ziffern und Bindestriche."
        )
    steps: list[Step] = []
    earlier: set[str] = set()
    dates: set[str] = set()
    specs: dict[str, Field] = {}
    for index, step_raw in enumerate(raw.get("steps", [])):
        step_key = str(step_raw.get("key", ""))
        where = f"Schritt {index + 1} „{step_raw.get('title') or step_key}“"
        if not step_key or "." in step_key or any(s.key == step_key for s in steps):
            raise DefinitionError(f"{where}: Der Schlüssel fehlt oder kommt zweimal vor.")
        show_if = _condition(step_raw.get("show_if"), where, earlier)
        fields_list = []
        for item in step_raw.get("fields", []):
            fields_list.append(_field(item, where, earlier, dates))
            if item.get("type") == "date":  # a later date may be bounded by this one
                dates.add(f"{step_key}.{item.get('key')}")
        fields = tuple(fields_list)
        seen: set[str] = set()
        for item in fields:
            if item.key in seen:
                raise DefinitionError(
                    f"{where}: Der Schlüssel „{item.key}“ kommt bei zwei Feldern vor."
                )
            seen.add(item.key)
        if not fields:
            raise DefinitionError(f"{where}: Ein Schritt braucht mindestens ein Feld.")
        steps.append(
            Step(
                step_key,
                str(step_raw.get("title", step_key)),
                fields,
                str(step_raw.get("intro", "")),
                show_if,
            )
        )
        earlier |= {f"{step_key}.{f.key}" for f in fields}
        specs |= {f"{step_key}.{f.key}": f for f in fields}
    if not steps:
        raise DefinitionError("Das Formular braucht mindestens einen Schritt.")
    accounts = tuple(raw.get("accounts", ["buerger"]))
    if not accounts or not set(accounts) <= ACCOUNTS:
        raise DefinitionError(
            "Wer den Antrag stellen darf: Bürgerinnen und Bürger, Organisationen oder beide "
            "(accounts: buerger, organisation)."
        )
    payment = raw.get("payment", "none")
    if payment not in PAYMENT_POLICIES:
        raise DefinitionError(f"Bezahlung: Die Regel „{payment}“ gibt es nicht.")
    try:
        trust = TrustLevel.from_code(raw.get("trust_level", "basisregistrierung"))
    except KeyError:
        raise DefinitionError(
            "Vertrauensniveau: basisregistrierung, substanziell oder hoch (trust_level)."
        ) from None
    purpose = str(raw.get("purpose", raw.get("title", "")))
    return FormDefinition(
        key=key,
        version=int(raw.get("version", 1)),
        title=str(raw.get("title", key)),
        steps=tuple(steps),
        service=str(raw.get("service", "")),
        trust_level=trust,
        accounts=accounts,
        fee=_fee(raw.get("fee"), specs),
        payment=payment,
        purpose=purpose,
        office=str(raw.get("office", "")),
        intro=str(raw.get("intro", "")),
        source={str(k): str(v) for k, v in (raw.get("source") or {}).items()},
    )


def length_limit(spec: Field | None) -> int:
    """The most characters an answer to ``spec`` may have: its ``max_length``, else
    ``TEXTAREA_LIMIT`` for a textarea and ``TEXT_LIMIT`` for anything else."""
    if spec is not None and spec.max_length:
        return spec.max_length
    if spec is not None and spec.type == "textarea":
        return TEXTAREA_LIMIT
    return TEXT_LIMIT
