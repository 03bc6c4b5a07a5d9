from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional

from portal.identity.models import StaffRole

ROLE_LABELS = {
    StaffRole.SACHBEARBEITUNG: _l("Sachbearbeitung"),
    StaffRole.AMTSLEITUNG: _l("Amtsleitung"),
    StaffRole.REDAKTION: _l("Redaktion"),
    StaffRole.ADMINISTRATION: _l("Administration"),
}
EVERY_OFFICE = "alle"


class GrantRoleForm(FlaskForm):  # type: ignore[misc]
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


class RevokeRoleForm(FlaskForm):  # type: ignore[misc]
    assignment = HiddenField(validators=[DataRequired()])


STATUS_LABELS = {
    "eingegangen": _l("Eingegangen"),
    "in_bearbeitung": _l("In Bearbeitung"),
    "rueckfrage": _l("Rückfrage"),
    "beschieden": _l("Beschieden"),
    "abgeschlossen": _l("Abgeschlossen"),
}


class QueueForm(FlaskForm):  # type: ignore[misc]
    class Meta:
        csrf = False  # a GET filter

    status = SelectField(
        _l("Status"),
        choices=[SelectChoice("", _l("alle"))]
        + [SelectChoice(key, label) for key, label in STATUS_LABELS.items()],
        validators=[Optional()],
    )
    form = SelectField(_l("Leistung"), validators=[Optional()], validate_choice=False)
    since = DateField(_l("Eingegangen ab"), validators=[Optional()])
    until = DateField(_l("Eingegangen bis"), validators=[Optional()])
    overdue = BooleanField(_l("Nur überfällige (seit 14 Tagen unverändert)"))
    mine = BooleanField(_l("Nur mir zugewiesene"))


class StatusForm(FlaskForm):  # type: ignore[misc]
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


class AssignForm(FlaskForm):  # type: ignore[misc]
    clerk = SelectField(_l("Zuständig"), validators=[Optional()])
