"""Redaktion: the Lebenslagen that guide. They span the region's authorities, so anyone with
the role Redaktion (for any office) and administrators keep them; every change is audited."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from portal.applications.models import AuditEntry
from portal.backoffice.forms import JourneyForm, JourneyStepForm, MoveStepForm, ServiceSearchForm
from portal.catalog import editing, journey_editing
from portal.catalog.journeys import journeys
from portal.catalog.models import Journey, JourneyStep, Leistung
from portal.extensions import db
from portal.identity.access import logged_in_staff, staff_required
from portal.identity.models import StaffRole

bp = Blueprint(
    "journeys", __name__, url_prefix="/verwaltung/redaktion/lebenslagen",
    template_folder="templates",
)  # fmt: skip
ROLES = (StaffRole.REDAKTION, StaffRole.ADMINISTRATION)


def _audit(action: str, journey: Journey, **detail: str) -> None:
    db.session.add(
        AuditEntry(staff_id=logged_in_staff().id, action=action,
                   detail={"lebenslage": journey.slug, **detail})
    )  # fmt: skip


def _journey(journey_id: int) -> Journey:
    found = db.session.get(Journey, journey_id)
    if found is None:
        abort(404)
    return found


@bp.get("/")
@staff_required(*ROLES)
def index() -> str:
    return render_template(
        "backoffice/redaktion/journeys.html", journeys=journeys(), form=JourneyForm()
    )


@bp.post("/")
@staff_required(*ROLES)
def create() -> Response | tuple[str, int]:
    form = JourneyForm()
    if not form.validate_on_submit():
        page = render_template("backoffice/redaktion/journeys.html", journeys=journeys(), form=form)
        return page, 422
    journey = journey_editing.create(form.name.data.strip(), (form.intro.data or "").strip())
    _audit("lebenslage_angelegt", journey)
    flash(_("Die Lebenslage ist angelegt. Fügen Sie jetzt die Leistungen hinzu."), "success")
    return redirect(url_for(".edit", journey_id=journey.id), 303)


def _edit_page(
    journey: Journey, form: JourneyForm | None = None, status: int = 200
) -> tuple[str, int]:
    search = ServiceSearchForm(request.args)
    found = editing.find_services(search.q.data or "") if search.validate() else []
    page = render_template(
        "backoffice/redaktion/journey.html",
        journey=journey,
        form=form or JourneyForm(obj=journey),
        search=search,
        found=found,
        step_form=JourneyStepForm(),
        move_form=MoveStepForm(),
    )
    return page, status


@bp.get("/<int:journey_id>")
@staff_required(*ROLES)
def edit(journey_id: int) -> tuple[str, int]:
    return _edit_page(_journey(journey_id))


@bp.post("/<int:journey_id>")
@staff_required(*ROLES)
def save(journey_id: int) -> Response | tuple[str, int]:
    journey = _journey(journey_id)
    form = JourneyForm()
    if not form.validate_on_submit():
        return _edit_page(journey, form, 422)
    journey_editing.update(journey, form.name.data.strip(), (form.intro.data or "").strip())
    _audit("lebenslage_geaendert", journey)
    flash(_("Gespeichert."), "success")
    return redirect(url_for(".edit", journey_id=journey.id), 303)


@bp.post("/<int:journey_id>/schritte")
@staff_required(*ROLES)
def add_step(journey_id: int) -> Response | tuple[str, int]:
    journey = _journey(journey_id)
    form = JourneyStepForm()
    if not form.validate_on_submit():  # the service's id: digits (see the form)
        abort(400)
    leistung = db.session.get(Leistung, int(form.leistung.data))
    if leistung is None or not leistung.published:
        abort(400)
    if journey_editing.add_step(journey, leistung.id, (form.note.data or "").strip()):
        _audit("lebenslage_schritt", journey, leistung=str(leistung.id))
        flash(_("„%(name)s“ ist jetzt der letzte Schritt.", name=leistung.name), "success")
    else:
        flash(_("„%(name)s“ gehört schon zu dieser Lebenslage.", name=leistung.name), "info")
    return redirect(url_for(".edit", journey_id=journey.id), 303)


@bp.post("/<int:journey_id>/schritte/<int:step_id>")
@staff_required(*ROLES)
def move_step(journey_id: int, step_id: int) -> Response:
    journey = _journey(journey_id)
    step = db.session.get(JourneyStep, step_id)
    form = MoveStepForm()
    if step is None or step.journey_id != journey.id or not form.validate_on_submit():
        abort(404 if step is None or step.journey_id != journey.id else 400)
    journey_editing.move_step(journey, step, form.direction.data)
    _audit("lebenslage_schritt_" + form.direction.data, journey, leistung=str(step.leistung_id))
    return redirect(url_for(".edit", journey_id=journey.id) + "#schritte", 303)
