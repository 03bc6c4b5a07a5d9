"""The Postfach: secure messages between an account and an office, per case or general."""

from __future__ import annotations

from typing import Any

from flask import Flask


def init_postfach(app: Flask) -> None:
    from portal.core.signals import (  # noqa: PLC0415
        application_submitted,
        payment_settled,
        refund_recorded,
    )
    from portal.postfach import decisions, services  # noqa: PLC0415
    from portal.postfach.routes import bp  # noqa: PLC0415

    def on_submitted(_sender: Any, application: Any, **_: Any) -> None:
        services.acknowledge_submission(application)

    def on_paid(_sender: Any, payment: Any, late: bool = False, **_: Any) -> None:
        services.acknowledge_payment(payment.application_id, payment.amount_cents, late=late)

    def on_refund(_sender: Any, payment: Any, amount_cents: int, done: bool, **_: Any) -> None:
        services.tell_refund(payment.application_id, amount_cents, done=done)

    application_submitted.connect(on_submitted, sender=app, weak=False)
    refund_recorded.connect(on_refund, sender=app, weak=False)
    payment_settled.connect(on_paid, sender=app, weak=False)
    app.register_blueprint(bp)
    # For the applicant's page of an application (templates of lower packages use them).
    app.jinja_env.globals["thread_of"] = services.existing_thread
    app.jinja_env.globals["issued_decision"] = decisions.issued_decision
    app.jinja_env.globals["query_open"] = services.query_open
    rotations = app.extensions.setdefault("key_rotations", [])
    rotations.append(("Postfach-Nachrichten", services.rotate_bodies))
    rotations.append(("Postfach-Anlagen", services.rotate_attachments))
    # Last: the blind index follows the newest key, which the app reads at start-up.
    rotations.append(("Postfach-Suchindex", services.reindex))
