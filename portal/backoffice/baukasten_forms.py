"""Forms of the Baukasten (Verwaltung → Formulare): every input of the form editor, with German
errors that name the field. What the choices are (offices, earlier fields, conditions) is set
by the view from the draft; a posted value outside them is refused, never stored."""

from __future__ import annotations

import re
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Length, Optional, Regexp

from portal.applications.baukasten import new_key
from portal.applications.fields.types import parse_number
from portal.backoffice.forms import MultiCheckboxField
from portal.core.formtools import PortalForm, offered

KEY_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
KEY_MESSAGE = _l(
    "Der Kurzname darf nur Kleinbuchstaben, Ziffern und einzelne Bindestriche enthalten."
)
AMOUNT = r"\d{1,5}(?:,\d{1,2})?"


def cents(text: str | None) -> int:
    """An amount as typed ("30,60"), in cents; 0 when empty."""
    number = parse_number(text or "")
    return int((number or Decimal(0)) * 100)


def _key_field(description: str | None = None) -> StringField:
    return StringField(
        _l("Kurzname in der Adresse"),
        description=description
        or _l("Erscheint in der Adresse des Formulars, zum Beispiel „blaue-karte“."),
        validators=[
            Optional(),
            Length(max=90, message=_l("Der Kurzname darf höchstens 90 Zeichen lang sein.")),
            Regexp(KEY_PATTERN, message=KEY_MESSAGE),
        ],
    )


def _condition_field() -> SelectField:
    return SelectField(
        _l("Nur zeigen, wenn"),
        default="",
        validate_choice=False,
        validators=[
            offered(
                _l(
                    "Nur zeigen, wenn: Eine Bedingung kann nur eine Antwort eines früheren "
                    "Schritts prüfen. Bitte wählen Sie eine der angebotenen."
                )
            )
        ],
    )


def _office_field() -> SelectField:
    return SelectField(
        _l("Amt, das die Anträge bearbeitet"),
        validate_choice=False,
        validators=[offered(_l("Bitte wählen Sie das Amt, das die Anträge bearbeitet."))],
    )


class FimUploadForm(PortalForm):
    """Baukasten: a new form from an XDatenfelder Stammdatenschema."""

    office = _office_field()
    schema = FileField(
        _l("FIM-Stammdatenschema (XML-Datei)"),
        description=_l(
            "Eine Datei im Format XDatenfelder 1 oder 2, zum Beispiel aus dem FIM-Portal des "
            "Bundes. Höchstens 5 MB."
        ),
    )
    key = _key_field(
        _l(
            "Erscheint in der Adresse des Formulars, zum Beispiel „blaue-karte“. Leer lassen: "
            "ein Kurzname aus der Kennung des Schemas."
        )
    )


TRUST_CHOICES = [
    SelectChoice("basisregistrierung", _l("Basisregistrierung (Benutzername und Passwort)")),
    SelectChoice("substanziell", _l("Substanziell (zum Beispiel ELSTER-Zertifikat)")),
    SelectChoice("hoch", _l("Hoch (Online-Ausweis)")),
]
PAYMENT_CHOICES = [
    SelectChoice("none", _l("Keine Gebühr")),
    SelectChoice("before_handoff", _l("Vor der Weitergabe an das Amt bezahlen")),
    SelectChoice("afterwards", _l("Nach dem Absenden bezahlen")),
    SelectChoice("optional", _l("Bezahlen möglich, nicht nötig")),
]
FEE_CHOICES = [
    SelectChoice("none", _l("keine Gebühr")),
    SelectChoice("fixed", _l("fester Betrag")),
    SelectChoice("per_item", _l("je Stück (Betrag mal Anzahl)")),
    SelectChoice("tiered", _l("gestaffelt nach Anzahl")),
]
ACCOUNT_CHOICES = [
    SelectChoice("buerger", _l("Bürgerinnen und Bürger")),
    SelectChoice("organisation", _l("Unternehmen und Organisationen")),
]


