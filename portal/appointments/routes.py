"""Citizens book, cancel and move appointments; no account needed, no JavaScript needed.

Booking: choose a day, then a time, name and e-mail (prefilled after a login). The
confirmation page and e-mail carry a signed link to this one booking: it shows, cancels and
moves it, and nothing else. Moving books the new time and cancels the old one in one commit.
"""

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
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from portal.appointments import services
from portal.appointments.abuse import client_key, count_booking, watch_for_burst
from portal.appointments.display import clock, day, when
from portal.appointments.forms import BookingForm, ConfirmForm
from portal.appointments.models import Booking, BookingState, Offer
from portal.appointments.notify import ics, send_cancellation, send_confirmation, send_hold
from portal.appointments.slots import BERLIN
from portal.catalog.models import Leistung, Office
from portal.core.db import utcnow
from portal.core.downloads import attachment
from portal.core.formtools import add_errors
from portal.core.jobs import enqueue
from portal.core.security import setting_limit
from portal.core.urls import absolute_url, day_in_range
from portal.extensions import db, limiter

bp = Blueprint("appointments", __name__, url_prefix="/termine", template_folder="templates")
DAYS_PER_PAGE = 10
# Booking attempts per client address, and per e-mail address asked for.
PER_CLIENT = setting_limit("appointment_rate_limit")
PER_ADDRESS = setting_limit("appointment_email_rate_limit")


def _offer(offer_id: int) -> tuple[Offer, Leistung, Office]:
    offer = services.bookable_offer(offer_id)
    if offer is None:
        abort(404)
    leistung = db.session.get(Leistung, offer.leistung_id)
    office = db.session.get(Office, offer.calendar.office_id)
    if leistung is None or office is None or not leistung.published:
        abort(404)
    return offer, leistung, office


def _moving() -> Booking | None:
    """The booking being moved (``?verschieben=<manage token>``), if the link is valid."""
    token = request.args.get("verschieben", "")
    booking = services.booking_for_token(token) if token else None
    return booking if booking is not None and services.is_upcoming(booking) else None


def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/<int:offer_id>")
def days(offer_id: int) -> str:
    offer, leistung, office = _offer(offer_id)
    today = utcnow().astimezone(BERLIN).date()
    first = day_in_range(request.args.get("ab", "")) or today
    found = services.days_with_slots(offer, max(first, today), DAYS_PER_PAGE + 1)
    later = found[DAYS_PER_PAGE][0] if len(found) > DAYS_PER_PAGE else None
    moving = _moving()
    return render_template(
        "appointments/days.html",
        offer=offer,
        leistung=leistung,
        office=office,
        days=found[:DAYS_PER_PAGE],
        later=later,
        earlier=first > today,
        moving=moving,
        moving_token=request.args.get("verschieben", "") if moving else "",
        day_label=day,
        when=when,
    )


def _by_email() -> str:
    """The e-mail address asked for counts on its own: many clients cannot flood one inbox."""
    key = services.email_key(request.form.get("email", ""))[:320]
    return f"appointment-email:{key}" if key else f"ip:{request.remote_addr}"


@bp.route("/<int:offer_id>/<day:chosen>", methods=["GET", "POST"])
@limiter.limit(PER_CLIENT, methods=["POST"])
@limiter.limit(PER_ADDRESS, methods=["POST"], key_func=_by_email)
def book(offer_id: int, chosen: dt.date) -> str | Response:
    offer, leistung, office = _offer(offer_id)
    moving = _moving()
    slots = services.slots_on(offer, chosen)
    form = BookingForm()
    form.time.choices = [SelectChoice(slot.key, slot.key) for slot in slots]
    if request.method == "GET":
        if moving is not None:
            form.name.data, form.email.data = moving.name, moving.email
        elif current_user.is_authenticated:
            person = current_user.person
            form.name.data = person.display_name if person.display_name != "—" else ""
            form.email.data = person.email
    if form.validate_on_submit():
        by_key = {slot.key: slot for slot in slots}
        email = form.email.data.strip()
        try:
            booking = services.book(
                offer,
                by_key[form.time.data].starts_at,
                name=form.name.data.strip(),
                email=email,
                locale=str(get_locale() or "de"),
                person_id=current_user.person.id if current_user.is_authenticated else None,
                replacing=moving,
                confirmed=_address_known(email, moving),
                client_key=client_key(),
            )
        except services.SlotTakenError:
            count_booking("vergeben")
            flash(
                _("Diese Uhrzeit wurde gerade vergeben. Bitte wählen Sie eine andere."), "warning"
            )
            return redirect(request.full_path.rstrip("?"), 303)
        except services.TooManyOpenError:
            count_booking("zu_viele")
            add_errors(form, form.email, [_too_many()])
        else:
            return _booked(booking, moving)
    return render_template(
        "appointments/book.html",
        offer=offer,
        leistung=leistung,
        office=office,
        form=form,
        chosen=chosen,
        slots=slots,
        moving=moving,
        day_label=day,
        when=when,
        clock=clock,
    )


