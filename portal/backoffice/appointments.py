"""Back office: appointment calendars (set up by the office's lead or IT) and the day lists
(read by the office's staff, who also record who did not come). Every page is scoped to the
offices where the member of staff holds the role; another office's calendar is a 404."""

from __future__ import annotations

import datetime as dt

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import Response as FlaskResponse
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from portal.applications.cases import audit
from portal.appointments import abuse
from portal.appointments import services as appointments
from portal.appointments.display import clock, day, when
from portal.appointments.forms import (
    CalendarForm,
    ClosureForm,
    ConfirmForm,
    DayForm,
    HolderForm,
    NewCalendarForm,
    OfferForm,
    format_windows,
    parse_windows,
)
from portal.appointments.models import (
    Booking,
    BookingState,
    Calendar,
    Closure,
    Offer,
    OpeningWindow,
)
from portal.appointments.notify import send_cancellation_by_office
from portal.appointments.slots import BERLIN, holiday_name
from portal.catalog.models import Leistung, Office
from portal.catalog.services import services_of
from portal.core.db import utcnow
from portal.core.downloads import attachment
from portal.core.jobs import enqueue
from portal.core.urls import absolute_url
from portal.extensions import db
from portal.identity.access import (
    APPOINTMENT_READ,
    APPOINTMENT_SETUP,
    APPOINTMENT_WORK,
    in_scope,
    logged_in_staff,
    may,
    office_scope,
    staff_required,
)

bp = Blueprint(
    "backoffice_appointments", __name__, url_prefix="/verwaltung/termine",
    template_folder="templates",
)  # fmt: skip
STATE_LABELS = {
    BookingState.HELD: _l("vorgemerkt, noch nicht bestätigt"),
    BookingState.BOOKED: _l("gebucht"),
    BookingState.CANCELLED: _l("abgesagt"),
    BookingState.NO_SHOW: _l("nicht erschienen"),
    BookingState.ATTENDED: _l("erschienen"),
}


def _calendar(calendar_id: int, roles: tuple[object, ...]) -> Calendar:
    calendar = db.session.get(Calendar, calendar_id)
    if calendar is None or not may(logged_in_staff(), calendar.office_id, *roles):  # type: ignore[arg-type]
        abort(404)
    return calendar


def _setup_offices() -> list[Office]:
    scope = office_scope(logged_in_staff(), *APPOINTMENT_SETUP)
    return list(
        db.session.scalars(select(Office).where(in_scope(Office.id, scope)).order_by(Office.name))
    )


@bp.get("/")
@staff_required(*APPOINTMENT_READ, *APPOINTMENT_SETUP)
def overview() -> str:
    staff = logged_in_staff()
    scope = office_scope(staff, *APPOINTMENT_READ, *APPOINTMENT_SETUP)
    calendars = list(
        db.session.scalars(
            select(Calendar).where(in_scope(Calendar.office_id, scope)).order_by(Calendar.name)
        )
    )
    offices = {o.id: o for o in db.session.scalars(select(Office).where(
        Office.id.in_({c.office_id for c in calendars})))}  # fmt: skip
    return render_template(
        "backoffice/appointments/overview.html",
        calendars=calendars,
        offices=offices,
        may_setup=lambda c: may(staff, c.office_id, *APPOINTMENT_SETUP),
        may_create=bool(_setup_offices()) if any(staff.has_role(r) for r in APPOINTMENT_SETUP)
        else False,
    )  # fmt: skip


def _calendar_form(
    form: CalendarForm,
    calendar: Calendar,
    offer_form: OfferForm | None = None,
    closure_form: ClosureForm | None = None,
) -> str:
    return render_template(
        "backoffice/appointments/calendar.html",
        form=form,
        calendar=calendar,
        office=db.session.get(Office, calendar.office_id),
        offer_form=offer_form or _offer_form(calendar),
        closure_form=closure_form or ClosureForm(),
        remove_form=ConfirmForm(),
        leistungen={o.leistung_id: db.session.get(Leistung, o.leistung_id)
                    for o in calendar.offers},
        day=day,
    )  # fmt: skip


