"""Bescheide: what the generated one says, its PDF, and the one a case was given."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import select

from portal.applications.models import Application
from portal.catalog.models import Office
from portal.extensions import db
from portal.identity.models import StaffAccount
from portal.postfach.models import Message, MessageAttachment, Thread
from portal.postfach.services import BERLIN


@dataclass(frozen=True)
class DecisionText:
    tenor: str
    reasons: str
    remedy: str


def decision_context(
    application: Application,
    staff: StaffAccount,
    text: DecisionText,
    *,
    applicant: Any,
    payment: Any = None,
    today: dt.date,
) -> dict[str, Any]:
    """Everything the Bescheid template shows; the same for the preview and the PDF.

    ``payment``: the application's payment, if any; a fee paid online is stated as paid, with
    the day and the Kassenzeichen, instead of as owed."""
    office = db.session.get(Office, application.office_id) if application.office_id else None
    paid = payment if payment is not None and getattr(payment, "paid_at", None) else None
    return {
        "application": application,
        "applicant": applicant,
        "office": office,
        "staff": staff,
        "tenor": text.tenor.strip(),
        "reasons": text.reasons.strip(),
        "remedy": text.remedy.strip(),
        "payment": paid,
        "today": today,
    }


def render_preview(context: dict[str, Any]) -> str:
    """The Bescheid's body as HTML for the case page, in German like the PDF."""
    with force_locale("de"):
        return render_template("postfach/_decision_body.html", **context)


def render_pdf(context: dict[str, Any]) -> bytes:
    """The Bescheid as a PDF (WeasyPrint), in German whatever the clerk's language."""
    from weasyprint import HTML  # noqa: PLC0415 - heavy import, only when a Bescheid is made

    with force_locale("de"):
        html = render_template("postfach/decision_pdf.html", **context)
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf


def issued_decision(application: Application) -> tuple[Thread, MessageAttachment] | None:
    """The Bescheid the case was given (its thread and PDF), newest first; ``None`` if none."""
    found = db.session.execute(
        select(Thread, MessageAttachment)
        .join(Message, Message.thread_id == Thread.id)
        .join(MessageAttachment, MessageAttachment.message_id == Message.id)
        .where(Thread.application_id == application.id, Message.kind == "bescheid")
        .order_by(Message.id.desc())
    ).first()
    return (found[0], found[1]) if found is not None else None


def deemed_delivered_on(retrieved: dt.datetime) -> dt.date:
    """The day a retrieved Bescheid counts as delivered: ``PORTAL_DECISION_DELIVERY_DAYS`` after
    its retrieval, as a day in German time."""
    days = current_app.config["PORTAL"].decision_delivery_days
    day: dt.date = (retrieved + dt.timedelta(days=days)).astimezone(BERLIN).date()
    return day
