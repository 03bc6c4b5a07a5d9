"""The PDF receipt (Quittung) of a submitted application, made with WeasyPrint.

It holds every answer that was shown, the names and checksums of the files, the fee and the
Aktenzeichen. It is rendered from the stored submission whenever it is asked for; a submission
never changes, and its form version is kept, so the receipt is always the same.
"""

from __future__ import annotations

from flask import render_template

from portal.applications import services
from portal.applications.definition import FormDefinition
from portal.applications.models import Application
from portal.catalog.models import Office
from portal.extensions import db


def render_html(application: Application, definition: FormDefinition) -> str:
    """The receipt names the authority that received it (the office, with its address) and,
    once paid, the payment (the template asks ``payment_of`` from the payments package)."""
    office = db.session.get(Office, application.office_id) if application.office_id else None
    return render_template(
        "applications/receipt.html",
        application=application,
        definition=definition,
        sections=services.visible_answers(application, definition),
        applicant=services.applicant_of(application),
        office=office,
    )


def render(application: Application, definition: FormDefinition) -> bytes:
    from weasyprint import HTML  # noqa: PLC0415 - heavy import, only when a receipt is made

    pdf: bytes = HTML(string=render_html(application, definition)).write_pdf()
    return pdf
