from __future__ import annotations

from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    SearchField,
    SelectField,
    SelectMultipleField,
    StringField,
    TelField,
    TextAreaField,
    URLField,
    ValidationError,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Email, Length, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from portal.core.formtools import PortalForm
from portal.identity.models import StaffRole

ROLE_LABELS = {
    StaffRole.SACHBEARBEITUNG: _l("Sachbearbeitung"),
    StaffRole.AMTSLEITUNG: _l("Amtsleitung"),
    StaffRole.REDAKTION: _l("Redaktion"),
    StaffRole.FORMULARREDAKTION: _l("Formularredaktion"),
    StaffRole.ADMINISTRATION: _l("Administration"),
}
EVERY_OFFICE = "alle"


class GrantRoleForm(PortalForm):
    email = EmailField(
        _l("Dienstliche E-Mail-Adresse"),
        description=_l(
            "Mit dieser Adresse meldet sich die Person zum ersten Mal an; danach gilt ihre Kennung."
        ),
        validators=[
            DataRequired(_l("Bitte geben Sie die dienstliche E-Mail-Adresse ein.")),
            Email(_l("Bitte geben Sie eine E-Mail-Adresse im Format name@beispiel.de ein.")),
            Length(max=320, message=_l("Die E-Mail-Adresse ist zu lang.")),
        ],
    )
    name = StringField(
        _l("Name"),
        validators=[
            Optional(),
            Length(max=200, message=_l("Der Name darf höchstens 200 Zeichen lang sein.")),
        ],
    )
    role = SelectField(
        _l("Rolle"),
        choices=[SelectChoice(role.value, label) for role, label in ROLE_LABELS.items()],
        validators=[DataRequired(_l("Bitte wählen Sie eine Rolle."))],
    )
    office = SelectField(
        _l("Amt"),
        description=_l("Die Rolle Administration gilt für alle Ämter."),
        validators=[DataRequired(_l("Bitte wählen Sie ein Amt."))],
    )

    def validate_office(self, field: SelectField) -> None:
        if self.role.data == StaffRole.ADMINISTRATION.value and field.data != EVERY_OFFICE:
            raise ValidationError(_l("Die Rolle Administration gilt immer für alle Ämter."))
        if self.role.data != StaffRole.ADMINISTRATION.value and field.data == EVERY_OFFICE:
            raise ValidationError(_l("Bitte wählen Sie das Amt, für das die Rolle gilt."))


class RevokeRoleForm(PortalForm):
    assignment = HiddenField(validators=[DataRequired()])


STATUS_LABELS = {
    "eingegangen": _l("Eingegangen"),
    "in_bearbeitung": _l("In Bearbeitung"),
    "rueckfrage": _l("Rückfrage"),
    "beschieden": _l("Beschieden"),
    "abgeschlossen": _l("Abgeschlossen"),
}


class QueueForm(PortalForm):
    class Meta:
        csrf = False  # a GET filter

    status = SelectField(
        _l("Status"),
        choices=[SelectChoice("", _l("alle offenen und beschiedenen"))]
        + [SelectChoice(key, label) for key, label in STATUS_LABELS.items()],
        validators=[Optional()],
    )
    form = SelectField(_l("Leistung"), validators=[Optional()], validate_choice=False)
    since = DateField(_l("Eingegangen ab"), validators=[Optional()])
    until = DateField(_l("Eingegangen bis"), validators=[Optional()])
    overdue = BooleanField(_l("Nur überfällige (seit 14 Tagen unverändert)"))
    mine = BooleanField(_l("Nur mir zugewiesene"))


class StatusForm(PortalForm):
    status = SelectField(
        _l("Neuer Status"), validators=[DataRequired(_l("Bitte wählen Sie den neuen Status."))]
    )
    note = TextAreaField(
        _l("Hinweis für die antragstellende Person"),
        description=_l("Erscheint im Verlauf, den die Person sieht."),
        validators=[
            Optional(),
            Length(max=2000, message=_l("Der Hinweis darf höchstens 2.000 Zeichen lang sein.")),
        ],
    )


