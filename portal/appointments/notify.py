"""The e-mails about an appointment, each with an iCalendar file, and the reminder run."""

from __future__ import annotations

import datetime as dt
from email.utils import parseaddr
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar as ICalendar
from icalendar import Event, vCalAddress, vText
from sqlalchemy import select

from portal.appointments.display import when as local_time
from portal.appointments.models import Booking, BookingState
from portal.appointments.services import manage_token
from portal.appointments.slots import BERLIN, day_bounds
from portal.catalog.models import Office
from portal.core.db import utcnow
from portal.core.mail import send_mail
from portal.core.notices import portal_name
from portal.core.urls import absolute_url, base_url
from portal.extensions import db


def _address(office: Office | None) -> str:
    if office is None:
        return ""
    place = " ".join(part for part in (office.postal_code, office.city) if part)
    return ", ".join(part for part in (office.name, office.street, place) if part)


def ics(booking: Booking, manage_url: str) -> bytes:
    """The appointment as an iCalendar file; a cancelled one as its cancellation (same UID)."""
    office = db.session.get(Office, booking.office_id)
    cancelled = booking.state == BookingState.CANCELLED
    host = urlsplit(manage_url).hostname or "serviceportal.invalid"
    calendar = ICalendar()
    calendar.add("prodid", "-//Serviceportal//Termine//DE")
    calendar.add("version", "2.0")
    calendar.add("method", method(booking))
    event = Event()
    # RFC 5546 asks for an ORGANIZER in PUBLISH and CANCEL; without one Outlook ignores the
    # cancellation and the appointment stays in the citizen's calendar.
    address = office.email if office is not None and office.email else ""
    address = address or parseaddr(current_app.config["PORTAL"].mail_from)[1]
    organizer = vCalAddress(f"mailto:{address}")
    organizer.params["cn"] = vText(office.name if office is not None else portal_name())
    event.add("organizer", organizer)
    event.add("uid", f"{booking.reference}@{host}")
    event.add("dtstamp", utcnow())
    event.add("dtstart", booking.starts_at)
    event.add("dtend", booking.ends_at)
    event.add("sequence", 1 if cancelled else 0)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("summary", f"{booking.service_name} ({booking.reference})")
    event.add("location", _address(office))
    event.add("description", manage_url)
    calendar.add_component(event)
    return bytes(calendar.to_ical())


def method(booking: Booking) -> str:
    """The iCalendar method of the booking's file, also named in the e-mail's part."""
    return "CANCEL" if booking.state == BookingState.CANCELLED else "PUBLISH"


def _body(booking: Booking, lead: str, manage_url: str) -> str:
    office = db.session.get(Office, booking.office_id)
    name = portal_name()
    lines = [
        _("Guten Tag %(name)s,", name=booking.name),
        "",
        lead,
        "",
        _("Leistung: %(service)s", service=booking.service_name),
        _("Wann: %(when)s", when=local_time(booking.starts_at)),
        _("Wo: %(where)s", where=_address(office)),
        _("Terminnummer: %(reference)s", reference=booking.reference),
        "",
    ]
    if booking.state == BookingState.BOOKED:
        lines.append(
            _("Absagen oder verschieben, ohne Anmeldung: %(url)s", url=manage_url),
        )
        lines.append("")
    lines += [_("Ihr %(name)s", name=name), _("Diese Nachricht wurde automatisch versandt.")]
    return "\n".join(lines) + "\n"


def _send(booking: Booking, subject: str, lead: str, manage_url: str) -> None:
    send_mail(
        booking.email,
        f"{portal_name()}: {subject}",
        _body(booking, lead, manage_url),
        [
            (
                ics(booking, manage_url),
                f"text/calendar; method={method(booking)}; charset=utf-8",
                "termin.ics",
            )
        ],
    )


