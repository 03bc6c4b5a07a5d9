"""Back office pages. Every view needs a staff login; the staff cookie only travels here."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask import Response as FlaskResponse
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from portal.applications import cases as cases_service
from portal.applications import services as applications
from portal.applications.cases import OVERDUE_AFTER, QueueFilter
from portal.applications.cases import queue as case_queue
from portal.applications.models import CASE_FLOW, Application, CaseStatus, FormVersion
from portal.backoffice.forms import (
    EVERY_OFFICE,
    ROLE_LABELS,
    STATUS_LABELS,
    AssignForm,
    DecisionForm,
    GrantRoleForm,
    QueueForm,
    RevokeRoleForm,
    StatusForm,
)
from portal.catalog.models import Office
from portal.core.db import utcnow
from portal.core.downloads import attachment
from portal.core.storage import StoredFileMissingError, file_store
from portal.extensions import db
from portal.handoff.services import deliveries_of
from portal.identity import services
from portal.identity.access import (
    CASE_READ,
    CASE_WORK,
    FORM_EDIT,
    TRUST_LEVEL_LABELS,
    current_staff,
    logged_in_staff,
    staff_required,
)
from portal.identity.models import StaffAccount, StaffRole, TrustLevel
from portal.payments.services import payment_for
from portal.payments.services import states_of as payment_states
from portal.postfach import casework
from portal.postfach.decisions import issued_decision
from portal.postfach.models import Thread
from portal.postfach.services import answered_queries, thread_for_application

bp = Blueprint("backoffice", __name__, url_prefix="/verwaltung", template_folder="templates")


def _offices() -> list[Office]:
    return list(db.session.scalars(select(Office).order_by(Office.name)))


@bp.get("/")
@staff_required()
def home() -> str:
    staff = current_staff()
    offices = {office.id: office for office in _offices()}
    return render_template(
        "backoffice/home.html",
        staff=staff,
        role_labels=ROLE_LABELS,
        offices=offices,
        is_admin=staff is not None and staff.has_role(StaffRole.ADMINISTRATION),
        is_redaktion=staff is not None and staff.has_role(StaffRole.REDAKTION),
        reads_cases=staff is not None and any(staff.has_role(role) for role in CASE_READ),
        edits_forms=staff is not None and any(staff.has_role(role) for role in FORM_EDIT),
    )


def _accounts_page(form: GrantRoleForm) -> str:
    accounts = list(db.session.scalars(select(StaffAccount).order_by(StaffAccount.email)))
    return render_template(
        "backoffice/accounts.html",
        accounts=accounts,
        form=form,
        revoke_form=RevokeRoleForm(),
        role_labels=ROLE_LABELS,
        offices={office.id: office for office in _offices()},
    )


def _grant_form() -> GrantRoleForm:
    form = GrantRoleForm()
    form.office.choices = [
        SelectChoice("", _("Bitte wählen")),
        SelectChoice(EVERY_OFFICE, _("Alle Ämter")),
    ] + [SelectChoice(str(office.id), office.name) for office in _offices()]
    return form


@bp.get("/konten")
@staff_required(StaffRole.ADMINISTRATION)
def accounts() -> str:
    return _accounts_page(_grant_form())


@bp.post("/konten")
@staff_required(StaffRole.ADMINISTRATION)
def grant_role() -> Response | tuple[str, int]:
    form = _grant_form()
    if not form.validate_on_submit():
        return _accounts_page(form), 422
    office_id = None if form.office.data == EVERY_OFFICE else int(form.office.data)
    staff = services.grant_staff_role(
        form.email.data, StaffRole(form.role.data), office_id, name=form.name.data or ""
    )
    flash(_("Die Rolle wurde für %(email)s eingetragen.", email=staff.email), "success")
    return redirect(url_for("backoffice.accounts"), code=303)


@bp.post("/konten/<int:staff_id>/rolle-entziehen")
@staff_required(StaffRole.ADMINISTRATION)
def revoke_role(staff_id: int) -> Response:
    form = RevokeRoleForm()
    staff = db.session.get(StaffAccount, staff_id)
    if staff is None or not form.validate_on_submit() or not form.assignment.data.isdigit():
        abort(404)
    me = current_staff()
    target = next((item for item in staff.roles if item.id == int(form.assignment.data)), None)
    if target is None:
        abort(404)
    if staff == me and target.role == StaffRole.ADMINISTRATION:
        flash(_("Ihre eigene Rolle Administration können Sie nicht entziehen."), "warning")
        return redirect(url_for("backoffice.accounts"), code=303)
    services.revoke_staff_role(staff, target.id)
    flash(_("Die Rolle wurde entzogen."), "success")
    return redirect(url_for("backoffice.accounts"), code=303)


# --- cases ---------------------------------------------------------------------------------


@bp.get("/vorgaenge")
@staff_required(*CASE_READ)
def cases() -> str:
    staff = logged_in_staff()
    form = QueueForm(request.args)
    forms = sorted({(row.key, row.title) for row in db.session.scalars(select(FormVersion))})
    form.form.choices = [SelectChoice("", _("alle"))] + [SelectChoice(k, t) for k, t in forms]
    chosen = QueueFilter()
    if form.validate():
        chosen = QueueFilter(
            status=form.status.data or "",
            form=form.form.data or "",
            since=form.since.data,
            until=form.until.data,
            overdue=bool(form.overdue.data),
            mine=bool(form.mine.data),
        )
    items = case_queue(staff, chosen)
    clerks = {s.id: s for s in db.session.scalars(select(StaffAccount))}
    ids = [item.id for item in items]
    return render_template(
        "backoffice/cases.html",
        form=form,
        items=items,
        clerks=clerks,
        offices={office.id: office.name for office in _offices()},
        applicants={item.id: applications.applicant_of(item) for item in items},
        payments=payment_states(ids),
        answered=answered_queries(ids),
        status_labels=STATUS_LABELS,
        overdue_before=utcnow() - OVERDUE_AFTER,
    )


def case_page(
    application: Application,
    status_form: StatusForm | None = None,
    *,
    decision_form: DecisionForm | None = None,
    preview: str = "",
    preview_upload: str = "",
    fingerprint: str = "",
) -> str:
    """The case view; ``decision_form`` with its errors or values, ``preview`` the Bescheid
    as it will be issued (awaiting confirmation)."""
    definition = applications.definition_for(application)
    current = application.case_status or CaseStatus.RECEIVED
    status_form = status_form or StatusForm()
    status_form.status.choices = [
        SelectChoice(item.value, STATUS_LABELS[item.value]) for item in CASE_FLOW[current]
    ]
    assign_form = AssignForm()
    assign_form.clerk.choices = [SelectChoice("", _("nicht zugewiesen"))] + [
        SelectChoice(str(c.id), c.name or c.email) for c in cases_service.clerks_for(application)
    ]
    assign_form.clerk.data = str(application.assigned_to_id or "")
    return render_template(
        "backoffice/case.html",
        application=application,
        definition=definition,
        applicant=applications.applicant_of(application),
        sections=applications.visible_answers(application, definition),
        payment=payment_for(application),
        deliveries=deliveries_of(application),
        events=cases_service.history(application, for_applicant=False),
        status_form=status_form,
        assign_form=assign_form,
        decision_form=decision_form or DecisionForm(),
        preview=preview,
        preview_upload=preview_upload,
        fingerprint=fingerprint,
        decision=issued_decision(application),
        later_files=_later_files(application),
        may_work=cases_service.may_work(logged_in_staff(), application),
        has_thread=db.session.scalar(
            select(Thread.id).where(Thread.application_id == application.id)
        )
        is not None,
        status_labels=STATUS_LABELS,
        trust_labels=TRUST_LEVEL_LABELS,
        TrustLevel=TrustLevel,
    )


def _later_files(application: Application) -> list[tuple[str, str, str]]:
    """Files the applicant sent into the running case: (thread id, file id, name)."""
    thread = db.session.scalars(
        select(Thread).where(Thread.application_id == application.id)
    ).first()
    if thread is None:
        return []
    return [
        (thread.public_id, item.public_id, item.filename)
        for message in thread.messages
        if not message.from_office
        for item in message.attachments
    ]


@bp.get("/vorgaenge/<public_id>")
@staff_required(*CASE_READ)
def case(public_id: str) -> str:
    staff = logged_in_staff()
    application = cases_service.case(staff, public_id)
    cases_service.audit(staff, "case.view", application)
    return case_page(application)


@bp.post("/vorgaenge/<public_id>/status")
@staff_required(*CASE_READ)
def case_status(public_id: str) -> Response | tuple[str, int]:
    staff = logged_in_staff()
    application = cases_service.case(staff, public_id, *CASE_WORK)
    form = StatusForm()
    current = application.case_status or CaseStatus.RECEIVED
    form.status.choices = [
        SelectChoice(item.value, STATUS_LABELS[item.value]) for item in CASE_FLOW[current]
    ]
    if not form.validate_on_submit() or form.status.data not in {
        i.value for i in CASE_FLOW[current]
    }:
        if not form.status.errors:
            form.status.errors = [str(casework.NOT_FROM_HERE)]
        return case_page(application, form), 422
    try:
        casework.set_status(application, CaseStatus(form.status.data), form.note.data or "", staff)
    except casework.CaseworkRefusedError as refused:
        getattr(form, refused.field).errors = [refused.reason]
        return case_page(application, form), 422
    flash(
        _("Der Status ist jetzt „%(status)s“.", status=STATUS_LABELS[form.status.data]), "success"
    )
    return redirect(url_for(".case", public_id=public_id), 303)


@bp.get("/vorgaenge/<public_id>/postfach")
@staff_required(*CASE_READ)
def case_thread(public_id: str) -> Response:
    """The case's Postfach thread (made on first use)."""
    staff = logged_in_staff()
    application = cases_service.case(staff, public_id)
    if application.erased_at is not None:
        abort(404)  # deleted after its retention period; no new thread for it
    existing = db.session.scalar(select(Thread).where(Thread.application_id == application.id))
    if existing is None and not cases_service.may_work(staff, application):
        abort(404)  # only who may answer opens the case's Postfach thread
    thread = existing or thread_for_application(application)
    return redirect(url_for("postfach.office_thread", public_id=thread.public_id), 303)