class AssignForm(PortalForm):
    clerk = SelectField(_l("Zuständig"), validators=[Optional()])


# --- Redaktion: local catalogue changes ------------------------------------------------------

PHONE = Regexp(
    r"^[0-9+()/ \-]*$",
    message=_l("Bitte geben Sie nur Ziffern, Leerzeichen und die Zeichen + ( ) / - ein."),
)


def _web_address(_form: FlaskForm, field: StringField) -> None:
    value = (field.data or "").strip()
    if not value:
        return
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.netloc or " " in value:
        raise ValidationError(
            _l("Bitte geben Sie eine vollständige Internetadresse ein, die mit https:// beginnt.")
        )


class OfficeContactForm(PortalForm):
    phone = TelField(
        _l("Telefon"),
        validators=[
            Optional(),
            Length(max=100, message=_l("Die Telefonnummer darf höchstens 100 Zeichen lang sein.")),
            PHONE,
        ],
    )
    email = EmailField(
        _l("E-Mail-Adresse"),
        validators=[
            Optional(),
            Email(_l("Bitte geben Sie eine E-Mail-Adresse im Format name@beispiel.de ein.")),
            Length(max=320, message=_l("Die E-Mail-Adresse ist zu lang.")),
        ],
    )
    url = URLField(
        _l("Internetseite"),
        validators=[
            Optional(),
            Length(
                max=1000, message=_l("Die Internetadresse darf höchstens 1.000 Zeichen lang sein.")
            ),
            _web_address,
        ],
    )
    opening_hours = TextAreaField(
        _l("Öffnungszeiten"),
        description=_l(
            "Eine Zeile je Angabe, zum Beispiel „Mo–Fr 8:00–12:00“. Höchstens 20 Zeilen."
        ),
        validators=[Optional()],
    )

    def validate_opening_hours(self, _field: TextAreaField) -> None:
        lines = self.hour_lines()
        if len(lines) > 20:
            raise ValidationError(_l("Bitte geben Sie höchstens 20 Zeilen an."))
        if any(len(line) > 200 for line in lines):
            raise ValidationError(_l("Eine Zeile darf höchstens 200 Zeichen lang sein."))

    def hour_lines(self) -> list[str]:
        return [
            line.strip() for line in (self.opening_hours.data or "").splitlines() if line.strip()
        ]


class OnlineLinkForm(PortalForm):
    online_url = URLField(
        _l("Link zum Online-Dienst"),
        description=_l("Leer lassen, wenn es keinen Online-Dienst gibt."),
        validators=[
            Optional(),
            Length(
                max=1000, message=_l("Die Internetadresse darf höchstens 1.000 Zeichen lang sein.")
            ),
            _web_address,
        ],
    )


class ServiceSearchForm(PortalForm):
    class Meta:
        csrf = False  # a GET search

    q = SearchField(
        _l("Leistung suchen"),
        description=_l("Name oder 14-stelliger Leistungsschlüssel"),
        validators=[
            Optional(),
            Length(max=200, message=_l("Der Suchbegriff darf höchstens 200 Zeichen lang sein.")),
        ],
    )


class AddResponsibilityForm(PortalForm):
    leistung = HiddenField(validators=[DataRequired(), Regexp(r"^\d+$")])
    area = StringField(
        _l("Gebiet (Amtlicher Regionalschlüssel)"),
        description=_l("Leer lassen, wenn das Amt für die ganze Kommune zuständig ist."),
        validators=[
            Optional(),
            Regexp(
                r"^\d{1,12}$",
                message=_l("Der Regionalschlüssel besteht aus höchstens 12 Ziffern."),
            ),
        ],
    )


class RemoveResponsibilityForm(PortalForm):
    pass


# A Bescheid is written in German whatever language the clerk's pages are in.
REMEDY = (
    "Gegen diesen Bescheid kann innerhalb eines Monats nach seiner Bekanntgabe Widerspruch "
    "erhoben werden. Der Widerspruch ist schriftlich, elektronisch oder zur Niederschrift bei der "
    "Behörde einzulegen, die den Bescheid erlassen hat."
)


