"""Hand-off of submitted applications to DMS and Fachverfahren through a persistent outbox."""

from __future__ import annotations

from typing import Any

from flask import Flask

from portal.core.metrics import register_source


def init_handoff(app: Flask) -> None:
    from portal.core.signals import (  # noqa: PLC0415
        application_submitted,
        case_changed,
        payment_settled,
    )
    from portal.handoff import notices, services  # noqa: PLC0415
    from portal.handoff.cli import handoff_cli  # noqa: PLC0415
    from portal.handoff.routes import bp  # noqa: PLC0415

    def on_submitted(_sender: Any, application: Any, **_: Any) -> None:
        from portal.applications.services import definition_for  # noqa: PLC0415

        definition = definition_for(application)
        charged_first = definition.payment == "before_handoff" and application.fee_cents
        if charged_first and not application.test:  # a Testantrag is never charged
            return  # goes when the payment is settled
        services.schedule(application)

    def on_paid(_sender: Any, payment: Any, **_: Any) -> None:
        from portal.applications.models import Application  # noqa: PLC0415
        from portal.extensions import db  # noqa: PLC0415

        application = db.session.get(Application, payment.application_id)
        if application is not None:
            services.schedule(application)

    def on_change(_sender: Any, change: Any, **_: Any) -> None:
        notices.on_change(change)

    application_submitted.connect(on_submitted, sender=app, weak=False)
    case_changed.connect(on_change, sender=app, weak=False)
    payment_settled.connect(on_paid, sender=app, weak=False)
    # A typo in PORTAL_HANDOFF_TARGETS stops the start here, not at the first submission.
    app.extensions["handoff_targets"] = services.configured_targets(app)
    app.register_blueprint(bp)
    app.cli.add_command(handoff_cli)
    register_source(app, "handoff", services.delivery_figures)
    app.jinja_env.globals["transmitted_at"] = services.transmitted_at
    app.jinja_env.filters["delivery_target"] = services.target_label
    app.jinja_env.filters["delivery_state"] = services.state_label
