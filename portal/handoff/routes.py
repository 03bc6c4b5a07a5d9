"""Back office: the state of every hand-off, with a resend button."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response

from portal.applications.models import Application
from portal.extensions import db
from portal.handoff import services
from portal.handoff.models import Delivery
from portal.identity.access import staff_required
from portal.identity.models import StaffRole

bp = Blueprint("handoff", __name__, template_folder="templates")
ROLES = (StaffRole.SACHBEARBEITUNG, StaffRole.AMTSLEITUNG, StaffRole.ADMINISTRATION)


class ResendForm(FlaskForm):  # type: ignore[misc]
    pass


@bp.get("/verwaltung/uebermittlungen")
@staff_required(*ROLES)
def overview() -> str:
    rows = db.session.execute(
        select(Delivery, Application)
        .join(Application, Application.id == Delivery.application_id)
        .order_by(Delivery.created_at.desc())
        .limit(500)
    ).all()
    return render_template("handoff/overview.html", rows=rows, form=ResendForm())


@bp.post("/verwaltung/uebermittlungen/<int:delivery_id>/erneut")
@staff_required(StaffRole.AMTSLEITUNG, StaffRole.ADMINISTRATION)
def resend(delivery_id: int) -> Response:
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is None or not ResendForm().validate_on_submit():
        abort(404)
    services.resend(delivery)
    flash(
        _("Die Übermittlung %(key)s wird erneut versucht.", key=delivery.idempotency_key), "success"
    )
    return redirect(url_for(".overview"), 303)
