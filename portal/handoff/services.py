"""Schedule and deliver hand-off packages: exactly once at the target, whatever fails on the way.

``deliver`` claims a row with a lease (committed before anything is sent), builds the package,
hands it to the target and records the result. A crash after sending but before recording
leaves the lease to run out; the next run sends again with the same idempotency key, which the
target recognises. Failures are retried with exponential back-off; after
``PORTAL_HANDOFF_MAX_ATTEMPTS`` the row is given up and staff are alerted.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.exc import DBAPIError

from portal.applications.models import Application
from portal.catalog.offices import by_office_id
from portal.core.db import utcnow
from portal.core.jobs import enqueue
from portal.core.mail import send_mail
from portal.core.storage import StoredFileMissingError
from portal.extensions import db
from portal.handoff import fitconnect as _fitconnect  # noqa: F401 - registers the kind
from portal.handoff.models import Delivery, DeliveryState, Notice, OutboxRow
from portal.handoff.package import build
from portal.handoff.targets import (
    DeliveryError,
    PermanentDeliveryError,
    Target,
    targets_from,
    test_target_from,
)

log = logging.getLogger(__name__)
LEASE = dt.timedelta(minutes=5)
FIRST_RETRY = dt.timedelta(seconds=30)
LONGEST_WAIT = dt.timedelta(hours=6)


TEST = "!test"  # the key of the test target: no office reference can be spelt so


def configured_targets(app: Flask) -> dict[str, Target]:
    """The targets of ``PORTAL_HANDOFF_TARGETS`` by office reference, and the test target of
    ``PORTAL_HANDOFF_TEST_TARGET`` under ``TEST`` (checked, no database)."""
    settings = app.config["PORTAL"]
    folder = Path(settings.instance_path) / "handoff"
    found = targets_from(settings.handoff_targets, folder, settings)
    found[TEST] = test_target_from(
        settings.handoff_test_target, Path(settings.instance_path) / "handoff-test", settings
    )
    return found


def targets() -> dict[str, Target]:
    cached: dict[str, Target] | None = current_app.extensions.get("handoff_targets")
    if cached is None:
        cached = configured_targets(current_app)
        current_app.extensions["handoff_targets"] = cached
    return cached


def office_targets() -> dict[int, Target]:
    """The configured targets by office id. Raises ``ConfigError`` naming the setting when a
    reference names no office or several: a package must never go to a guessed target.
    Office ids never change, so a successful resolution is kept for the process."""
    cached: dict[int, Target] | None = current_app.extensions.get("handoff_office_targets")
    if cached is not None:
        return cached
    named = {ref: target for ref, target in targets().items() if ref not in ("*", TEST)}
    resolved: dict[int, Target] = by_office_id(named, "PORTAL_HANDOFF_TARGETS")
    current_app.extensions["handoff_office_targets"] = resolved
    return resolved


def target_for(office_id: int | None, *, test: bool = False) -> Target:
    """The office's target; a Testantrag's goes to the test target, never to the office."""
    if test:
        return targets()[TEST]
    found = office_targets().get(office_id) if office_id is not None else None
    return found or targets()["*"]


TARGET_LABELS = {
    "folder": _l("Ablage des Dokumentenmanagements"),
    "webhook": _l("Fachverfahren"),
    "email": _l("E-Mail-Postfach des Amtes"),
    "fitconnect": _l("FIT-Connect-Zustellpunkt"),
    "test": _l("Testziel des Baukastens"),
}
STATE_LABELS = {
    DeliveryState.WAITING: _l("wird übermittelt"),
    DeliveryState.DELIVERED: _l("übermittelt"),
    DeliveryState.GIVEN_UP: _l("fehlgeschlagen, bitte erneut senden"),
}


def target_label(name: str) -> str:
    """A target as staff read it ("Fachverfahren"), not its setting ("ordnungsamt:webhook")."""
    kind = "test" if name.startswith("test:") else name.rpartition(":")[2]
    return str(TARGET_LABELS.get(kind, _l("Ziel")))


def state_label(state: DeliveryState) -> str:
    return str(STATE_LABELS[state])


def backoff(attempts: int) -> dt.timedelta:
    wait: dt.timedelta = min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LONGEST_WAIT)
    return wait


def schedule(application: Application) -> Delivery:
    """The application's delivery row (made once), due now; the work runs after the commit."""
    target = target_for(application.office_id, test=application.test)
    label = target.name.replace(":", "-").replace("*", "alle")
    existing = db.session.scalar(
        select(Delivery).where(
            Delivery.application_id == application.id, Delivery.target == target.name
        )
    )
    if isinstance(existing, Delivery):
        return existing
    delivery = Delivery(
        application_id=application.id,
        target=target.name,
        idempotency_key=f"{application.reference}-{label}",
        state=DeliveryState.WAITING,
        next_attempt_at=utcnow(),
    )
    db.session.add(delivery)
    db.session.flush()
    enqueue(deliver, delivery.id)
    return delivery


