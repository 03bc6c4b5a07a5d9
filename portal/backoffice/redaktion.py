"""Redaktion: an office's own contact data, opening hours, responsibilities and online links.

Staff with the role Redaktion edit the offices they hold it for; administrators edit every
office. Imported values stay untouched (see ``catalog.editing``); every change is audited.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from portal.applications.models import AuditEntry
from portal.backoffice.forms import (
    AddResponsibilityForm,
    OfficeContactForm,
    OnlineLinkForm,
    RemoveResponsibilityForm,
    ServiceSearchForm,
)
from portal.catalog import editing
from portal.catalog.models import Leistung, Office
from portal.catalog.services import online_url
from portal.extensions import db
from portal.identity.access import logged_in_staff, staff_required
from portal.identity.models import StaffAccount, StaffRole

bp = Blueprint(
    "redaktion", __name__, url_prefix="/verwaltung/redaktion", template_folder="templates"
)
ROLES = (StaffRole.REDAKTION, StaffRole.ADMINISTRATION)


def may_edit(staff: StaffAccount, office: Office) -> bool:
    return staff.has_role(StaffRole.ADMINISTRATION) or staff.has_role(
        StaffRole.REDAKTION, office.id
    )


def editable_offices(staff: StaffAccount) -> list[Office]:
    query = select(Office).order_by(Office.name)
    if not staff.has_role(StaffRole.ADMINISTRATION):
        ids = [item.office_id for item in staff.roles if item.role == StaffRole.REDAKTION]
        query = query.where(Office.id.in_(ids))
    return list(db.session.scalars(query))


def _office(office_id: int) -> Office:
    office = db.session.get(Office, office_id)
    # Not found and not allowed look the same: no one learns which offices exist this way.
    if office is None or not may_edit(logged_in_staff(), office):
        abort(404)
    return office


def _audit(action: str, **detail: str) -> None:
    db.session.add(AuditEntry(staff_id=logged_in_staff().id, action=action, detail=detail))


@bp.get("/")
@staff_required(*ROLES)
def index() -> str:
    return render_template(
        "backoffice/redaktion/index.html", offices=editable_offices(logged_in_staff())
    )


def _office_page(
    office: Office,
    contact: OfficeContactForm | None = None,
    adding: AddResponsibilityForm | None = None,
) -> str:
    state = editing.office_state(office)
    if contact is None:
        contact = OfficeContactForm(
            data={
                "phone": state["phone"].current,
                "email": state["email"].current,
                "url": state["url"].current,
                "opening_hours": "\n".join(state["opening_hours"].current),
            }
        )
    search = ServiceSearchForm(request.args)
    found = editing.find_services(search.q.data or "") if search.validate() else []
    return render_template(
        "backoffice/redaktion/office.html",
        office=office,
        state=state,
        contact=contact,
        search=search,
        found=found,
        adding=adding or AddResponsibilityForm(),
        remove_form=RemoveResponsibilityForm(),
        responsibilities=editing.responsibilities_of(office),
        is_admin=logged_in_staff().has_role(StaffRole.ADMINISTRATION),
    )


@bp.get("/aemter/<int:office_id>")
@staff_required(*ROLES)
def office(office_id: int) -> str:
    return _office_page(_office(office_id))


@bp.post("/aemter/<int:office_id>")
@staff_required(*ROLES)
def save_office(office_id: int) -> Response | tuple[str, int]:
    item = _office(office_id)
    form = OfficeContactForm()
    if not form.validate_on_submit():
        return _office_page(item, contact=form), 422
    changed = editing.save_office(
        item,
        {
            "phone": (form.phone.data or "").strip(),
            "email": (form.email.data or "").strip(),
            "url": (form.url.data or "").strip(),
            "opening_hours": form.hour_lines(),
        },
    )
    if changed:
        _audit("catalog.office", office=item.source_id, fields=",".join(changed))
        flash(_("Die Angaben wurden gespeichert und sind sofort sichtbar."), "success")
    else:
        flash(_("Es gab keine Änderung."), "info")
    return redirect(url_for(".office", office_id=item.id), code=303)


@bp.post("/aemter/<int:office_id>/zustaendigkeiten")
@staff_required(StaffRole.ADMINISTRATION)
def add_responsibility(office_id: int) -> Response | tuple[str, int]:
    item = _office(office_id)
    form = AddResponsibilityForm()
    if not form.validate_on_submit():
        return _office_page(item, adding=form), 422
    leistung = db.session.get(Leistung, int(form.leistung.data))
    if leistung is None or not leistung.published:
        abort(404)
    area = form.area.data or ""
    if editing.add_responsibility(leistung, item, area):
        _audit("catalog.responsibility.add", office=item.source_id, service=leistung.source_id)
        flash(_("„%(name)s“ ist jetzt diesem Amt zugeordnet.", name=leistung.name), "success")
    else:
        flash(_("Das Amt ist für „%(name)s“ bereits zuständig.", name=leistung.name), "info")
    return redirect(url_for(".office", office_id=item.id), code=303)


@bp.post("/aemter/<int:office_id>/zustaendigkeiten/<int:responsibility_id>/entfernen")
@staff_required(StaffRole.ADMINISTRATION)
def remove_responsibility(office_id: int, responsibility_id: int) -> Response:
    item = _office(office_id)
    if not RemoveResponsibilityForm().validate_on_submit():
        abort(400)
    row = editing.remove_responsibility(item, responsibility_id)
    if row is None:
        abort(404)
    _audit("catalog.responsibility.remove", office=item.source_id, service=row.leistung.source_id)
    flash(_("Die Zuständigkeit wurde entfernt."), "success")
    return redirect(url_for(".office", office_id=item.id), code=303)


def _service(office: Office, service_id: int) -> Leistung:
    """A service the office is responsible for (by import, or assigned by an administrator):
    the Redaktion edits only its own services."""
    leistung = db.session.get(Leistung, service_id)
    if leistung is None or not any(row.office_id == office.id for row in leistung.zustaendigkeiten):
        abort(404)
    return leistung


def may_save_service(staff: StaffAccount, leistung: Leistung) -> bool:
    """The online link belongs to the whole service: while several offices share the service,
    only Administration changes it."""
    if staff.has_role(StaffRole.ADMINISTRATION):
        return True
    return len({row.office_id for row in leistung.zustaendigkeiten}) <= 1


def _service_page(office: Office, leistung: Leistung, form: OnlineLinkForm | None = None) -> str:
    state = editing.service_state(leistung)
    shown = online_url(leistung) or ""
    return render_template(
        "backoffice/redaktion/leistung.html",
        office=office,
        leistung=leistung,
        state=state,
        form=form or OnlineLinkForm(data={"online_url": state["online_url"].current}),
        own_form=bool(shown) and shown != state["online_url"].current,
        may_save=may_save_service(logged_in_staff(), leistung),
    )


@bp.get("/aemter/<int:office_id>/leistungen/<int:service_id>")
@staff_required(*ROLES)
def service(office_id: int, service_id: int) -> str:
    item = _office(office_id)
    return _service_page(item, _service(item, service_id))


@bp.post("/aemter/<int:office_id>/leistungen/<int:service_id>")
@staff_required(*ROLES)
def save_service(office_id: int, service_id: int) -> Response | tuple[str, int]:
    item = _office(office_id)
    leistung = _service(item, service_id)
    if not may_save_service(logged_in_staff(), leistung):
        abort(403)
    form = OnlineLinkForm()
    if not form.validate_on_submit():
        return _service_page(item, leistung, form), 422
    if editing.save_online_url(leistung, (form.online_url.data or "").strip()):
        _audit("catalog.service", office=item.source_id, service=leistung.source_id)
        flash(_("Der Link wurde gespeichert und ist sofort sichtbar."), "success")
    else:
        flash(_("Es gab keine Änderung."), "info")
    return redirect(url_for(".service", office_id=item.id, service_id=leistung.id), code=303)
