from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from portal.core.formtools import PortalForm


class FeedbackForm(PortalForm):
    message = TextAreaField(
        _l("Ihre Nachricht"),
        description=_l("Beschreiben Sie, was nicht funktioniert oder schwer zu nutzen ist."),
        validators=[
            DataRequired(_l("Bitte beschreiben Sie das Problem in Ihrer Nachricht.")),
            Length(max=5000, message=_l("Ihre Nachricht darf höchstens 5.000 Zeichen lang sein.")),
        ],
    )
    page = StringField(
        _l("Seite, auf der das Problem auftritt"),
        description=_l("Zum Beispiel die Adresse oder der Titel der Seite."),
        validators=[
            Optional(),
            Length(
                max=500, message=_l("Die Angabe zur Seite darf höchstens 500 Zeichen lang sein.")
            ),
        ],
    )
    name = StringField(
        _l("Ihr Name"),
        validators=[
            Optional(),
            Length(max=200, message=_l("Ihr Name darf höchstens 200 Zeichen lang sein.")),
        ],
    )
    email = EmailField(
        _l("Ihre E-Mail-Adresse"),
        description=_l("Nur wenn Sie eine Antwort wünschen."),
        validators=[
            Optional(),
            Length(max=320, message=_l("Die E-Mail-Adresse ist zu lang.")),
            Email(
                message=_l("Bitte geben Sie eine E-Mail-Adresse im Format name@beispiel.de ein."),
                check_deliverability=False,
            ),
        ],
    )
