"""The e-mail that confirms a submission, and the sweep that sends those a crash lost.

The confirmation is queued when the submission commits. A process that dies between the commit
and the job (or a job that fails) would leave the citizen without it, while the hand-off
recovers through its outbox; so every submission records when its confirmation went out, and
``send_missing_confirmations`` (run with the hand-off, every minute) sends the missing ones.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from sqlalchemy import select

from portal.applications.models import Application, ApplicationStatus
from portal.applications.services import PAY_WITHIN, definition_for, format_euro
from portal.core.db import utcnow
from portal.core.notices import login_address, send_notice
from portal.extensions import db
from portal.identity.models import Person

# A confirmation still missing this long after the submission was lost, not just queued.
OVERDUE = dt.timedelta(minutes=5)
# Older submissions are not confirmed any more: a mail days later would confuse.
GIVE_UP = dt.timedelta(days=2)
BERLIN = ZoneInfo("Europe/Berlin")


def send_confirmation(application_id: int, login: str = "") -> None:
    """Job: the confirmation e-mail; it names the service and the reference, nothing more.
    Idempotent: a confirmation already sent is not sent again."""
    application = db.session.get(Application, application_id)
    if application is None or application.confirmation_sent_at is not None:
        return
    person = db.session.get(Person, application.person_id) if application.person_id else None
    if person is None or not person.email:
        application.confirmation_sent_at = utcnow()  # nobody to write to: nothing is missing
        return
    with force_locale(person.locale or "de"):
        text = _(
            "Ihr Antrag „%(title)s“ ist eingegangen.\nAktenzeichen: %(reference)s\n\n"
            "Die Quittung und den Stand finden Sie nach der Anmeldung unter „Meine Anträge“.",
            title=application.title,
            reference=application.reference,
        )
        send_notice(
            person.email,
            _("Ihr Antrag %(reference)s ist eingegangen", reference=application.reference),
            text + _fee_lines(application),
            login or None,
        )
    application.confirmation_sent_at = utcnow()


def _fee_lines(application: Application) -> str:
    """The open fee, its amount and by when (issue 31, 4); nothing for a Testantrag or none."""
    if not application.fee_cents or application.test:
        return ""
    policy = definition_for(application).payment
    amount = format_euro(application.fee_cents)
    submitted = application.submitted_at or utcnow()
    day = format_date((submitted + PAY_WITHIN).astimezone(BERLIN).date(), "dd.MM.yyyy")
    if policy == "before_handoff":
        return "\n\n" + str(_(
            "Offene Gebühr: %(amount)s. An das Amt geht Ihr Antrag erst, wenn sie bezahlt ist. "
            "Falls noch nicht geschehen, bezahlen Sie bitte bis zum %(day)s unter „Meine "
            "Anträge“.", amount=amount, day=day))  # fmt: skip
    if policy in ("afterwards", "optional"):
        return "\n\n" + str(_(
            "Gebühr: %(amount)s. Falls noch nicht geschehen, können Sie sie unter „Meine "
            "Anträge“ online bezahlen; sonst erhalten Sie mit dem Bescheid eine "
            "Zahlungsaufforderung.", amount=amount))  # fmt: skip
    return ""


def send_missing_confirmations(now: dt.datetime | None = None) -> int:
    """Send the confirmations of submissions from the last two days that are overdue; each is
    committed as soon as it is sent. Returns how many went out."""
    moment = now or utcnow()
    due = list(
        db.session.scalars(
            select(Application.id).where(
                Application.status == ApplicationStatus.SUBMITTED,
                Application.confirmation_sent_at.is_(None),
                Application.submitted_at < moment - OVERDUE,
                Application.submitted_at > moment - GIVE_UP,
            )
        )
    )
    login = login_address()
    for application_id in due:
        send_confirmation(application_id, login)
        db.session.commit()
    return len(due)