def _stored(calendar: Calendar) -> CalendarForm:
    """The settings form as stored, for a page that shows another form's errors."""
    form = CalendarForm(formdata=None, obj=calendar)
    form.slot_minutes.data = str(calendar.slot_minutes)
    form.windows.data = format_windows([(w.weekday, w.starts, w.ends) for w in calendar.windows])
    return form


def _apply(calendar: Calendar, form: CalendarForm) -> None:
    calendar.name = form.name.data.strip()
    calendar.counters = form.counters.data
    calendar.slot_minutes = int(form.slot_minutes.data)
    calendar.lead_hours = form.lead_hours.data
    calendar.horizon_days = form.horizon_days.data
    calendar.windows = [
        OpeningWindow(weekday=weekday, starts=starts, ends=ends)
        for weekday, starts, ends in parse_windows(form.windows.data)
    ]
    appointments.calendar_changed()


@bp.route("/neu", methods=["GET", "POST"])
@staff_required(*APPOINTMENT_SETUP)
def create() -> str | Response:
    offices = _setup_offices()
    form = NewCalendarForm()
    form.office.choices = [
        SelectChoice("", _("Bitte wählen")),
        *(SelectChoice(str(o.id), o.name) for o in offices),
    ]
    if request.method == "GET":
        form.counters.data, form.slot_minutes.data = 1, "15"
        form.lead_hours.data, form.horizon_days.data = 2, 42
        form.windows.data = "Mo 08:00-12:00\nDi 08:00-12:00\nDo 14:00-18:00"
    if form.validate_on_submit():
        calendar = Calendar(office_id=int(form.office.data))
        db.session.add(calendar)
        _apply(calendar, form)
        db.session.flush()
        flash(_("Der Kalender ist angelegt. Legen Sie jetzt fest, welche Leistungen buchbar sind."),
              "success")  # fmt: skip
        return redirect(url_for(".settings", calendar_id=calendar.id), 303)
    return render_template("backoffice/appointments/new.html", form=form)


def _offer_form(calendar: Calendar) -> OfferForm:
    form = OfferForm(prefix="angebot")
    office = db.session.get(Office, calendar.office_id)
    offered = {o.leistung_id for o in calendar.offers}
    available = services_of(office) if office else []
    choices = [SelectChoice(str(s.id), s.name) for s in available if s.id not in offered]
    form.leistung.choices = [SelectChoice("", _("Bitte wählen")), *choices]
    return form


@bp.route("/<int:calendar_id>/einstellungen", methods=["GET", "POST"])
@staff_required(*APPOINTMENT_SETUP)
def settings(calendar_id: int) -> str | Response:
    calendar = _calendar(calendar_id, APPOINTMENT_SETUP)
    form = _stored(calendar) if request.method == "GET" else CalendarForm()
    if form.validate_on_submit():
        _apply(calendar, form)
        flash(_("Die Einstellungen sind gespeichert. Gebuchte Termine bleiben bestehen."),
              "success")  # fmt: skip
        return redirect(url_for(".settings", calendar_id=calendar.id), 303)
    return _calendar_form(form, calendar)


@bp.post("/<int:calendar_id>/leistungen")
@staff_required(*APPOINTMENT_SETUP)
def add_offer(calendar_id: int) -> str | Response:
    calendar = _calendar(calendar_id, APPOINTMENT_SETUP)
    form = _offer_form(calendar)
    if not form.validate_on_submit():
        return _calendar_form(_stored(calendar), calendar, offer_form=form)
    calendar.offers.append(Offer(leistung_id=int(form.leistung.data),
                                 duration_minutes=form.duration.data))  # fmt: skip
    appointments.calendar_changed()
    flash(_("Die Leistung ist jetzt buchbar."), "success")
    return redirect(url_for(".settings", calendar_id=calendar.id), 303)


