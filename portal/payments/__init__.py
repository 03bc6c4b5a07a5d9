"""ePayment: fees of submitted applications, a provider interface (Stripe Checkout, and a test
provider for the embedded default), a state machine, refunds and the cash-system export."""

from __future__ import annotations

from flask import Flask


def init_payments(app: Flask) -> None:
    from portal.payments.providers import init_providers  # noqa: PLC0415
    from portal.payments.routes import bp  # noqa: PLC0415
    from portal.payments.services import payment_for, state_label  # noqa: PLC0415

    init_providers(app)
    app.register_blueprint(bp)
    app.jinja_env.globals["payment_of"] = payment_for
    app.jinja_env.filters["payment_state"] = state_label
