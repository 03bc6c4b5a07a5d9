from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SearchField,
    SelectChoice,
    StringField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from portal.core.formtools import PortalForm, offered


class SearchForm(PortalForm):
    """The search box: a GET form that changes nothing, so it carries no CSRF token."""

    class Meta:
        csrf = False

    q = SearchField(
        _l("Suchbegriff"),
        description=_l("Zum Beispiel: Personalausweis, Gewerbe anmelden, Hund"),
        validators=[
            Optional(),
            Length(max=200, message=_l("Bitte geben Sie höchstens 200 Zeichen ein.")),
        ],
    )
    online = BooleanField(_l("Nur Leistungen, die online beantragt werden können"))
    fuer = RadioField(
        _l("Leistungen für"),
        choices=[
            SelectChoice("", _l("alle")),
            SelectChoice("buerger", _l("Bürgerinnen und Bürger")),
            SelectChoice("unternehmen", _l("Unternehmen")),
        ],
        default="",
        validators=[Optional()],
    )
    seite = IntegerField(
        _l("Seite"),
        widget=HiddenField.widget,
        validators=[
            Optional(),
            NumberRange(min=1, max=10_000, message=_l("Diese Ergebnisseite gibt es nicht.")),
        ],
    )


class PlaceForm(PortalForm):
    """Where do you live: a postal code or the name of the place."""

    q = StringField(
        _l("Postleitzahl oder Ort"),
        description=_l("Zum Beispiel 12345 oder Musterstadt"),
        validators=[
            DataRequired(_l("Bitte geben Sie Ihre Postleitzahl oder Ihren Ort ein.")),
            Length(max=100, message=_l("Postleitzahl oder Ort: höchstens 100 Zeichen.")),
        ],
    )
    next = HiddenField()


class PickPlaceForm(PortalForm):
    """The region's places to choose from (or those a postal code shares)."""

    place = RadioField(
        _l("Ihr Wohnort"),
        validators=[
            InputRequired(_l("Bitte wählen Sie Ihren Wohnort.")),
            offered(_l("Bitte wählen Sie Ihren Wohnort aus der Liste.")),
        ],
        validate_choice=False,  # our message, not WTForms' (offered)
    )
    next = HiddenField()


class ForgetPlaceForm(PortalForm):
    next = HiddenField()
