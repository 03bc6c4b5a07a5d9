"""Appointments at the office (Terminvereinbarung): calendars per office, booking without an
account, confirmation with iCalendar, signed links to cancel or move, reminders, day lists."""

from __future__ import annotations

from typing import Any

from flask import Flask, render_template, url_for
from markupsafe import Markup


def init_appointments(app: Flask) -> None:
    from portal.appointments import demo as _demo  # noqa: F401, PLC0415 - registers loader
    from portal.appointments import display, services  # noqa: PLC0415
    from portal.appointments.cli import appointments_cli  # noqa: PLC0415
    from portal.appointments.providers import systems_from  # noqa: PLC0415
    from portal.appointments.routes import bp  # noqa: PLC0415
    from portal.appointments.slots import public_holidays  # noqa: PLC0415

    settings = app.config["PORTAL"]
    # A typo in either setting stops the start here, not at the first citizen.
    public_holidays(settings.appointment_holidays)
    app.extensions["appointment_systems"] = systems_from(settings.appointment_providers)

    def places(leistung_id: int) -> list[Any]:
        return services.places_for(
            leistung_id, lambda offer_id: url_for("appointments.days", offer_id=offer_id)
        )

    def account_section(person: Any) -> Markup | str:
        bookings = services.bookings_of_person(person.id)
        if not bookings:
            return ""
        return Markup(  # noqa: S704 - a rendered, autoescaped template
            render_template(
                "appointments/_account.html",
                bookings=bookings,
                token=services.manage_token,
                when=display.when,
            )
        )

    app.extensions["appointment_places"] = places
    app.extensions.setdefault("account_sections", []).append(account_section)
    app.extensions.setdefault("person_export", []).append(("termine", services.export_of))
    app.register_blueprint(bp)
    app.cli.add_command(appointments_cli)
