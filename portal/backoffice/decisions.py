"""Issuing a Bescheid from the case view: check, preview, then deliver on confirmation.

The clerk fills in the form (or uploads the signed PDF) and first sees the Bescheid as it will
go out. Only "Bescheid verbindlich zustellen" on that preview delivers it, and only if nothing
was changed since: the preview carries a fingerprint of what it showed. Every refusal is a 422
with every field as it was typed.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from flask import Blueprint, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from portal.applications import cases, uploads
from portal.applications import services as applications
from portal.applications.models import Application
from portal.applications.routes import BERLIN
from portal.backoffice.forms import DecisionForm
from portal.backoffice.routes import case_page
from portal.core.formtools import add_errors
from portal.core.storage import StoredFileMissingError, file_store, new_key
from portal.identity.access import CASE_WORK, logged_in_staff, staff_required
from portal.identity.models import StaffAccount
from portal.payments.services import payment_for
from portal.postfach import casework, decisions

bp = Blueprint("decisions", __name__, url_prefix="/verwaltung")
DRAFTS = "bescheid_entwurf"  # session: case → storage key of an uploaded PDF awaiting confirmation


def _context(
    application: Application, staff: StaffAccount, form: DecisionForm
) -> dict[str, object]:
    return decisions.decision_context(
        application,
        staff,
        decisions.DecisionText(
            form.tenor.data or "", form.reasons.data or "", form.remedy.data or ""
        ),
        applicant=applications.applicant_of(application),
        payment=payment_for(application),
        today=dt.datetime.now(BERLIN).date(),
    )


def _fingerprint(form: DecisionForm, upload_key: str) -> str:
    parts = (form.tenor.data, form.reasons.data, form.remedy.data, form.text.data, upload_key)
    return hashlib.sha256("\x1f".join(p or "" for p in parts).encode()).hexdigest()


def _stored_upload(public_id: str) -> str:
    drafts: dict[str, str] = session.get(DRAFTS, {})
    return drafts.get(public_id, "")


def _keep_upload(public_id: str, upload: FileStorage, form: DecisionForm) -> str | None:
    """Check and keep an uploaded PDF until it is confirmed; ``None`` with the error set."""
    try:
        checked = uploads.check_upload(upload.stream, ("application/pdf",))
    except uploads.UploadRefusedError as refused:
        add_errors(form, form.document, [str(refused)])
        return None
    key = new_key()
    file_store().put(key, checked.data)
    session[DRAFTS] = {**session.get(DRAFTS, {}), public_id: key}
    return key


@bp.post("/vorgaenge/<public_id>/bescheid")
@staff_required(*CASE_WORK)
def issue(public_id: str) -> Response | tuple[str, int] | str:
    """Preview (``aktion=vorschau``) or deliver (``aktion=zustellen``) the case's Bescheid."""
    staff = logged_in_staff()
    application = cases.case(staff, public_id, *CASE_WORK)
    form = DecisionForm()
    refusal = casework.decision_refused(application)
    if refusal:
        add_errors(form, form.text, [refusal])
        return case_page(application, decision_form=form), 422
    valid = form.validate_on_submit()
    upload = request.files.get("document")
    upload_key = _stored_upload(public_id)
    if valid and upload is not None and upload.filename:
        upload_key = _keep_upload(public_id, upload, form) or ""
        valid = bool(upload_key)
    if valid and not upload_key and not (form.tenor.data or "").strip():
        add_errors(
            form,
            form.tenor,
            [
                _(
                    "Bitte laden Sie den Bescheid als PDF hoch oder schreiben Sie die "
                    "Entscheidung; dann wird er aus der Vorlage erstellt."
                )
            ],
        )
        valid = False
    if not valid:
        return case_page(application, decision_form=form), 422
    fingerprint = _fingerprint(form, upload_key)
    if request.form.get("aktion") != "zustellen" or request.form.get("vorschau") != fingerprint:
        if request.form.get("aktion") == "zustellen":
            flash(_("Sie haben etwas geändert. Bitte prüfen Sie die neue Vorschau."), "warning")
        preview = "" if upload_key else decisions.render_preview(_context(application, staff, form))
        filename = upload.filename if upload is not None and upload.filename else ""
        return case_page(
            application,
            decision_form=form,
            preview=preview,
            preview_upload=filename or (_("hochgeladenes PDF") if upload_key else ""),
            fingerprint=fingerprint,
        )
    if upload_key:
        try:
            content = file_store().get(upload_key)
        except StoredFileMissingError:
            session[DRAFTS] = {k: v for k, v in session.get(DRAFTS, {}).items() if k != public_id}
            add_errors(form, form.document, [_("Bitte laden Sie das PDF noch einmal hoch.")])
            return case_page(application, decision_form=form), 422
    else:
        content = decisions.render_pdf(_context(application, staff, form))
    return _deliver(application, staff, form, content, upload_key)


def _deliver(
    application: Application,
    staff: StaffAccount,
    form: DecisionForm,
    content: bytes,
    upload_key: str,
) -> Response:
    casework.deliver_decision(application, form.text.data, content, staff)
    if upload_key:
        file_store().delete(upload_key)
        session[DRAFTS] = {
            k: v for k, v in session.get(DRAFTS, {}).items() if k != application.public_id
        }
    flash(_("Der Bescheid liegt im Postfach der antragstellenden Person."), "success")
    return redirect(url_for("backoffice.case", public_id=application.public_id), 303)