@bp.post("/vorgaenge/<public_id>/zuweisen")
@staff_required(*CASE_READ)
def case_assign(public_id: str) -> Response:
    staff = logged_in_staff()
    application = cases_service.case(staff, public_id, *CASE_WORK)
    form = AssignForm()
    allowed = {str(c.id): c for c in cases_service.clerks_for(application)}
    form.clerk.choices = [SelectChoice("", "")] + [SelectChoice(k, k) for k in allowed]
    if not form.validate_on_submit():
        abort(400)
    clerk = allowed.get(form.clerk.data or "")
    cases_service.assign(staff, application, clerk)
    flash(_("Die Zuständigkeit wurde gespeichert."), "success")
    return redirect(url_for(".case", public_id=public_id), 303)


@bp.get("/vorgaenge/<public_id>/dateien/<file_id>")
@staff_required(*CASE_READ)
def case_file(public_id: str, file_id: str) -> FlaskResponse:
    staff = logged_in_staff()
    application = cases_service.case(staff, public_id)
    item = next((f for f in application.files if f.public_id == file_id), None)
    if item is None:
        abort(404)
    try:
        data = file_store().get(item.storage_key)
    except StoredFileMissingError:
        abort(404)
    cases_service.audit(
        staff, "file.download", application, file=item.public_id, name=item.filename
    )
    return attachment(data, item.filename, item.content_type)


@bp.app_context_processor
def case_helpers() -> dict[str, object]:
    """For the applicant's pages: the case's status names and its visible history."""
    return {
        "case_status_labels": STATUS_LABELS,
        "case_history": lambda application: cases_service.history(application, for_applicant=True),
    }
