"""Back office pages. Every view needs a staff login; the staff cookie only travels here."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from portal.backoffice.forms import EVERY_OFFICE, ROLE_LABELS, GrantRoleForm, RevokeRoleForm
from portal.catalog.models import Office
from portal.extensions import db
from portal.identity import services
from portal.identity.access import current_staff, staff_required
from portal.identity.models import StaffAccount, StaffRole

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
