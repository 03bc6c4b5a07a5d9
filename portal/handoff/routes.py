"""Back office: the state of every hand-off, with a resend button."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import Select, select
from werkzeug.wrappers import Response

from portal.applications.models import Application, AuditEntry
from portal.core.formtools import PortalForm
from portal.extensions import db
from portal.handoff import services
from portal.handoff.models import Delivery
from portal.identity.access import (
    CASE_READ,
    RESEND,
    in_scope,
    logged_in_staff,
    office_scope,
    staff_required,
)
from portal.identity.models import StaffAccount, StaffRole

bp = Blueprint("handoff", __name__, template_folder="templates")
PAGE_SIZE = 50


class ResendForm(PortalForm):
    pass


def _scoped(staff: StaffAccount, *roles: StaffRole) -> Select[Delivery, Application]:
    return (
        select(Delivery, Application)
        .join(Application, Application.id == Delivery.application_id)
        .where(in_scope(Application.office_id, office_scope(staff, *roles)))
    )


@bp.get("/verwaltung/uebermittlungen")
@staff_required(*CASE_READ)
def overview() -> str:
    """Deliveries of the offices the person reads cases of, newest first, paged."""
    staff = logged_in_staff()
    raw = request.args.get("seite", "1")
    page = int(raw) if raw.isdigit() and 0 < int(raw) < 100_000 else 1
    rows = db.session.execute(
        _scoped(staff, *CASE_READ)
        .order_by(Delivery.created_at.desc(), Delivery.id.desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
    ).all()
    resend_scope = office_scope(staff, *RESEND)
    return render_template(
        "handoff/overview.html",
        rows=rows[:PAGE_SIZE],
        page=page,
        has_next=len(rows) > PAGE_SIZE,
        may_resend=lambda application: (
            resend_scope is None or application.office_id in resend_scope
        ),
        form=ResendForm(),
    )


@bp.post("/verwaltung/uebermittlungen/<int:delivery_id>/erneut")
@staff_required(*RESEND)
def resend(delivery_id: int) -> Response:
    staff = logged_in_staff()
    found = db.session.execute(
        _scoped(staff, *RESEND).where(Delivery.id == delivery_id).with_for_update(of=Delivery)
    ).first()
    if found is None or not ResendForm().validate_on_submit():
        abort(404)
    delivery, application = found
    try:
        services.resend(delivery)
    except services.ResendRefusedError as refused:
        message = (
            _("Die Übermittlung %(key)s ist bereits zugestellt.", key=delivery.idempotency_key)
            if str(refused) == "delivered"
            else _(
                "Die Übermittlung %(key)s wird gerade gesendet. Bitte warten Sie das Ergebnis ab.",
                key=delivery.idempotency_key,
            )
        )
        flash(message, "warning")
        return redirect(url_for(".overview"), 303)
    db.session.add(
        AuditEntry(
            staff_id=staff.id,
            action="handoff.resend",
            application_id=application.id,
            detail={"delivery": str(delivery.id), "target": delivery.target},
        )
    )
    flash(
        _("Die Übermittlung %(key)s wird erneut versucht.", key=delivery.idempotency_key), "success"
    )
    return redirect(url_for(".overview"), 303)
