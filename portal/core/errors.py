"""German error pages that never show a stack trace."""

from __future__ import annotations

import logging

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

log = logging.getLogger(__name__)

MESSAGES = {
    400: (
        _l("Die Anfrage war fehlerhaft"),
        _l(
            "Ihre Eingabe konnte nicht verarbeitet werden. Bitte gehen Sie zurück und "
            "versuchen Sie es erneut."
        ),
    ),
    403: (
        _l("Kein Zugriff"),
        _l(
            "Sie haben keine Berechtigung, diese Seite aufzurufen. Wenn Sie angemeldet sind, "
            "prüfen Sie, ob Sie mit dem richtigen Konto angemeldet sind."
        ),
    ),
    404: (
        _l("Seite nicht gefunden"),
        _l(
            "Die Seite, die Sie aufrufen wollten, gibt es nicht oder nicht mehr. Prüfen Sie "
            "die Adresse oder beginnen Sie auf der Startseite."
        ),
    ),
    405: (_l("Aktion nicht möglich"), _l("Diese Aktion ist auf dieser Seite nicht möglich.")),
    413: (
        _l("Die Datei ist zu groß"),
        _l(
            "Was Sie hochladen wollten, ist größer als erlaubt und wurde nicht angenommen. "
            "Bitte gehen Sie zurück und wählen Sie eine kleinere Datei; Ihre übrigen Angaben "
            "aus früheren Schritten sind gespeichert."
        ),
    ),
    429: (
        _l("Zu viele Anfragen"),
        _l(
            "Sie haben in kurzer Zeit zu viele Anfragen gesendet. Bitte warten Sie einen "
            "Moment und versuchen Sie es dann erneut."
        ),
    ),
    500: (
        _l("Ein technischer Fehler ist aufgetreten"),
        _l(
            "Das ist nicht Ihre Schuld. Ihre Angaben wurden nicht gespeichert. Bitte versuchen "
            "Sie es später noch einmal."
        ),
    ),
    503: (
        _l("Vorübergehend nicht erreichbar"),
        _l(
            "Das Serviceportal ist gerade nicht erreichbar. Bitte versuchen Sie es später "
            "noch einmal."
        ),
    ),
}
CSRF_MESSAGE = (
    _l("Das Formular ist abgelaufen"),
    _l(
        "Aus Sicherheitsgründen konnte Ihr Formular nicht angenommen werden, weil es zu alt ist "
        "oder von einer anderen Seite stammt. Bitte laden Sie die Seite neu und senden Sie das "
        "Formular noch einmal."
    ),
)


def render_error(code: int, title: object, text: object) -> tuple[str, int]:
    return render_template("errors/error.html", code=code, title=title, text=text), code


PROBLEM_PATHS = "problem_json_paths"
# Titles for machines' problem details (the pages' titles speak to citizens).
PROBLEM_TITLES = {
    400: "Ungültige Anfrage",
    401: "Nicht angemeldet",
    403: "Keine Berechtigung",
    404: "Nicht gefunden",
    405: "Methode nicht erlaubt",
    409: "Nicht möglich",
    410: "Nicht mehr vorhanden",
    413: "Anfrage zu groß",
    415: "Falsches Format",
    422: "Ungültige Angaben",
    429: "Zu viele Anfragen",
    500: "Interner Fehler",
    503: "Vorübergehend nicht verfügbar",
}


def answer_with_problems(app: Flask, prefix: str) -> None:
    """Errors under ``prefix`` (a machine API) are RFC 9457 problem details, not pages."""
    app.extensions.setdefault(PROBLEM_PATHS, []).append(prefix)


def problem(status: int, title: str, detail: str = "", **extra: object) -> Response:
    """An ``application/problem+json`` response (RFC 9457)."""
    body: dict[str, object] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.content_type = "application/problem+json"
    return response


def _wants_problem() -> bool:
    prefixes: list[str] = current_app.extensions.get(PROBLEM_PATHS, [])
    return any(request.path.startswith(prefix) for prefix in prefixes)


def init_errors(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[str, int]:
        log.info("CSRF rejected for %s: %s", request.path, error.description)
        return render_error(400, *CSRF_MESSAGE)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        code = error.code or 500
        if code < 400:  # redirects raised as exceptions (RequestRedirect) pass through
            return error.get_response()
        title, text = MESSAGES.get(code, MESSAGES[500 if code >= 500 else 400])
        if _wants_problem():
            # werkzeug's own English descriptions stay out; ours (abort(404, "…")) go in
            own = error.description if error.description != type(error).description else ""
            answer = problem(code, PROBLEM_TITLES.get(code, str(title)), own or "")
            for name, value in error.get_response().headers.items():
                if name.lower() in ("www-authenticate", "retry-after", "allow"):
                    answer.headers[name] = value
            return answer
        response = error.get_response()
        body, _ = render_error(code, title, text)
        response.set_data(body)
        response.content_type = "text/html; charset=utf-8"
        return response

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> tuple[str, int] | Response:
        # The trace goes to the log for operators, never to the page.
        log.error("Unerwarteter Fehler bei %s %s", request.method, request.path, exc_info=error)
        if _wants_problem():
            return problem(500, PROBLEM_TITLES[500])
        return render_error(500, *MESSAGES[500])