class DecisionForm(PortalForm):
    document = FileField(
        _l("Bescheid (PDF)"),
        description=_l(
            "Der unterschriebene Bescheid als PDF. Ohne PDF erstellt das Portal den Bescheid aus "
            "der Vorlage mit den Angaben unten."
        ),
    )
    tenor = TextAreaField(
        _l("Entscheidung"),
        description=_l(
            "Nur ohne PDF: was entschieden wurde, zum Beispiel „Der Antrag wird genehmigt.“"
        ),
        validators=[
            Length(max=5000, message=_l("Die Entscheidung darf höchstens 5.000 Zeichen lang sein."))
        ],
    )
    reasons = TextAreaField(
        _l("Begründung"),
        validators=[
            Length(max=20000, message=_l("Die Begründung darf höchstens 20.000 Zeichen lang sein."))
        ],
    )
    remedy = TextAreaField(
        _l("Rechtsbehelfsbelehrung"),
        default=REMEDY,
        description=_l(
            "Bitte prüfen: in manchen Ländern und Rechtsgebieten ist die Klage der Rechtsbehelf."
        ),
        validators=[
            Length(max=5000, message=_l("Die Belehrung darf höchstens 5.000 Zeichen lang sein."))
        ],
    )
    text = TextAreaField(
        _l("Begleittext"),
        validators=[
            DataRequired(_l("Bitte schreiben Sie einen kurzen Begleittext.")),
            Length(max=5000, message=_l("Der Begleittext darf höchstens 5.000 Zeichen lang sein.")),
        ],
    )


class MultiCheckboxField(SelectMultipleField):  # type: ignore[misc]
    """Several choices as a group of checkboxes (KERN form-check), not a multi-select box."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class NewClientForm(PortalForm):
    name = StringField(
        _l("Name des Fachverfahrens"),
        description=_l("So erscheint der Zugang in dieser Liste, z. B. „Hundesteuer (AKDB)“."),
        validators=[
            DataRequired(_l("Bitte geben Sie den Namen des Fachverfahrens ein.")),
            Length(max=200, message=_l("Der Name darf höchstens 200 Zeichen lang sein.")),
        ],
    )
    office = SelectField(
        _l("Amt"),
        description=_l(
            "Der Zugang sieht nur die Vorgänge dieses Amtes. Einen Zugang für mehrere Ämter "
            "legt der IT-Betrieb an."
        ),
        validators=[
            DataRequired(_l("Bitte wählen Sie das Amt, dessen Vorgänge der Zugang sieht."))
        ],
    )
    scopes = MultiCheckboxField(
        _l("Berechtigungen"),
        validators=[DataRequired(_l("Bitte wählen Sie mindestens eine Berechtigung."))],
    )


class RevokeClientForm(PortalForm):
    pass


class JourneyForm(PortalForm):
    name = StringField(
        _l("Name der Lebenslage"),
        description=_l("So, wie Bürgerinnen und Bürger es sagen: „Umzug“, „Geburt eines Kindes“."),
        validators=[
            DataRequired(_l("Bitte geben Sie den Namen der Lebenslage ein.")),
            Length(max=200, message=_l("Der Name darf höchstens 200 Zeichen lang sein.")),
        ],
    )
    intro = TextAreaField(
        _l("Einleitung"),
        validators=[
            Optional(),
            Length(max=1000, message=_l("Die Einleitung darf höchstens 1.000 Zeichen lang sein.")),
        ],
    )


class JourneyStepForm(PortalForm):
    leistung = HiddenField(validators=[DataRequired(), Regexp(r"^\d+$")])
    note = StringField(
        _l("Hinweis"),
        description=_l("Zum Beispiel „innerhalb von zwei Wochen“."),
        validators=[
            Optional(),
            Length(max=300, message=_l("Der Hinweis darf höchstens 300 Zeichen lang sein.")),
        ],
    )


class MoveStepForm(PortalForm):
    direction = HiddenField(validators=[AnyOf(["hoch", "runter", "entfernen"])])