class FormSettingsForm(PortalForm):
    """Baukasten: what holds for the whole form."""

    title = StringField(
        _l("Titel des Formulars"),
        validators=[
            DataRequired(_l("Bitte geben Sie den Titel des Formulars ein.")),
            Length(max=300, message=_l("Der Titel darf höchstens 300 Zeichen lang sein.")),
        ],
    )
    office = _office_field()
    service = StringField(
        _l("Leistungsschlüssel"),
        description=_l(
            "Die 14 Ziffern aus dem Leistungskatalog: Auf der Seite dieser Leistung erscheint "
            "dann „Online beantragen“."
        ),
        validators=[
            Optional(),
            Regexp(r"^\d{14}$", message=_l("Der Leistungsschlüssel hat genau 14 Ziffern.")),
        ],
    )
    trust_level = SelectField(
        _l("Nötiges Vertrauensniveau der Anmeldung"),
        choices=TRUST_CHOICES,
        validate_choice=False,
        validators=[offered(_l("Vertrauensniveau: Bitte wählen Sie eines der angebotenen."))],
    )
    accounts = MultiCheckboxField(
        _l("Wer den Antrag stellen darf"),
        choices=ACCOUNT_CHOICES,
        validate_choice=False,
        validators=[DataRequired(_l("Bitte wählen Sie, wer den Antrag stellen darf."))],
    )

    def validate_accounts(self, field: MultiCheckboxField) -> None:
        if not set(field.data or []) <= {choice.value for choice in ACCOUNT_CHOICES}:
            raise ValidationError(_l("Wer den Antrag stellen darf: Bitte wählen Sie nur "
                                     "angebotene Möglichkeiten."))  # fmt: skip

    fee_kind = SelectField(
        _l("Gebühr"),
        choices=FEE_CHOICES,
        validate_choice=False,
        validators=[offered(_l("Gebühr: Bitte wählen Sie eine der angebotenen Arten."))],
    )
    fee = StringField(
        _l("Fester Betrag in Euro"),
        description=_l("Zum Beispiel „30,60“. Gilt bei „fester Betrag“."),
        validators=[Optional(), Regexp(f"^{AMOUNT}$", message=_l(
            "Fester Betrag: Bitte geben Sie einen Betrag ein, zum Beispiel 30,60."))],
    )  # fmt: skip
    fee_field = SelectField(
        _l("Feld, nach dem sich die Gebühr richtet"),
        default="",
        validate_choice=False,
        validators=[offered(_l("Feld, nach dem sich die Gebühr richtet: Bitte wählen Sie eines "
                               "der angebotenen Felder."))],
        description=_l("Eine Zahl im Formular, zum Beispiel die Anzahl der Hunde. Gilt bei "
                       "„je Stück“ und „gestaffelt“."),
    )  # fmt: skip
    unit = StringField(
        _l("Betrag je Stück in Euro"),
        validators=[Optional(), Regexp(f"^{AMOUNT}$", message=_l(
            "Betrag je Stück: Bitte geben Sie einen Betrag ein, zum Beispiel 7,50."))],
    )  # fmt: skip
    tiers = TextAreaField(
        _l("Stufen"),
        description=_l("Eine Stufe je Zeile, zum Beispiel „bis 1: 60,00“, „bis 3: 100,00“ und "
                       "zuletzt „darüber: 150,00“. Gilt bei „gestaffelt“."),
        validators=[Optional(), Length(max=2000, message=_l(
            "Stufen: höchstens 2.000 Zeichen."))],
    )  # fmt: skip
    payment = SelectField(
        _l("Bezahlung"),
        choices=PAYMENT_CHOICES,
        validate_choice=False,
        validators=[offered(_l("Bezahlung: Bitte wählen Sie eine der angebotenen Regeln."))],
    )
    purpose = StringField(
        _l("Verwendungszweck der Zahlung"),
        validators=[
            Optional(),
            Length(
                max=140, message=_l("Der Verwendungszweck darf höchstens 140 Zeichen lang sein.")
            ),
        ],
    )

    def fee_definition(self) -> dict[str, object]:
        """The fee as the definition stores it (call after ``validate``)."""
        kind = self.fee_kind.data
        if kind == "fixed":
            return {"kind": "fixed", "amount_cents": cents(self.fee.data)}
        if kind == "per_item":
            return {"kind": "per_item", "field": self.fee_field.data,
                    "unit_cents": cents(self.unit.data)}  # fmt: skip
        if kind == "tiered":
            return {"kind": "tiered", "field": self.fee_field.data,
                    "tiers": parse_tiers(self.tiers.data or "")}  # fmt: skip
        return {"kind": "none"}

    def validate_fee(self, field: StringField) -> None:
        if self.fee_kind.data == "fixed" and cents(field.data) <= 0:
            raise ValidationError(_l("Fester Betrag: Bitte geben Sie den Betrag ein."))

    def validate_unit(self, field: StringField) -> None:
        if self.fee_kind.data == "per_item" and cents(field.data) <= 0:
            raise ValidationError(_l("Betrag je Stück: Bitte geben Sie den Betrag ein."))

    def validate_fee_field(self, field: SelectField) -> None:
        if self.fee_kind.data in ("per_item", "tiered") and not field.data:
            raise ValidationError(
                _l("Feld, nach dem sich die Gebühr richtet: Bitte wählen Sie ein Feld.")
            )

    def validate_tiers(self, field: TextAreaField) -> None:
        if self.fee_kind.data == "tiered":
            parse_tiers(field.data or "")  # raises ValidationError naming the line

    def validate_payment(self, field: SelectField) -> None:
        charged = self.fee_kind.data != "none"
        if charged and field.data == "none":
            raise ValidationError(
                _l("Bezahlung: Bei einer Gebühr wählen Sie bitte, wann sie bezahlt wird.")
            )
        if not charged and field.data != "none":
            raise ValidationError(_l("Bezahlung: Ohne Gebühr wählen Sie bitte „Keine Gebühr“."))


