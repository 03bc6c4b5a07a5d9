from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, RadioField, SearchField, SelectChoice
from wtforms.validators import Length, NumberRange, Optional


class SearchForm(FlaskForm):  # type: ignore[misc]
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
