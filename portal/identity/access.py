"""Who is logged in, and the trust-level check a service's form runs before it opens."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from flask import Flask, abort, flash, g, redirect, request, url_for
from flask import Response as FlaskResponse
from flask_babel import gettext as _
from flask_login import LoginManager, UserMixin, current_user
from sqlalchemy import ColumnElement, true
from sqlalchemy.orm import InstrumentedAttribute
from werkzeug.wrappers import Response

from portal.core.i18n import select_locale
from portal.identity import sessions
from portal.identity.models import (
    LoginSession,
    Organisation,
    Person,
    StaffAccount,
    StaffRole,
    TrustLevel,
)

P = ParamSpec("P")
R = TypeVar("R")

# Who may do what with an office's cases, Postfach, payments and deliveries. Administration
# (IT, every office) reads and operates, but never decides a case or moves money.
CASE_READ = (StaffRole.SACHBEARBEITUNG, StaffRole.AMTSLEITUNG, StaffRole.ADMINISTRATION)
CASE_WORK = (StaffRole.SACHBEARBEITUNG, StaffRole.AMTSLEITUNG)
REFUND = (StaffRole.AMTSLEITUNG,)
EXPORT = (StaffRole.AMTSLEITUNG, StaffRole.ADMINISTRATION)
RESEND = (StaffRole.AMTSLEITUNG, StaffRole.ADMINISTRATION)
# Appointments: the day lists are read like cases; the office's lead and IT set calendars up.
APPOINTMENT_READ = CASE_READ
APPOINTMENT_WORK = CASE_WORK
APPOINTMENT_SETUP = (StaffRole.AMTSLEITUNG, StaffRole.ADMINISTRATION)
FORM_EDIT = (StaffRole.FORMULARREDAKTION, StaffRole.ADMINISTRATION)

OfficeScope = frozenset[int] | None

TRUST_LEVEL_LABELS = {
    TrustLevel.BASISREGISTRIERUNG: "basisregistrierung",
    TrustLevel.SUBSTANZIELL: "substanziell",
    TrustLevel.HOCH: "hoch",
}


class Citizen(UserMixin):  # type: ignore[misc]
    """The person behind a citizen or organisation login, and in whose name they act."""

    def __init__(self, login: LoginSession) -> None:
        self.login = login

    def get_id(self) -> str:
        return str(self.login.id)

    @property
    def person(self) -> Person:
        if self.login.person is None:
            raise LookupError("login without a person")
        return self.login.person

    @property
    def trust_level(self) -> TrustLevel:
        return TrustLevel(self.login.trust_level)

    @property
    def acting_for(self) -> Organisation | None:
        """The organisation the person acts for in this login; ``None``: for themselves.

        Only the organisation the provider asserted at this login: a stored membership alone
        never lets a plain citizen login act for a company."""
        login = self.login
        if login.organisation_id is None or login.organisation_id != (
            login.asserted_organisation_id
        ):
            return None
        return login.organisation

    @property
    def acting_name(self) -> str:
        organisation = self.acting_for
        return organisation.name if organisation is not None else self.person.display_name


def _load_from_cookie(_request: object) -> Citizen | None:
    login = sessions.citizen_login()
    if login is None or login.person is None:
        return None
    return Citizen(login)


def trust_required(level: TrustLevel) -> Response | None:
    """``None`` when the login may open a form needing ``level``; otherwise where to go.

    Not logged in: to the login, asking the provider for that level. Logged in lower: back to
    the provider for a step-up, with a notice — never through silently.
    """
    if not current_user.is_authenticated:
        return redirect(login_url(level))
    if current_user.trust_level < level:
        flash(
            _(
                "Für diese Leistung ist das Vertrauensniveau „%(needed)s“ nötig. Ihre Anmeldung "
                "hat „%(actual)s“. Bitte melden Sie sich mit einem passenden Zugang erneut an, "
                "zum Beispiel mit der Online-Ausweisfunktion.",
                needed=TRUST_LEVEL_LABELS[level],
                actual=TRUST_LEVEL_LABELS[current_user.trust_level],
            ),
            "warning",
        )
        return redirect(login_url(level))
    return None


def login_url(level: TrustLevel = TrustLevel.BASISREGISTRIERUNG) -> str:
    niveau = level.code if level > TrustLevel.BASISREGISTRIERUNG else None
    return url_for("identity.login", next=request.full_path.rstrip("?"), niveau=niveau)


def current_staff() -> StaffAccount | None:
    """The member of staff logged in on this browser (only ever seen under ``/verwaltung``)."""
    if "current_staff" not in g:
        login = sessions.staff_login()
        staff = login.staff if login is not None else None
        g.current_staff = staff if staff is not None and staff.active else None
    found: StaffAccount | None = g.current_staff
    return found


def logged_in_staff() -> StaffAccount:
    """The member of staff behind a view guarded by ``staff_required`` (403 if there is none)."""
    staff = current_staff()
    if staff is None:
        abort(403)
    return staff


def office_scope(staff: StaffAccount, *roles: StaffRole) -> OfficeScope:
    """The ids of the offices where ``staff`` holds one of ``roles``; ``None``: every office.

    Every office only when one of ``roles`` is held without an office (Administration). A role
    not asked for counts for nothing: Redaktion of an office opens none of its cases.
    """
    offices: set[int] = set()
    for item in staff.roles:
        if item.role not in roles:
            continue
        if item.office_id is None:
            return None
        offices.add(item.office_id)
    return frozenset(offices)


def in_scope(column: InstrumentedAttribute[Any], scope: OfficeScope) -> ColumnElement[bool]:
    """SQL: the row's office is in ``scope`` (rows without an office only for every office)."""
    return true() if scope is None else column.in_(scope)


