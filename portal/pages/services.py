"""Storing accessibility feedback and telling the responsible office."""

from __future__ import annotations

from flask import current_app

from portal.core.db import utcnow
from portal.core.jobs import enqueue
from portal.core.mail import send_mail
from portal.extensions import db
from portal.pages.models import AccessibilityFeedback


def record_feedback(
    message: str, page: str = "", name: str = "", email: str = ""
) -> AccessibilityFeedback:
    """Store feedback and queue the e-mail to the accessibility contact.

    Flushes, does not commit; the e-mail job runs only once the unit of work commits.
    """
    feedback = AccessibilityFeedback(
        message=message.strip(), page=page.strip(), name=name.strip(), email=email.strip()
    )
    db.session.add(feedback)
    db.session.flush()
    enqueue(forward_feedback, feedback.id)
    return feedback


def forward_feedback(feedback_id: int) -> bool:
    """Job: e-mail one feedback to ``PORTAL_ACCESSIBILITY_CONTACT``.

    Idempotent: feedback already forwarded is not sent again. Returns whether a mail went out.
    """
    feedback = db.session.get(AccessibilityFeedback, feedback_id)
    if feedback is None or feedback.forwarded_at is not None:
        return False
    lines = [
        "Über das Serviceportal ist eine Rückmeldung zur Barrierefreiheit eingegangen.",
        "",
        f"Eingegangen am: {feedback.created_at:%d.%m.%Y %H:%M} UTC",
        f"Seite: {feedback.page or '(nicht angegeben)'}",
        f"Name: {feedback.name or '(nicht angegeben)'}",
        f"E-Mail: {feedback.email or '(nicht angegeben)'}",
        "",
        feedback.message,
    ]
    send_mail(
        current_app.config["PORTAL"].accessibility_contact,
        f"Rückmeldung zur Barrierefreiheit Nr. {feedback.id}",
        "\n".join(lines),
    )
    feedback.forwarded_at = utcnow()
    return True