TIER = re.compile(rf"^bis\s+(\d{{1,6}})\s*:\s*({AMOUNT})$", re.IGNORECASE)
LAST_TIER = re.compile(rf"^dar(?:ü|ue)ber\s*:\s*({AMOUNT})$", re.IGNORECASE)


def parse_tiers(text: str) -> list[dict[str, int | None]]:
    """ "bis 1: 60,00" lines and a last "darüber: 150,00", as the definition's tiers."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    tiers: list[dict[str, int | None]] = []
    for number, line in enumerate(lines, start=1):
        last = LAST_TIER.match(line)
        if last and number == len(lines):
            tiers.append({"up_to": None, "amount_cents": cents(last.group(1))})
            continue
        step = TIER.match(line)
        if step is None:
            raise ValidationError(_l(
                "Stufen, Zeile %(number)s: Bitte schreiben Sie „bis 2: 60,00“ oder in der letzten "
                "Zeile „darüber: 150,00“.", number=number))  # fmt: skip
        if tiers and int(step.group(1)) <= int(tiers[-1]["up_to"] or 0):
            raise ValidationError(_l(
                "Stufen, Zeile %(number)s: Die Obergrenzen müssen von Zeile zu Zeile steigen.",
                number=number))  # fmt: skip
        tiers.append({"up_to": int(step.group(1)), "amount_cents": cents(step.group(2))})
    if not tiers or tiers[-1]["up_to"] is not None:
        raise ValidationError(_l("Stufen: Die letzte Zeile ist „darüber: Betrag“."))
    return tiers


def tiers_text(tiers: list[dict[str, object]]) -> str:
    def euro(value: object) -> str:
        amount = int(str(value or 0))
        return f"{amount // 100},{amount % 100:02d}"

    return "\n".join(
        f"bis {t['up_to']}: {euro(t.get('amount_cents'))}"
        if t.get("up_to") is not None
        else f"darüber: {euro(t.get('amount_cents'))}"
        for t in tiers
    )


ACCEPT_CHOICES = [
    SelectChoice("application/pdf", _l("PDF")),
    SelectChoice("image/jpeg", _l("Foto (JPEG)")),
    SelectChoice("image/png", _l("Bild (PNG)")),
]
PREFILL_CHOICES = [
    SelectChoice("", _l("nicht vorbelegen")),
    SelectChoice("person.given_name", _l("Vorname")),
    SelectChoice("person.family_name", _l("Familienname")),
    SelectChoice("person.birth_name", _l("Geburtsname")),
    SelectChoice("person.birth_date", _l("Geburtsdatum")),
    SelectChoice("person.birth_place", _l("Geburtsort")),
    SelectChoice("person.nationality", _l("Staatsangehörigkeit")),
    SelectChoice("person.street", _l("Straße und Hausnummer")),
    SelectChoice("person.postal_code", _l("Postleitzahl")),
    SelectChoice("person.locality", _l("Wohnort")),
    SelectChoice("person.email", _l("E-Mail-Adresse")),
    SelectChoice("person.phone", _l("Telefonnummer")),
    SelectChoice("organisation.name", _l("Name der Organisation")),
    SelectChoice("organisation.street", _l("Straße der Organisation")),
    SelectChoice("organisation.postal_code", _l("Postleitzahl der Organisation")),
    SelectChoice("organisation.locality", _l("Ort der Organisation")),
    SelectChoice("organisation.external_id", _l("Kennung der Organisation")),
]


class FieldEditForm(PortalForm):
    """Baukasten: one field of a step."""

    label = StringField(
        _l("Beschriftung"),
        validators=[
            DataRequired(_l("Bitte geben Sie die Beschriftung des Feldes ein.")),
            Length(max=200, message=_l("Die Beschriftung darf höchstens 200 Zeichen lang sein.")),
        ],
    )
    help = TextAreaField(
        _l("Hinweis unter der Beschriftung"),
        validators=[
            Optional(),
            Length(max=1000, message=_l("Der Hinweis darf höchstens 1.000 Zeichen lang sein.")),
        ],
    )
    required = BooleanField(_l("Pflichtfeld"))
    max_length = StringField(
        _l("Höchstens so viele Zeichen"),
        validators=[Optional(), Regexp(r"^(?:[1-9]\d{0,3}|10000)$", message=_l(
            "Höchstens so viele Zeichen: eine Zahl von 1 bis 10000."))],
    )  # fmt: skip
    minimum = StringField(
        _l("Kleinster erlaubter Wert"),
        validators=[Optional(), Regexp(r"^-?\d{1,9}(?:,\d{1,4})?$", message=_l(
            "Kleinster erlaubter Wert: Bitte geben Sie eine Zahl ein, zum Beispiel 0."))],
    )  # fmt: skip
    maximum = StringField(
        _l("Größter erlaubter Wert"),
        validators=[Optional(), Regexp(r"^-?\d{1,9}(?:,\d{1,4})?$", message=_l(
            "Größter erlaubter Wert: Bitte geben Sie eine Zahl ein, zum Beispiel 10."))],
    )  # fmt: skip
    options = TextAreaField(
        _l("Antworten zur Auswahl"),
        description=_l("Eine Antwort je Zeile. Soll das Amt einen eigenen Schlüssel bekommen, "
                       "schreiben Sie ihn davor: „K | Katze“."),
        validators=[Optional(), Length(max=10_000, message=_l(
            "Antworten zur Auswahl: höchstens 10.000 Zeichen."))],
    )  # fmt: skip
    accept = MultiCheckboxField(
        _l("Erlaubte Dateiarten"), choices=ACCEPT_CHOICES, validate_choice=False
    )
    max_mb = StringField(
        _l("Größte Datei in MB"),
        validators=[Optional(), Regexp(r"^(?:[1-9]|1\d|20)$", message=_l(
            "Größte Datei in MB: eine Zahl von 1 bis 20."))],
    )  # fmt: skip
    condition = _condition_field()
    prefill = SelectField(
        _l("Vorbelegen aus dem Nutzerkonto"),
        choices=PREFILL_CHOICES,
        default="",
        validate_choice=False,
        validators=[offered(_l("Vorbelegen: Bitte wählen Sie eine der angebotenen Angaben."))],
    )
    prefill_locked = BooleanField(_l("Vorbelegte Angabe kann nicht geändert werden"))

    def validate_accept(self, field: MultiCheckboxField) -> None:
        allowed = {choice.value for choice in ACCEPT_CHOICES}
        if not set(field.data or []) <= allowed:
            raise ValidationError(_l("Erlaubte Dateiarten: Bitte wählen Sie nur angebotene Arten."))
        if self.meta_kind == "file" and not field.data:
            raise ValidationError(_l("Erlaubte Dateiarten: Bitte wählen Sie mindestens eine."))

    def validate_maximum(self, field: StringField) -> None:
        low, high = parse_number(self.minimum.data or ""), parse_number(field.data or "")
        if low is not None and high is not None and high < low:
            raise ValidationError(
                _l("Größter erlaubter Wert: Er darf nicht kleiner als der kleinste sein.")
            )

    def choice_options(self) -> list[dict[str, str]]:
        """The options as the definition stores them (after ``validate``)."""
        found: list[dict[str, str]] = []
        for line in (self.options.data or "").splitlines():
            value, bar, label = line.partition("|")
            if not line.strip():
                continue
            label = (label if bar else value).strip()
            value = (
                value.strip()
                if bar
                else new_key(label, {o["value"] for o in found}, fallback="antwort")
            )
            found.append({"value": value, "label": label})
        return found

    def validate_options(self, field: TextAreaField) -> None:  # noqa: ARG002
        values = [o["value"] for o in self.choice_options()]
        if self.meta_kind == "choice" and not values:
            raise ValidationError(
                _l("Antworten zur Auswahl: Bitte geben Sie mindestens eine Antwort ein.")
            )
        if len(values) > 200:
            raise ValidationError(_l("Antworten zur Auswahl: höchstens 200 Antworten."))
        if len(set(values)) != len(values) or any(not v or len(v) > 100 for v in values):
            raise ValidationError(
                _l(
                    "Antworten zur Auswahl: Jeder Schlüssel (vor „|“) darf nur einmal vorkommen "
                    "und höchstens 100 Zeichen haben."
                )
            )

    meta_kind = ""  # the field's type, set by the view


class StepEditForm(PortalForm):
    title = StringField(
        _l("Überschrift des Schritts"),
        validators=[
            DataRequired(_l("Bitte geben Sie die Überschrift des Schritts ein.")),
            Length(max=200, message=_l("Die Überschrift darf höchstens 200 Zeichen lang sein.")),
        ],
    )
    intro = TextAreaField(
        _l("Einleitung"),
        validators=[Optional(), Length(max=2000, message=_l(
            "Die Einleitung darf höchstens 2.000 Zeichen lang sein."))],
    )  # fmt: skip
    condition = _condition_field()


class NewStepForm(PortalForm):
    title = StringField(
        _l("Überschrift des neuen Schritts"),
        validators=[
            DataRequired(_l("Bitte geben Sie die Überschrift des neuen Schritts ein.")),
            Length(max=200, message=_l("Die Überschrift darf höchstens 200 Zeichen lang sein.")),
        ],
    )


class NewFieldForm(PortalForm):
    kind = SelectField(_l("Art des Feldes"), validate_choice=False, validators=[offered(
        _l("Art des Feldes: Bitte wählen Sie eine der angebotenen Arten."))])  # fmt: skip
    label = StringField(
        _l("Beschriftung des neuen Feldes"),
        validators=[
            DataRequired(_l("Bitte geben Sie die Beschriftung des neuen Feldes ein.")),
            Length(max=200, message=_l("Die Beschriftung darf höchstens 200 Zeichen lang sein.")),
        ],
    )


class StructureForm(PortalForm):
    """A button of the overview: move or remove a step or a field."""

    aktion = StringField(validators=[Regexp(
        r"^(schritt|feld)-(hoch|runter|entfernen):[^:]{1,100}(?::[^:]{1,100})?$",
        message=_l("Diese Aktion gibt es nicht."))])  # fmt: skip


class ImportForm(PortalForm):
    office = _office_field()
    package = FileField(
        _l("Formular-Datei (JSON)"),
        description=_l("Eine Datei, die ein anderes Serviceportal mit „Exportieren“ erstellt hat. "
                       "Höchstens 5 MB."),
    )  # fmt: skip
    key = _key_field(_l("Leer lassen: der Kurzname aus der Datei."))


class CopyForm(PortalForm):
    office = _office_field()
    key = _key_field()

    def validate_key(self, field: StringField) -> None:
        if not (field.data or "").strip():
            raise ValidationError(_l("Bitte geben Sie einen Kurznamen für die Kopie ein."))


class FourEyesForm(PortalForm):
    office = StringField(validators=[Regexp(r"^\d{1,10}$")])
    on = StringField(validators=[AnyOf(["ja", "nein"])])


class FromServiceForm(PortalForm):
    """A new form for a catalogue service, picked from a search."""

    office = _office_field()
    leistung = SelectField(
        _l("Leistung"),
        default="",
        validate_choice=False,
        validators=[offered(_l("Leistung: Bitte wählen Sie eine der gefundenen Leistungen."))],
    )
    key = _key_field()

    def validate_key(self, field: StringField) -> None:
        if not (field.data or "").strip():
            raise ValidationError(_l("Bitte geben Sie einen Kurznamen für das Formular ein."))