def may(staff: StaffAccount, office_id: int | None, *roles: StaffRole) -> bool:
    """Whether ``staff`` holds one of ``roles`` for the office ``office_id``."""
    scope = office_scope(staff, *roles)
    return scope is None or (office_id is not None and office_id in scope)


def staff_required(
    *roles: StaffRole,
) -> Callable[[Callable[P, R]], Callable[P, R | Response]]:
    """Only for a staff login; with ``roles``, only for staff holding one of them (any office)."""

    def decorator(view: Callable[P, R]) -> Callable[P, R | Response]:
        @functools.wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R | Response:
            staff = current_staff()
            if staff is None:
                return redirect(url_for("identity.staff_login", next=request.full_path.rstrip("?")))
            if roles and not any(staff.has_role(role) for role in roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def is_staff_page() -> bool:
    """Pages under /verwaltung: the only ones the staff cookie reaches."""
    return request.path == sessions.STAFF_PATH or request.path.startswith(sessions.STAFF_PATH + "/")


def session_notice() -> dict[str, Any] | None:
    """The logged-in page's session timer (staff pages: the staff login), or ``None``."""
    if is_staff_page():
        login = sessions.staff_login()
        endpoint = "identity.staff_keep_alive"
    else:
        login = sessions.citizen_login()
        endpoint = "identity.keep_alive"
    if login is None:
        return None
    return {**sessions.timer(login), "url": url_for(endpoint)}


def init_access(app: Flask) -> None:
    app.context_processor(
        lambda: {
            "current_staff": current_staff,
            "session_notice": session_notice,
            "is_staff_page": is_staff_page,
        }
    )

    @app.after_request
    def remember_language(response: FlaskResponse) -> FlaskResponse:
        """A citizen's language, kept for the e-mails the portal sends them later."""
        if response.status_code < 400 and not is_staff_page() and current_user.is_authenticated:
            locale = select_locale()  # as chosen (Flask-Babel's get_locale caches in g)
            if current_user.person.locale != locale:
                current_user.person.locale = locale
        return response

    manager = LoginManager()
    manager.request_loader(_load_from_cookie)
    manager.login_view = "identity.login"
    manager.login_message = None
    manager.init_app(app)

    @manager.unauthorized_handler  # type: ignore[untyped-decorator]
    def unauthorized() -> Response:
        return redirect(login_url())
