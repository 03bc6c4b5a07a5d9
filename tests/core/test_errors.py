from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask, abort


@pytest.fixture
def failing_app(make_app: Callable[..., Flask]) -> Flask:
    app = make_app()

    @app.get("/test/abort/<int:code>")
    def aborts(code: int) -> str:
        abort(code)

    @app.get("/test/crash")
    def crash() -> str:
        raise ZeroDivisionError("interne Einzelheit")

    return app


@pytest.mark.parametrize(
    ("code", "title"),
    [
        (400, "Die Anfrage war fehlerhaft"),
        (403, "Kein Zugriff"),
        (404, "Seite nicht gefunden"),
        (500, "Ein technischer Fehler ist aufgetreten"),
    ],
)
def test_error_pages_are_german_and_themed(failing_app: Flask, code: int, title: str) -> None:
    response = failing_app.test_client().get(f"/test/abort/{code}")
    body = response.get_data(as_text=True)
    assert response.status_code == code
    assert f'<h1 class="kern-heading-x-large">{title}</h1>' in body
    assert '<html lang="de"' in body
    assert "Zur Startseite" in body
    assert "Musterstadt" in body


def test_an_unknown_path_gives_the_404_page(failing_app: Flask) -> None:
    response = failing_app.test_client().get("/gibt/es/nicht")
    assert response.status_code == 404
    assert "Seite nicht gefunden" in response.get_data(as_text=True)


def test_an_unexpected_exception_never_shows_a_stack_trace(failing_app: Flask) -> None:
    response = failing_app.test_client().get("/test/crash")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Ein technischer Fehler ist aufgetreten" in body
    assert "Traceback" not in body
    assert "ZeroDivisionError" not in body
    assert "interne Einzelheit" not in body


def test_wrong_method_keeps_the_allow_header(failing_app: Flask) -> None:
    response = failing_app.test_client().delete("/impressum")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert "Aktion nicht möglich" in response.get_data(as_text=True)
