"""Who is logged in, and the trust-level check a service's form runs before it opens."""

from __future__ import annotations

from flask import Flask, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import LoginManager, UserMixin, current_user
from werkzeug.wrappers import Response

from portal.identity import sessions
from portal.identity.models import LoginSession, Organisation, Person, TrustLevel

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
        """The organisation the person acts for in this login; ``None``: for themselves."""
        return self.login.organisation

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


def init_access(app: Flask) -> None:
    manager = LoginManager()
    manager.request_loader(_load_from_cookie)
    manager.login_view = "identity.login"
    manager.login_message = None
    manager.init_app(app)

    @manager.unauthorized_handler  # type: ignore[untyped-decorator]
    def unauthorized() -> Response:
        return redirect(login_url())
