"""Every submission reaches its target exactly once: target down for a while, a worker killed
mid-delivery, the database failing when the result is recorded, a target that stays down."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from portal.applications import services as applications
from portal.applications.models import Application
from portal.core.db import utcnow
from portal.core.mail import FolderMailer
from portal.extensions import db
from portal.handoff import services as handoff
from portal.handoff.models import Delivery, DeliveryState
from portal.identity.models import Person
from tests.handoff.receiver import Receiver
from tests.support.offices import ensure_office

SECRET = "handoff-test-secret"
DEFINITIONS = Path(__file__).resolve().parents[2] / "portal" / "applications" / "definitions"


@pytest.fixture(scope="module", autouse=True)
def demo_offices(app: Flask) -> None:
    """The offices the demo forms name (so this module also runs on its own)."""
    for slug in ("steueramt", "buergerbuero", "ordnungsamt", "kfz"):
        ensure_office(app, slug)


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    server = Receiver(SECRET)
    yield server
    server.stop()


@pytest.fixture
def webhook_app(make_app: Callable[..., Flask], receiver: Receiver, app: Flask) -> Iterator[Flask]:
    application = make_app(
        handoff_targets=f"*=webhook:{receiver.url}",
        handoff_webhook_secret=SECRET,
        handoff_max_attempts=3,
    )
    with application.app_context():
        yield application


def _submitted(subject: str, form: str = "hund-anmelden") -> Application:
    person = Person(issuer="https://idp.example", subject=subject, given_name="H", sources={})
    db.session.add(person)
    db.session.flush()
    row, _new = applications.store_definition(
        json.loads((DEFINITIONS / f"{form}.json").read_text("utf-8"))
    )
    draft = applications.start_draft(row, person, None)
    draft.answers = {**draft.answers, "hund": {"name": "Bello"}}
    assert applications.submit(draft, applications.definition_of(row), 1)
    db.session.commit()
    return draft


def _delivery(application: Application) -> Delivery:
    db.session.expire_all()
    return db.session.scalars(select(Delivery).filter_by(application_id=application.id)).one()


def test_a_target_that_is_down_for_a_while(webhook_app: Flask, receiver: Receiver) -> None:
    application = _submitted("handoff-down")
    handoff.schedule(application)
    db.session.commit()
    key = _delivery(application).idempotency_key
    receiver.down_for = 2
    start = utcnow()
    assert handoff.deliver(_delivery(application).id, start) is False
    first = _delivery(application)
    assert first.state == DeliveryState.WAITING
    assert first.attempts == 1
    assert "Antwort 503" in first.last_error
    assert first.next_attempt_at - start == dt.timedelta(seconds=30)
    assert handoff.run_due(start + dt.timedelta(seconds=10)) == 0  # not due yet
    assert handoff.run_due(start + dt.timedelta(seconds=31)) == 0  # due, down again
    assert _delivery(application).next_attempt_at - (
        start + dt.timedelta(seconds=31)
    ) == dt.timedelta(seconds=60)
    assert handoff.run_due(start + dt.timedelta(minutes=5)) == 1
    done = _delivery(application)
    assert done.state == DeliveryState.DELIVERED
    assert receiver.posts.count(key) == 3
    assert key in receiver.processed
    assert handoff.transmitted_at(application) is not None
    assert handoff.run_due(start + dt.timedelta(hours=1)) == 0  # nothing more to do


def test_a_worker_killed_mid_delivery(webhook_app: Flask, receiver: Receiver) -> None:
    application = _submitted("handoff-killed")
    delivery = handoff.schedule(application)
    db.session.commit()
    key, delivery_id = delivery.idempotency_key, delivery.id
    now = utcnow()
    # The worker claims the row and sends the package, then dies before recording it.
    assert handoff.claim(Delivery, delivery_id, now)
    target = handoff.targets()["*"]
    target.deliver(handoff.build(application, key))
    db.session.rollback()
    assert _delivery(application).state == DeliveryState.WAITING
    assert handoff.run_due(now + dt.timedelta(minutes=1)) == 0  # the lease still holds
    assert handoff.run_due(now + dt.timedelta(minutes=6)) == 1  # the lease ran out
    assert _delivery(application).state == DeliveryState.DELIVERED
    assert receiver.posts.count(key) == 2  # sent twice …
    assert list(receiver.processed).count(key) == 1  # … processed once, by its key


def test_the_database_failing_when_the_result_is_recorded(
    webhook_app: Flask, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    application = _submitted("handoff-dbdown")
    delivery = handoff.schedule(application)
    db.session.commit()
    key, delivery_id = delivery.idempotency_key, delivery.id
    now = utcnow()
    real_commit = db.session.commit
    calls = {"n": 0}

    def flaky_commit() -> None:
        calls["n"] += 1
        if calls["n"] == 2:  # 1: the lease; 2: recording the delivery
            db.session.rollback()
            raise OperationalError("COMMIT", {}, Exception("server closed the connection"))
        real_commit()

    monkeypatch.setattr(db.session, "commit", flaky_commit)
    with pytest.raises(OperationalError):
        handoff.deliver(delivery_id, now)
    monkeypatch.undo()
    assert _delivery(application).state == DeliveryState.WAITING
    assert key in receiver.processed  # the target has it; the portal does not know yet
    assert handoff.run_due(now + dt.timedelta(minutes=6)) == 1
    assert _delivery(application).state == DeliveryState.DELIVERED
    assert receiver.posts.count(key) == 2
    assert list(receiver.processed).count(key) == 1


def test_a_target_that_stays_down_alerts_staff_and_can_be_resent(
    webhook_app: Flask, receiver: Receiver
) -> None:
    application = _submitted("handoff-gone")
    handoff.schedule(application)
    db.session.commit()
    key = _delivery(application).idempotency_key
    receiver.down_for = 3
    moment = utcnow()
    for _ in range(3):
        handoff.deliver(_delivery(application).id, moment)
        moment = _delivery(application).next_attempt_at + dt.timedelta(seconds=1)
    given_up = _delivery(application)
    assert given_up.state == DeliveryState.GIVEN_UP
    assert given_up.attempts == 3
    mails = FolderMailer(Path(webhook_app.config["PORTAL"].instance_path) / "mail").sent()
    assert any(key in str(m["Subject"]) and "aufgegeben" in str(m["Subject"]) for m in mails)
    assert handoff.run_due(moment + dt.timedelta(days=1)) == 0  # no endless retries
    handoff.resend(given_up)
    db.session.commit()
    assert handoff.run_due(utcnow()) == 1
    assert key in receiver.processed


def test_the_folder_target_writes_each_package_once(
    make_app: Callable[..., Flask], tmp_path: Path, app: Flask
) -> None:
    folder = tmp_path / "dms"
    application_app = make_app(handoff_targets=f"*=folder:{folder}")
    with application_app.app_context():
        application = _submitted("handoff-folder")
        delivery = handoff.schedule(application)
        db.session.commit()
        key = delivery.idempotency_key
        now = utcnow()
        handoff.claim(Delivery, delivery.id, now)
        handoff.targets()["*"].deliver(handoff.build(application, key))
        db.session.rollback()
        assert handoff.run_due(now + dt.timedelta(minutes=6)) == 1
        packages = [p for p in folder.iterdir() if not p.name.startswith(".")]
        assert [p.name for p in packages] == [key]
        metadata = json.loads((folder / key / "metadata.json").read_text("utf-8"))
        data = (folder / key / "data.json").read_bytes()
        structure = metadata["contentStructure"]
        assert hashlib.sha512(data).hexdigest() == structure["data"]["hash"]["content"]
        assert structure["attachments"][0]["purpose"] == "report"
        receipt = next((folder / key / "anlagen").glob("receipt-*"))
        assert receipt.read_bytes().startswith(b"%PDF")
        assert metadata["publicServiceType"]["identifier"].endswith("99102013000000")
        assert json.loads(data)["answers"]["hund"]["name"] == "Bello"


def test_the_email_target_sends_one_message_per_package(
    make_app: Callable[..., Flask], tmp_path: Path, app: Flask
) -> None:
    application_app = make_app(
        handoff_targets="*=email:eingang@dms.musterstadt.example",
        instance_path=str(tmp_path),
    )
    with application_app.app_context():
        application = _submitted("handoff-email")
        delivery = handoff.schedule(application)
        db.session.commit()
        key, reference = delivery.idempotency_key, application.reference
        assert handoff.run_due(utcnow()) == 1
        # Sent again (as after a lost lease): the same Message-ID lets the mailbox drop it.
        handoff.targets()["*"].deliver(handoff.build(application, key))
    sent = [
        m
        for m in FolderMailer(tmp_path / "mail").sent()
        if m["To"] == "eingang@dms.musterstadt.example"
    ]
    assert len(sent) == 2
    assert {m["Message-ID"] for m in sent} == {f"<{key}@serviceportal.invalid>"}
    message = sent[0]
    assert message["Subject"] == f"Antrag {reference}"
    parts = {p.get_filename(): p.get_payload(decode=True) for p in message.iter_attachments()}
    metadata = json.loads(parts["metadata.json"])
    structure = metadata["contentStructure"]
    assert hashlib.sha512(parts["data.json"]).hexdigest() == structure["data"]["hash"]["content"]
    assert structure["attachments"]
    for listed in structure["attachments"]:
        content = next(v for k, v in parts.items() if k.startswith(listed["attachmentId"]))
        assert hashlib.sha512(content).hexdigest() == listed["hash"]["content"]


def test_a_mail_server_that_refuses_is_a_failed_attempt(
    make_app: Callable[..., Flask], app: Flask
) -> None:
    refusing = make_app(
        handoff_targets="*=email:eingang@dms.musterstadt.example",
        smtp_url="smtp://127.0.0.1:9",  # nothing listens on the discard port here
    )
    with refusing.app_context():
        application = _submitted("handoff-email-down")
        handoff.schedule(application)
        db.session.commit()
        assert handoff.run_due(utcnow()) == 0
        failed = _delivery(application)
        assert failed.state == DeliveryState.WAITING
        assert "E-Mail an eingang@dms.musterstadt.example" in failed.last_error


def _restart_postgresql() -> None:
    """Restart the PostgreSQL server this machine runs (CI's PostgreSQL run, as root)."""
    version = sorted(path.name for path in Path("/etc/postgresql").iterdir())[0]
    command = shutil.which("pg_ctlcluster") or "pg_ctlcluster"
    subprocess.run(
        [command, "--skip-systemctl-redirect", version, "main", "restart"],
        check=True,
        capture_output=True,
        timeout=120,
    )


def test_the_database_restarting_while_packages_are_sent(
    webhook_app: Flask, receiver: Receiver
) -> None:
    """A real restart of PostgreSQL while the worker waits for the target's answer: the
    worker's connection dies before it can record the delivery. The worker goes on with the
    other packages; after the lease the lost one goes again; each is processed exactly once."""
    if webhook_app.config["PORTAL"].database_url.split(":", 1)[0].split("+")[0] != "postgresql":
        pytest.skip("nur mit PostgreSQL (CI: PORTAL_TEST_DATABASE_URL)")
    if os.geteuid() != 0 or shutil.which("pg_ctlcluster") is None:
        pytest.skip("braucht pg_ctlcluster als root, um PostgreSQL neu zu starten")
    deliveries = []
    for number in range(4):
        application = _submitted(f"handoff-restart-{number}-{utcnow().timestamp()}")
        deliveries.append(handoff.schedule(application))
    db.session.commit()
    keys = [delivery.idempotency_key for delivery in deliveries]
    ids = [delivery.id for delivery in deliveries]
    restarted: list[str] = []

    def restart_once(key: str) -> None:
        if key == keys[1] and not restarted:
            restarted.append(key)
            _restart_postgresql()

    receiver.after_processing = restart_once
    try:
        now = utcnow()
        first = handoff.run_due(now)  # the restart happens while package 2 is answered
        assert restarted == [keys[1]]
        assert first <= 3  # the one whose result was lost is not counted
        db.session.expire_all()
        states = {
            d.id: d.state for d in db.session.scalars(select(Delivery).where(Delivery.id.in_(ids)))
        }
        assert states[ids[1]] == DeliveryState.WAITING  # sent, but not recorded
        handoff.run_due(now + dt.timedelta(minutes=6))  # its lease has run out
    finally:
        receiver.after_processing = None
    db.session.expire_all()
    done = list(db.session.scalars(select(Delivery).where(Delivery.id.in_(ids))))
    assert {d.state for d in done} == {DeliveryState.DELIVERED}
    for key in keys:
        assert list(receiver.processed).count(key) == 1
    assert receiver.posts.count(keys[1]) == 2  # sent twice, processed once
