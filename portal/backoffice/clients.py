"""Administration: the Fachverfahren that may use the office API, their offices and scopes.

A new client's secret is shown once, on the page that answers the form (never stored, never
cached); revoking a client ends its tokens at once.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from portal.backoffice.forms import NewClientForm, RevokeClientForm
from portal.catalog.models import Office
from portal.extensions import db
from portal.identity import clients
from portal.identity.access import logged_in_staff, staff_required
from portal.identity.models import StaffRole

bp = Blueprint("apiclients", __name__, url_prefix="/verwaltung/schnittstellen")

SCOPE_LABELS = {
    "cases:read": _l("Vorgänge lesen, Dateien abrufen, Eingang bestätigen"),
    "cases:write": _l("Status setzen, Rückfragen stellen, Bescheide zustellen"),
    "messages:write": _l("Nachrichten an Antragstellende senden"),
}


def _offices() -> list[Office]:
    return list(db.session.scalars(select(Office).order_by(Office.name)))


def _form() -> NewClientForm:
    form = NewClientForm()
    form.office.choices = [SelectChoice("", _("Bitte wählen"))] + [
        SelectChoice(str(office.id), office.name) for office in _offices()
    ]
    form.scopes.choices = [SelectChoice(scope, label) for scope, label in SCOPE_LABELS.items()]
    return form


def _page(form: NewClientForm, made: clients.NewClient | None = None) -> str:
    return render_template(
        "backoffice/clients.html",
        form=form,
        clients=clients.all_clients(),
        made=made,
        revoke_form=RevokeClientForm(),
        offices={office.id: office.name for office in _offices()},
        scope_labels=SCOPE_LABELS,
    )


@bp.get("")
@staff_required(StaffRole.ADMINISTRATION)
def overview() -> str:
    return _page(_form())


@bp.post("")
@staff_required(StaffRole.ADMINISTRATION)
def create() -> tuple[str, int] | str:
    form = _form()
    if not form.validate_on_submit():
        return _page(form), 422
    made = clients.create_client(
        form.name.data,
        [int(form.office.data)],
        list(form.scopes.data),
        created_by_id=logged_in_staff().id,
    )
    return _page(_form(), made)


@bp.post("/<int:client_id>/widerrufen")
@staff_required(StaffRole.ADMINISTRATION)
def revoke(client_id: int) -> Response:
    found = db.session.get(clients.ApiClient, client_id)
    if found is None or not RevokeClientForm().validate_on_submit():
        abort(404)
    clients.revoke_client(found)
    flash(_("Der Zugang „%(name)s“ ist widerrufen.", name=found.name), "success")
    return redirect(url_for(".overview"), 303)