def _address_known(email: str, moving: Booking | None) -> bool:
    """Whether the address is shown to be the citizen's: the account's own (from the identity
    provider), or that of the confirmed booking being moved (its link came by e-mail)."""
    key = services.email_key(email)
    if moving is not None and moving.confirmed_at is not None and moving.email_key == key:
        return True
    if current_user.is_authenticated:
        person = current_user.person
        return (
            bool(person.email)
            and "email" in (person.sources or {})
            and (services.email_key(person.email) == key)
        )
    return False


def _too_many() -> str:
    return str(
        _(
            "Unter dieser E-Mail-Adresse sind schon %(count)s Termine in diesem Kalender gebucht "
            "oder vorgemerkt. Bitte sagen Sie zuerst einen davon ab (mit dem Link aus der E-Mail).",
            count=current_app.config["PORTAL"].appointment_max_open,
        )
    )


def _booked(booking: Booking, moving: Booking | None) -> Response:
    token = services.manage_token(booking)
    if booking.state == BookingState.HELD:
        count_booking("vorgemerkt")
        watch_for_burst(booking.calendar_id)
        enqueue(
            send_hold, booking.id, absolute_url(".confirm", token=services.confirm_token(booking))
        )
        return redirect(url_for(".manage", token=token), 303)
    _tell_booked(booking, "gebucht")
    if moving is not None:
        old = absolute_url(".manage", token=services.manage_token(moving))
        enqueue(send_cancellation, moving.id, old)
    return redirect(url_for(".manage", token=token), 303)


def _tell_booked(booking: Booking, outcome: str) -> None:
    """Counted, confirmed by e-mail (with the manage link) and said on the next page."""
    count_booking(outcome)
    manage_url = absolute_url(".manage", token=services.manage_token(booking))
    enqueue(send_confirmation, booking.id, manage_url)
    flash(_("Ihr Termin ist gebucht. Eine Bestätigung ist unterwegs an %(email)s.",
            email=booking.email), "success")  # fmt: skip


@bp.route("/bestaetigen/<token>", methods=["GET", "POST"])
@limiter.limit(PER_CLIENT, methods=["POST"])
def confirm(token: str) -> Response:
    """The link in the e-mail. Opening it shows a button; only the button books (mail
    scanners open links, they do not press buttons)."""
    booking = services.booking_for_token(token, services.CONFIRM_PURPOSE)
    if booking is None:
        abort(404)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            changed = services.confirm(booking)
        except services.HoldExpiredError:
            changed = False
        if changed:
            _tell_booked(booking, "bestaetigt")
        if booking.state != BookingState.CANCELLED:
            return redirect(url_for(".manage", token=services.manage_token(booking)), 303)
    page = render_template(
        "appointments/confirm.html", booking=booking, form=form, token=token, when=when,
        office=db.session.get(Office, booking.office_id),
    )  # fmt: skip
    return _private(Response(page, mimetype="text/html"))


def _demo_confirm(booking: Booking) -> str | None:
    """The embedded default sends no mail (it writes files): so that the demo can be tried in
    the browser alone, the held page offers the e-mailed link there, and only there."""
    settings = current_app.config["PORTAL"]
    if booking.state != BookingState.HELD or settings.smtp_url or settings.is_production:
        return None
    return url_for(".confirm", token=services.confirm_token(booking))


def _booking(token: str) -> Booking:
    booking = services.booking_for_token(token)
    if booking is None:
        abort(404)
    return booking


@bp.get("/buchung/<token>")
def manage(token: str) -> Response:
    booking = _booking(token)
    office = db.session.get(Office, booking.office_id)
    offer = db.session.scalar(
        db.select(Offer).where(
            Offer.calendar_id == booking.calendar_id, Offer.leistung_id == booking.leistung_id
        )
    )
    page = render_template(
        "appointments/manage.html",
        booking=booking,
        office=office,
        token=token,
        upcoming=services.is_upcoming(booking),
        held=booking.state == BookingState.HELD,
        demo_confirm=_demo_confirm(booking),
        offer=offer if offer is not None and services.bookable_offer(offer.id) else None,
        form=ConfirmForm(),
        when=when,
    )
    return _private(Response(page, mimetype="text/html"))


@bp.get("/buchung/<token>/termin.ics")
def calendar_file(token: str) -> Response:
    booking = _booking(token)
    return attachment(ics(booking, absolute_url(".manage", token=token)), "termin.ics",
                      "text/calendar")  # fmt: skip


@bp.post("/buchung/<token>/absagen")
def cancel(token: str) -> Response:
    booking = _booking(token)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if services.is_upcoming(booking):
        services.cancel(booking)
        enqueue(send_cancellation, booking.id, absolute_url(".manage", token=token))
        flash(_("Ihr Termin ist abgesagt. Eine Bestätigung ist unterwegs."), "success")
    return redirect(url_for(".manage", token=token), 303)