@bp.post("/<int:calendar_id>/leistungen/<int:offer_id>/entfernen")
@staff_required(*APPOINTMENT_SETUP)
def remove_offer(calendar_id: int, offer_id: int) -> Response:
    calendar = _calendar(calendar_id, APPOINTMENT_SETUP)
    offer = db.session.get(Offer, offer_id)
    if offer is None or offer.calendar_id != calendar.id or not ConfirmForm().validate_on_submit():
        abort(404)
    calendar.offers.remove(offer)
    appointments.calendar_changed()
    flash(_("Die Leistung ist nicht mehr buchbar. Gebuchte Termine bleiben bestehen."), "success")
    return redirect(url_for(".settings", calendar_id=calendar.id), 303)


@bp.post("/<int:calendar_id>/schliesstage")
@staff_required(*APPOINTMENT_SETUP)
def add_closure(calendar_id: int) -> str | Response:
    calendar = _calendar(calendar_id, APPOINTMENT_SETUP)
    form = ClosureForm()
    if form.validate_on_submit():
        if any(c.day == form.day.data for c in calendar.closures):
            flash(_("Dieser Tag ist schon als Schließtag eingetragen."), "info")
        else:
            calendar.closures.append(Closure(day=form.day.data, reason=form.reason.data or ""))
            flash(_("Der Schließtag ist eingetragen. Schon gebuchte Termine an diesem Tag "
                    "sagen Sie bitte einzeln ab."), "success")  # fmt: skip
        return redirect(url_for(".settings", calendar_id=calendar.id), 303)
    return _calendar_form(_stored(calendar), calendar, closure_form=form)


@bp.post("/<int:calendar_id>/schliesstage/<int:closure_id>/entfernen")
@staff_required(*APPOINTMENT_SETUP)
def remove_closure(calendar_id: int, closure_id: int) -> Response:
    calendar = _calendar(calendar_id, APPOINTMENT_SETUP)
    closure = db.session.get(Closure, closure_id)
    if closure is None or closure.calendar_id != calendar.id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    calendar.closures.remove(closure)
    return redirect(url_for(".settings", calendar_id=calendar.id), 303)


def _chosen_day() -> dt.date:
    form = DayForm(request.args)
    if request.args.get("datum") and form.validate() and form.datum.data:
        chosen: dt.date = form.datum.data
        return chosen
    return utcnow().astimezone(BERLIN).date()


def _day_context(calendar: Calendar) -> dict[str, object]:
    chosen = _chosen_day()
    bookings = appointments.day_list(calendar, chosen)
    by_counter: dict[int, list[Booking]] = {}
    for booking in bookings:
        by_counter.setdefault(booking.counter, []).append(booking)
    return {
        "calendar": calendar,
        "office": db.session.get(Office, calendar.office_id),
        "chosen": chosen,
        "by_counter": sorted(by_counter.items()),
        "count": len(bookings),
        "holiday": holiday_name(chosen, appointments.holiday_land()),
        "closure": next((c for c in calendar.closures if c.day == chosen), None),
        "day": day,
        "clock": clock,
        "when": when,
        "state_labels": STATE_LABELS,
        "previous": chosen - dt.timedelta(days=1),
        "following": chosen + dt.timedelta(days=1),
    }


@bp.get("/<int:calendar_id>")
@staff_required(*APPOINTMENT_READ, *APPOINTMENT_SETUP)
def day_list(calendar_id: int) -> str:
    calendar = _calendar(calendar_id, (*APPOINTMENT_READ, *APPOINTMENT_SETUP))
    staff = logged_in_staff()
    context = _day_context(calendar)
    form = DayForm(request.args)
    if not (request.args.get("datum") and not form.validate()):
        form.datum.data = context["chosen"]  # an unreadable day keeps its error, today is shown
    return render_template(
        "backoffice/appointments/day.html",
        **context,
        form=form,
        mark_form=ConfirmForm(),
        may_mark=may(staff, calendar.office_id, *APPOINTMENT_WORK),
        may_setup=may(staff, calendar.office_id, *APPOINTMENT_SETUP),
        now=utcnow(),
        holders=len(abuse.heavy_holders(calendar.id)),
    )


