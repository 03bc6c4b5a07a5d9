"""E-mail notices to citizens: who sends them and where to log in, never what a case says.

Every notice names the portal and the municipality (from the theme) and ends with where to
log in. A municipality that tells its citizens never to follow links in e-mails sets
``PORTAL_MAIL_LINKS=0``: the notice then says so and carries no link.
"""

from __future__ import annotations

from flask import current_app, has_request_context, url_for
from flask_babel import gettext as _

from portal.core.mail import send_mail


def portal_name() -> str:
    """ "Serviceportal Musterstadt" (the theme's municipality), or just "Serviceportal"."""
    themes = current_app.extensions["portal.themes"]
    municipality = themes.setting("municipality")
    return f"Serviceportal {municipality}" if municipality else "Serviceportal"


def login_address() -> str:
    """Where to log in: under ``PORTAL_BASE_URL``, else the request's host, else unknown ("").

    A job runs without a request, so whoever queues a notice passes this along.
    """
    base: str = current_app.config["PORTAL"].base_url
    if base:
        return base + "/anmelden"
    if has_request_context():
        return url_for("identity.login", _external=True)
    return ""


def notice_text(body: str, login: str | None = None) -> str:
    """``body`` with greeting, sender and the way to log in (see the module docstring).

    ``login`` is the address to log in at, as :func:`login_address` found it when the notice was
    queued; without it the address is looked up now.
    """
    name = portal_name()
    lines = [_("Guten Tag,"), "", body.strip(), ""]
    if not current_app.config["PORTAL"].mail_links:
        lines.append(
            _(
                "Bitte melden Sie sich wie gewohnt im %(name)s an. Diese E-Mail enthält bewusst "
                "keinen Link.",
                name=name,
            )
        )
    elif login := login or login_address():
        lines.append(_("Anmelden im %(name)s: %(login)s", name=name, login=login))
    else:
        lines.append(_("Bitte melden Sie sich wie gewohnt im %(name)s an.", name=name))
    lines += ["", _("Ihr %(name)s", name=name), _("Diese Nachricht wurde automatisch versandt.")]
    return "\n".join(lines) + "\n"


def send_notice(to: str, subject: str, body: str, login: str | None = None) -> None:
    """A notice from ``PORTAL_MAIL_FROM``, its subject prefixed with the portal's name."""
    send_mail(to, f"{portal_name()}: {subject}", notice_text(body, login))
