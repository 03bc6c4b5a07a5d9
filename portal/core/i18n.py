"""Languages: German by default, English through the language switch."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, has_request_context, redirect, request
from flask_babel import get_locale
from markupsafe import Markup
from werkzeug.wrappers import Response

from portal.config import ConfigError
from portal.core.security import is_safe_local_path
from portal.extensions import babel

LANGUAGES = {"de": "Deutsch", "en": "English"}
COOKIE = "portal_sprache"
COOKIE_MAX_AGE = 365 * 24 * 3600
TRANSLATIONS = "translations"

bp = Blueprint("i18n", __name__)


def select_locale() -> str:
    if not has_request_context():  # a background job: the portal's default language
        return str(current_app.config["PORTAL"].default_locale)
    chosen = request.cookies.get(COOKIE)
    if chosen in LANGUAGES:
        return str(chosen)
    return str(current_app.config["PORTAL"].default_locale)


@bp.get("/sprache/<code>")
def switch_language(code: str) -> Response:
    """Remember the display language in its own cookie and go back.

    A plain link, not a form: it changes nothing but how the visitor's own pages read, and it
    keeps anonymous pages free of a session, so they can be shared from the page cache.
    """
    target = request.args.get("next", "")
    response = redirect(target if is_safe_local_path(target) else "/", code=303)
    if code in LANGUAGES:
        response.set_cookie(
            COOKIE,
            code,
            max_age=COOKIE_MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=current_app.config["PORTAL"].is_production,
        )
    return response


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
        return {
            "current_locale": locale,
            "other_locale": other,
            "other_language": LANGUAGES[other],
            "language_next": request.full_path.rstrip("?") if has_request_context() else "/",
            # Content that exists only in German (the Redaktion's texts, forms, messages) is
            # marked as German on a page in another language (WCAG 3.1.2): <p{{ german }}>.
            "german": Markup(' lang="de"') if locale != "de" else "",
        }
