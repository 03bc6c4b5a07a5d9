"""Domain events between packages (blinker, as Flask uses): the sender does not import the
receivers. Receivers run inside the sender's unit of work."""

from __future__ import annotations

from typing import Any

from blinker import Namespace
from flask import current_app

_signals = Namespace()

# sender: the app; kwargs: application (just submitted, in this transaction)
application_submitted = _signals.signal("application-submitted")
# sender: the app; kwargs: payment (just became bezahlt, in this transaction)
payment_settled = _signals.signal("payment-settled")
# sender: the app; kwargs: payment, amount_cents, done (False: the Kasse is only asked to pay
# back; True: the money went back), in this transaction
refund_recorded = _signals.signal("refund-recorded")
# sender: the app; kwargs: change (a CaseChange just added, in this transaction)
case_changed = _signals.signal("case-changed")
# sender: the app; kwargs: person (about to be deleted, in this transaction)
account_deleting = _signals.signal("account-deleting")


def emit(signal: Any, **data: Any) -> None:
    """Send ``signal`` from the current app (receivers connect per app)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    signal.send(app, **data)