def send_hold(booking_id: int, confirm_url: str) -> None:
    """Job: ask the address to confirm a held time. Nobody has shown yet that the address is
    the citizen's, so the mail quotes nothing they typed (no name): only the portal's own
    words, the service, the time and the office."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or booking.state != BookingState.HELD or booking.hold_until is None:
        return
    office = db.session.get(Office, booking.office_id)
    with force_locale(booking.locale):
        lines = [
            _("Guten Tag,"),
            "",
            _(
                "mit dieser E-Mail-Adresse wurde ein Termin vorgemerkt. Gebucht ist er erst, "
                "wenn Sie ihn bestätigen."
            ),
            "",
            _("Leistung: %(service)s", service=booking.service_name),
            _("Wann: %(when)s", when=local_time(booking.starts_at)),
            _("Wo: %(where)s", where=_address(office)),
            "",
            _(
                "Termin bestätigen, bis %(until)s: %(url)s",
                until=local_time(booking.hold_until),
                url=confirm_url,
            ),
            "",
            _(
                "Wenn Sie keinen Termin vorgemerkt haben, müssen Sie nichts tun: Ohne Bestätigung "
                "wird die Zeit wieder frei, und wir schreiben Ihnen nicht noch einmal."
            ),
            "",
            _("Ihr %(name)s", name=portal_name()),
            _("Diese Nachricht wurde automatisch versandt."),
        ]
        send_mail(
            booking.email,
            f"{portal_name()}: {_('Bitte bestätigen Sie Ihren Termin')}",
            "\n".join(lines) + "\n",
        )


def send_confirmation(booking_id: int, manage_url: str) -> None:
    """Job: the confirmation, in the language the citizen booked in."""
    _notify(booking_id, manage_url, BookingState.BOOKED)


def send_cancellation(booking_id: int, manage_url: str) -> None:
    """Job: the cancellation, with the .ics that takes the event out of the citizen's calendar."""
    _notify(booking_id, manage_url, BookingState.CANCELLED)


def send_cancellation_by_office(booking_id: int, manage_url: str) -> None:
    """Job: the office cancelled the appointment (e.g. one of many held by one client)."""
    _notify(booking_id, manage_url, BookingState.CANCELLED, by_office=True)


def _notify(
    booking_id: int, manage_url: str, state: BookingState, *, by_office: bool = False
) -> None:
    booking = db.session.get(Booking, booking_id)
    if booking is None or booking.state != state:
        return  # changed again before the job ran: the later e-mail tells
    if booking.confirmed_at is None:
        return  # never confirmed (a lapsed or withdrawn hold): the address is not known good
    with force_locale(booking.locale):
        when = local_time(booking.starts_at)
        if state == BookingState.BOOKED:
            subject = _("Ihr Termin am %(when)s", when=when)
            lead = _("Ihr Termin ist gebucht.")
        else:
            subject = _("Ihr Termin am %(when)s ist abgesagt", when=when)
            lead = (
                _(
                    "das Amt hat Ihren Termin abgesagt, weil unter Ihrer Adresse oder von Ihrem "
                    "Anschluss aus ungewöhnlich viele Termine gebucht waren. Wenn Sie den Termin "
                    "brauchen, buchen Sie bitte neu oder rufen Sie das Amt an."
                )
                if by_office
                else _("Ihr Termin ist abgesagt. Die Zeit ist wieder frei für andere.")
            )
        _send(booking, subject, lead, manage_url)


def send_reminders(now: dt.datetime | None = None) -> int:
    """The reminder for every appointment of the next day (Berlin time) not yet reminded.

    Run daily (``flask appointments remind``); a second run the same day sends nothing twice.
    Each reminder is committed as soon as it is sent, so a failure half-way repeats none."""
    moment = now or utcnow()
    tomorrow = moment.astimezone(BERLIN).date() + dt.timedelta(days=1)
    start, end = day_bounds(tomorrow)
    due = list(
        db.session.scalars(
            select(Booking.id).where(
                Booking.state == BookingState.BOOKED,
                Booking.reminded_at.is_(None),
                Booking.starts_at >= start,
                Booking.starts_at < end,
            )
        )
    )
    sent = 0
    # A job has no request; links are made under PORTAL_BASE_URL (see core.urls).
    with current_app.test_request_context(base_url=base_url() or "http://localhost"):
        for booking_id in due:
            booking = db.session.get(Booking, booking_id)
            if booking is None:
                continue
            with force_locale(booking.locale):
                _send(
                    booking,
                    _(
                        "Erinnerung: Ihr Termin morgen, %(when)s",
                        when=local_time(booking.starts_at),
                    ),
                    _("wir erinnern Sie an Ihren Termin morgen."),
                    absolute_url("appointments.manage", token=manage_token(booking)),
                )
            booking.reminded_at = moment
            db.session.commit()
            sent += 1
    return sent