Outbox = type[Delivery] | type[Notice]


def due(model: Outbox, now: dt.datetime) -> ColumnElement[bool]:
    """Waiting, its time has come, and no live lease (a dead worker's lease has run out)."""
    return and_(
        model.state == DeliveryState.WAITING,
        model.next_attempt_at <= now,
        or_(model.lease_until.is_(None), model.lease_until < now),
    )


def claim(model: Outbox, row_id: int, now: dt.datetime) -> bool:
    """Take the row for one attempt (committed, so others see the lease before anything is
    sent); ``False`` when it is not due or another worker has it."""
    claimed = db.session.execute(
        update(model)
        .where(model.id == row_id, due(model, now))
        .values(lease_until=now + LEASE, attempts=model.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        db.session.rollback()
        return False
    db.session.commit()  # others see the lease before anything is sent
    return True


def failed(delivery: OutboxRow, reason: str, now: dt.datetime, *, permanent: bool = False) -> None:
    settings = current_app.config["PORTAL"]
    delivery.last_error = reason[:2000]
    delivery.lease_until = None
    if permanent or delivery.attempts >= settings.handoff_max_attempts:
        delivery.state = DeliveryState.GIVEN_UP
        log.error(
            "hand-off %s given up after %d attempts: %s",
            delivery.idempotency_key,
            delivery.attempts,
            reason,
        )
        send_mail(
            settings.handoff_alert_email or settings.mail_from,
            f"Übermittlung aufgegeben: {delivery.idempotency_key}",
            (
                f"Die Übermittlung {delivery.idempotency_key} an {delivery.target} ist nach "
                f"{delivery.attempts} Versuchen gescheitert.\nLetzter Fehler: {reason}\n\n"
                "Bitte das Ziel prüfen und in der Verwaltung unter „Übermittlungen“ erneut senden."
            ),
        )
    else:
        delivery.next_attempt_at = now + backoff(delivery.attempts)
        log.warning(
            "hand-off %s failed (attempt %d): %s",
            delivery.idempotency_key,
            delivery.attempts,
            reason,
        )


def attempt(
    model: Outbox, row_id: int, now: dt.datetime, send: Callable[[OutboxRow], None]
) -> bool:
    """One attempt for one outbox row: claim it, ``send`` it, record the result."""
    if not claim(model, row_id, now):
        return False
    row = db.session.get(model, row_id)
    if row is None:
        return False
    try:
        send(row)
    except (DeliveryError, StoredFileMissingError, OSError) as error:
        failed(row, str(error), now, permanent=isinstance(error, PermanentDeliveryError))
        db.session.commit()
        return False
    row.state = DeliveryState.DELIVERED
    row.delivered_at = utcnow()
    row.lease_until = None
    row.last_error = ""
    db.session.commit()
    return True


def target_named(name: str) -> Target:
    found = {t.name: t for t in targets().values()}.get(name)
    if found is None:
        raise DeliveryError(f"Ziel {name} ist nicht mehr eingerichtet.")
    return found


def _send_package(row: OutboxRow) -> None:
    application = db.session.get(Application, getattr(row, "application_id", None))
    if application is None:
        raise DeliveryError("Der Antrag ist nicht mehr da.")
    target_named(row.target).deliver(build(application, row.idempotency_key))


def deliver(delivery_id: int, now: dt.datetime | None = None) -> bool:
    """One attempt for one delivery; ``True`` when it is (now) delivered."""
    return attempt(Delivery, delivery_id, now or utcnow(), _send_package)


def sweep(
    model: Outbox,
    one: Callable[[int, dt.datetime], bool],
    now: dt.datetime | None = None,
    limit: int = 100,
) -> int:
    """Try what is due (also rows whose worker died: their lease has run out)."""
    moment = now or utcnow()
    waiting = list(
        db.session.scalars(
            select(model.id).where(due(model, moment)).order_by(model.next_attempt_at).limit(limit)
        )
    )
    db.session.rollback()  # end the read before claiming
    delivered = 0
    for row_id in waiting:
        try:
            delivered += one(row_id, moment)
        except DBAPIError:
            # The database went away (a restart, a failover) while this one was being sent or
            # recorded. Its lease stays; after it runs out it goes again, and the target
            # knows it by its idempotency key. The others go on with a new connection.
            db.session.rollback()
            log.warning("Übermittlung %s: Datenbank nicht erreichbar", row_id, exc_info=True)
    return delivered


def run_due(now: dt.datetime | None = None, limit: int = 100) -> int:
    """Deliver the packages that are due."""
    return sweep(Delivery, deliver, now, limit)


class ResendRefusedError(ValueError):
    """Delivered already, or a worker is sending it right now; the message says which."""


def resend(delivery: Delivery, now: dt.datetime | None = None) -> None:
    """Staff: try a given-up (or waiting) delivery again now.

    Refused for a delivered package (its "übermittelt am" stays what it was) and while a
    worker holds a live lease (two workers must never send the same package at once).
    """
    moment = now or utcnow()
    if delivery.state == DeliveryState.DELIVERED:
        raise ResendRefusedError("delivered")
    if delivery.lease_until is not None and delivery.lease_until > moment:
        raise ResendRefusedError("leased")
    delivery.state = DeliveryState.WAITING
    delivery.next_attempt_at = utcnow()
    delivery.lease_until = None
    delivery.attempts = 0
    enqueue(deliver, delivery.id)


def deliveries_of(application: Application) -> list[Delivery]:
    return list(
        db.session.scalars(select(Delivery).where(Delivery.application_id == application.id))
    )


def transmitted_at(application: Application) -> dt.datetime | None:
    """When the application reached every target; ``None`` while one is outstanding."""
    rows = deliveries_of(application)
    if not rows or any(row.state != DeliveryState.DELIVERED for row in rows):
        return None
    return max(row.delivered_at for row in rows if row.delivered_at)


def delivery_figures() -> Iterator[Metric]:
    """For /metrics: deliveries by state (waiting, delivered, given up), and how many of the
    waiting ones are overdue by more than five minutes (a worker or the outbox loop is missing)."""
    now = utcnow()
    counts = dict(
        db.session.execute(select(Delivery.state, func.count()).group_by(Delivery.state)).all()
    )
    by_state = GaugeMetricFamily(
        "portal_handoff_deliveries", "Hand-off deliveries by state", labels=["state"]
    )
    for state in DeliveryState:
        by_state.add_metric([state.value], int(counts.get(state, 0)))
    yield by_state
    overdue = db.session.scalar(
        select(func.count())
        .select_from(Delivery)
        .where(
            Delivery.state == DeliveryState.WAITING,
            Delivery.next_attempt_at < now - dt.timedelta(minutes=5),
        )
    )
    gauge = GaugeMetricFamily(
        "portal_handoff_deliveries_overdue", "Waiting deliveries due more than five minutes ago"
    )
    gauge.add_metric([], int(overdue or 0))
    yield gauge
