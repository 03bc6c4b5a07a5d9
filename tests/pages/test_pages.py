from __future__ import annotations

import os
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, scoped_session

from portal.core.mail import FolderMailer
from portal.pages.models import AccessibilityFeedback
from portal.pages.services import forward_feedback, record_feedback
from tests.support.jobs import run_rq_jobs

REDIS_URL = os.environ.get("PORTAL_TEST_REDIS_URL", "")


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        ("/", "Willkommen im Serviceportal der Musterstadt"),
        ("/impressum", "Impressum"),
        ("/datenschutz", "Datenschutzerklärung"),
        ("/barrierefreiheit", "Erklärung zur Barrierefreiheit"),
    ],
)
def test_site_pages(client: FlaskClient, path: str, heading: str) -> None:
    response = client.get(path)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'<h1 class="kern-heading-x-large">{heading}</h1>' in html
    assert '<html lang="de"' in html
    assert 'href="#inhalt"' in html
    assert 'id="inhalt"' in html
    for link in ("/impressum", "/datenschutz", "/barrierefreiheit"):
        assert f'href="{link}"' in html


def test_breadcrumbs_mark_the_current_page(client: FlaskClient) -> None:
    html = client.get("/impressum").get_data(as_text=True)
    assert 'aria-label="Sie sind hier"' in html
    assert '<a class="kern-link" href="/">Startseite</a>' in html
    assert '<span aria-current="page">Impressum</span>' in html


def test_the_embedded_default_says_it_is_a_test_installation(
    client: FlaskClient, make_app: Callable[..., Flask]
) -> None:
    assert "Testumgebung:" in client.get("/").get_data(as_text=True)
    production = make_app(
        env="production",
        base_url="https://localhost",
        secret_key="Qk7vT2mX9pLr4Zw8Nc1Bd6Hf3Js5Gy0Ae",
        storage_keys="mVX9fC0N4i0d2zq6b0m5kq0aN8Bz3Yc1f6XG0xQqG5k=",
    )
    page = production.test_client().get("/", base_url="https://localhost")
    assert page.status_code == 200
    assert "Testumgebung:" not in page.get_data(as_text=True)


def test_healthz_reports_a_working_database(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json is not None
    assert response.json["status"] == "ok"
    assert response.json["checks"]["database"] == "ok"


def test_healthz_fails_when_the_database_is_unreachable(
    make_app: Callable[..., Flask],
) -> None:
    # Port 1 on loopback: nothing listens, the connection is refused at once.
    app = make_app(database_url="postgresql+psycopg://portal@127.0.0.1:1/portal", redis_url="")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "error", "checks": {"database": "error"}}


def test_healthz_fails_when_redis_is_unreachable(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(redis_url="redis://127.0.0.1:1/0")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json is not None
    assert response.json["checks"]["redis"] == "error"


def feedback_rows(session: scoped_session[Session], message: str) -> list[AccessibilityFeedback]:
    return list(session.scalars(select(AccessibilityFeedback).filter_by(message=message)))


def test_feedback_is_stored_and_forwarded(
    app: Flask,
    client: FlaskClient,
    db_session: scoped_session[Session],
    csrf_token: Callable[..., str],
    mail_folder: Path,
) -> None:
    message = "Der Kontrast der Fußzeile ist zu schwach (Test 1)."
    response = client.post(
        "/barrierefreiheit",
        data={
            "message": message,
            "page": "/impressum",
            "email": "erika@example.org",
            "csrf_token": csrf_token("/barrierefreiheit"),
        },
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/barrierefreiheit"
    assert "Ihre Rückmeldung ist bei uns eingegangen" in client.get("/barrierefreiheit").get_data(
        as_text=True
    )
    run_rq_jobs(app)
    [stored] = feedback_rows(db_session, message)
    db_session.refresh(stored)
    assert stored.email == "erika@example.org"
    assert stored.forwarded_at is not None
    mails = [m for m in FolderMailer(mail_folder).sent() if message in _text(m)]
    assert len(mails) == 1
    assert mails[0]["To"] == app.config["PORTAL"].accessibility_contact
    assert mails[0]["Subject"] == f"Rückmeldung zur Barrierefreiheit Nr. {stored.id}"


def test_invalid_feedback_keeps_the_input_and_names_each_field(
    client: FlaskClient, db_session: scoped_session[Session], csrf_token: Callable[..., str]
) -> None:
    response = client.post(
        "/barrierefreiheit",
        data={
            "message": "",
            "name": "Erika Mustermann",
            "email": "keine-adresse",
            "csrf_token": csrf_token("/barrierefreiheit"),
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Bitte prüfen Sie Ihre Angaben" in html
    assert "<title>Fehler: Erklärung zur Barrierefreiheit" in html
    assert 'href="#message">Ihre Nachricht: Bitte beschreiben Sie das Problem' in html
    assert 'href="#email">Ihre E-Mail-Adresse: Bitte geben Sie eine E-Mail-Adresse' in html
    assert 'value="Erika Mustermann"' in html
    assert 'value="keine-adresse"' in html
    assert 'aria-describedby="email-hint email-error"' in html
    assert (
        db_session.scalars(select(AccessibilityFeedback).filter_by(name="Erika Mustermann")).first()
        is None
    )


def test_overlong_feedback_is_refused_with_a_german_message(
    client: FlaskClient, db_session: scoped_session[Session], csrf_token: Callable[..., str]
) -> None:
    response = client.post(
        "/barrierefreiheit",
        data={"message": "x" * 5001, "csrf_token": csrf_token("/barrierefreiheit")},
    )
    assert response.status_code == 422
    assert "höchstens 5.000 Zeichen" in response.get_data(as_text=True)


def test_forwarding_is_idempotent(
    app: Flask, db_session: scoped_session[Session], mail_folder: Path
) -> None:
    message = "Doppelt gesendet? (Test 2)"
    with app.test_request_context():
        feedback = record_feedback(message)
        db_session.commit()
        assert forward_feedback(feedback.id) is True
        assert forward_feedback(feedback.id) is False
        assert forward_feedback(999_999_999) is False
    sent = [m for m in FolderMailer(mail_folder).sent() if message in _text(m)]
    assert len(sent) == 1


def _text(mail: EmailMessage) -> str:
    """The plain text of an e-mail, whether it has attachments (an appointment's .ics) or not."""
    body = mail.get_body(("plain",))
    return str(body.get_content()) if body is not None else ""