@bp.get("/<int:calendar_id>/auffaellig")
@staff_required(*APPOINTMENT_WORK, *APPOINTMENT_SETUP)
def holders(calendar_id: int) -> str:
    """Who holds unusually many open appointments in the calendar, to cancel them at once."""
    calendar = _calendar(calendar_id, (*APPOINTMENT_WORK, *APPOINTMENT_SETUP))
    found = [
        (holder, abuse.bookings_of_holder(calendar.id, holder.kind, holder.key),
         HolderForm(formdata=None, kind=holder.kind, key=holder.key))
        for holder in abuse.heavy_holders(calendar.id)
    ]  # fmt: skip
    return render_template(
        "backoffice/appointments/holders.html",
        calendar=calendar,
        found=found,
        threshold=current_app.config["PORTAL"].appointment_alert_threshold,
        when=when,
        state_labels=STATE_LABELS,
    )


@bp.post("/<int:calendar_id>/auffaellig/absagen")
@staff_required(*APPOINTMENT_WORK, *APPOINTMENT_SETUP)
def cancel_holder(calendar_id: int) -> Response:
    calendar = _calendar(calendar_id, (*APPOINTMENT_WORK, *APPOINTMENT_SETUP))
    form = HolderForm()
    if not form.validate_on_submit():
        abort(400)
    bookings = abuse.bookings_of_holder(calendar.id, form.kind.data, form.key.data)
    told = abuse.cancel_all(bookings)
    audit(logged_in_staff(), "appointments.bulk_cancel", calendar=str(calendar.id),
          kind=form.kind.data, count=str(len(bookings)))  # fmt: skip
    for booking in told:
        manage_url = absolute_url("appointments.manage", token=appointments.manage_token(booking))
        enqueue(send_cancellation_by_office, booking.id, manage_url)
    flash(_("%(count)s Termine abgesagt; %(told)s Personen werden per E-Mail benachrichtigt.",
            count=len(bookings), told=len(told)), "success")  # fmt: skip
    return redirect(url_for(".holders", calendar_id=calendar.id), 303)


@bp.get("/<int:calendar_id>/tagesliste.pdf")
@staff_required(*APPOINTMENT_READ, *APPOINTMENT_SETUP)
def day_list_pdf(calendar_id: int) -> FlaskResponse:
    calendar = _calendar(calendar_id, (*APPOINTMENT_READ, *APPOINTMENT_SETUP))
    from weasyprint import HTML  # noqa: PLC0415 - heavy import, only for printing

    context = _day_context(calendar)
    html = render_template("backoffice/appointments/day_print.html", **context)
    chosen: dt.date = context["chosen"]  # type: ignore[assignment]
    return attachment(HTML(string=html).write_pdf(), f"termine-{chosen.isoformat()}.pdf",
                      "application/pdf")  # fmt: skip


@bp.post("/buchungen/<int:booking_id>/<any(erschienen, nicht_erschienen):state>")
@staff_required(*APPOINTMENT_WORK)
def mark(booking_id: int, state: str) -> Response:
    booking = db.session.get(Booking, booking_id)
    if booking is None or not may(logged_in_staff(), booking.office_id, *APPOINTMENT_WORK):
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    chosen = booking.starts_at.astimezone(BERLIN).date()
    back = url_for(".day_list", calendar_id=booking.calendar_id, datum=chosen.isoformat())
    if booking.starts_at > utcnow():
        flash(_("Erst wenn der Termin begonnen hat, lässt sich eintragen, ob jemand kam."),
              "warning")  # fmt: skip
        return redirect(back, 303)
    try:
        appointments.mark(booking, BookingState(state))
    except appointments.CancelledBookingError:
        abort(409)
    label = STATE_LABELS[booking.state]
    flash(_("Eingetragen: %(name)s, %(time)s Uhr – %(state)s.", name=booking.name,
            time=clock(booking.starts_at), state=label), "success")  # fmt: skip
    return redirect(back, 303)
