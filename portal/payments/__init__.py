"""ePayment: fees of submitted applications, a provider interface (Stripe Checkout, the
municipality's own payment service over XBezahldienste, and test providers for the embedded
default), a state machine, reconciliation, refunds and the cash-system export."""

from __future__ import annotations

from flask import Flask

from portal.core.metrics import register_source


def init_payments(app: Flask) -> None:
    from portal.payments.cli import payments_cli  # noqa: PLC0415
    from portal.payments.reconcile import payment_figures, services_ready  # noqa: PLC0415
    from portal.payments.routes import bp  # noqa: PLC0415
    from portal.payments.routing import init_providers  # noqa: PLC0415
    from portal.payments.services import (  # noqa: PLC0415
        payment_for,
        refund_note,
        shown_kassenzeichen,
        state_label,
    )

    init_providers(app)
    if any(
        name.startswith("xbd:") and not provider.is_test
        for name, provider in app.extensions["payment_providers"].items()
    ):
        app.extensions.setdefault("readiness_checks", {})["payment_services"] = services_ready
    app.register_blueprint(bp)
    register_source(app, "payments", payment_figures)
    app.cli.add_command(payments_cli)
    app.jinja_env.globals["payment_of"] = payment_for
    app.jinja_env.filters["payment_state"] = state_label
    app.jinja_env.filters["kassenzeichen"] = shown_kassenzeichen
    app.jinja_env.filters["refund_note"] = refund_note
