"""E-mail notices say who sends them and where to log in (or, by setting, carry no link)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, scoped_session

from portal.core.mail import FolderMailer
from portal.core.notices import notice_text
from portal.extensions import db
from portal.identity.models import Person
from portal.postfach import services as postfach
from tests.applications.test_cases import _submitted_dog
from tests.factories import make_application, make_form, make_office, make_person
from tests.identity.conftest import Portal
from tests.support.auth import login_as
from tests.support.jobs import run_rq_jobs


def test_the_submission_notice_names_portal_municipality_and_login(forms_portal: Portal) -> None:
    _anna, _ident, reference = _submitted_dog(forms_portal)
    run_rq_jobs(forms_portal.app)  # with Redis the notice leaves with the worker
    folder = Path(forms_portal.app.config["PORTAL"].instance_path) / "mail"
    sent = [m for m in FolderMailer(folder).sent() if reference in str(m["Subject"])]
    assert len(sent) == 1
    subject = " ".join(str(sent[0]["Subject"]).split())  # a long subject is folded
    assert subject == f"Serviceportal Musterstadt: Ihr Antrag {reference} ist eingegangen"
    body = sent[0].get_content()
    assert f"Anmelden im Serviceportal Musterstadt: {forms_portal.url}/anmelden" in body
    assert "Ihr Serviceportal Musterstadt" in body


def test_a_municipality_may_send_notices_without_links(make_app: Callable[..., Flask]) -> None:
    app = make_app(mail_links=0, base_url="https://service.musterstadt.example")
    with app.app_context():
        body = notice_text("In Ihrem Postfach liegt eine neue Nachricht.")
    assert "http" not in body
    assert "Bitte melden Sie sich wie gewohnt im Serviceportal Musterstadt an." in body
    linked = make_app(base_url="https://service.musterstadt.example")
    with linked.app_context():
        assert "https://service.musterstadt.example/anmelden" in notice_text("x")


def test_a_notice_sent_later_keeps_the_address_known_when_it_was_queued(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app()  # no PORTAL_BASE_URL: outside a request the address is unknown
    with app.app_context():
        later = notice_text("x", "http://portal.example/anmelden")
        unknown = notice_text("x")
    assert "Anmelden im Serviceportal Musterstadt: http://portal.example/anmelden" in later
    assert "http" not in unknown
    assert "bewusst" not in unknown  # links are allowed; the portal just does not know its address
    assert "Bitte melden Sie sich wie gewohnt im Serviceportal Musterstadt an." in unknown


def test_every_mail_carries_a_date_and_its_own_message_id(
    make_app: Callable[..., Flask],
) -> None:
    from portal.core.mail import send_mail

    app = make_app(mail_from="Serviceportal <noreply@musterstadt.example>")
    with app.app_context():
        send_mail("a@example.org", "Eins", "x")
        send_mail("a@example.org", "Zwei", "x")
        folder = Path(app.config["PORTAL"].instance_path) / "mail"
        sent = [m for m in FolderMailer(folder).sent() if str(m["Subject"]) in ("Eins", "Zwei")]
    assert all(m["Date"] for m in sent)
    ids = [str(m["Message-ID"]) for m in sent[-2:]]
    assert ids[0] != ids[1]
    assert all(i.endswith("@musterstadt.example>") for i in ids)


def test_a_citizen_who_uses_the_portal_in_english_gets_english_mail(
    app: Flask, client: FlaskClient, db_session: scoped_session[Session]
) -> None:
    """The language of the last visit is kept; notices queued later (by the office, by a job)
    are written in it. Someone who never chose English gets German."""
    with app.test_request_context("/"):
        english, german = make_person(email="en@example.org"), make_person(email="de@example.org")
        office = make_office()
        threads = []
        for person in (english, german):
            application = make_application(make_form(office), person)
            threads.append(postfach.thread_for_application(application).id)
        login_as(client, english)
        db.session.commit()
        english_id = english.id
    client.get("/sprache/en?next=/antraege")
    assert client.get("/antraege").status_code == 200
    db.session.expire_all()
    assert db.session.get(Person, english_id).locale == "en"
    with app.test_request_context("/"):
        for thread_id in threads:
            postfach.notify_account(thread_id, "https://portal.example/anmelden")
        folder = Path(app.config["PORTAL"].instance_path) / "mail"
        sent = {str(m["To"]): m for m in FolderMailer(folder).sent()}
    to_english, to_german = sent["en@example.org"], sent["de@example.org"]
    assert "New message in your mailbox" in str(to_english["Subject"])
    assert "Log in to the Serviceportal Musterstadt: https://portal.example/anmelden" in (
        to_english.get_content()
    )
    assert "Guten Tag" not in to_english.get_content()
    assert "Neue Nachricht in Ihrem Postfach" in str(to_german["Subject"])
    assert "Guten Tag" in to_german.get_content()
