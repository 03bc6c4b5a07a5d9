"""Languages: German by default, English through the language switch."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, redirect, request, session
from flask_babel import get_locale
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import HiddenField, SelectChoice, SelectField
from wtforms.validators import DataRequired

from portal.config import ConfigError
from portal.core.security import is_safe_local_path
from portal.extensions import babel

LANGUAGES = {"de": "Deutsch", "en": "English"}
SESSION_KEY = "locale"
TRANSLATIONS = "translations"

bp = Blueprint("i18n", __name__)


class LanguageForm(FlaskForm):  # type: ignore[misc]
    locale = SelectField(
        choices=[SelectChoice(code, name) for code, name in LANGUAGES.items()],
        validators=[DataRequired()],
    )
    next = HiddenField()


def select_locale() -> str:
    chosen = session.get(SESSION_KEY)
    if chosen in LANGUAGES:
        return str(chosen)
    return str(current_app.config["PORTAL"].default_locale)


@bp.post("/sprache")
def switch_language() -> Response:
    form = LanguageForm()
    target = form.next.data if is_safe_local_path(form.next.data) else "/"
    if form.validate_on_submit():
        session[SESSION_KEY] = form.locale.data
    return redirect(target, code=303)


def init_i18n(app: Flask) -> None:
    if app.config["PORTAL"].default_locale not in LANGUAGES:
        raise ConfigError(
            f"PORTAL_DEFAULT_LOCALE muss einer der Werte {', '.join(LANGUAGES)} sein."
        )
    app.config.setdefault("BABEL_DEFAULT_LOCALE", app.config["PORTAL"].default_locale)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", TRANSLATIONS)
    # WTForms' own messages follow the chosen language too.
    app.config.setdefault("WTF_I18N_ENABLED", True)
    babel.init_app(app, locale_selector=select_locale)
    app.register_blueprint(bp)

    @app.context_processor
    def language_context() -> dict[str, object]:
        locale = str(get_locale() or app.config["PORTAL"].default_locale)
        other = next(code for code in LANGUAGES if code != locale)
        # Rendered as plain hidden fields (see base.html); LanguageForm validates the post.
        return {
            "current_locale": locale,
            "other_locale": other,
            "other_language": LANGUAGES[other],
            "language_next": request.full_path.rstrip("?"),
        }
