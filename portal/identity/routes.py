"""Login, logout and the Nutzerkonto. Route names are stable: other tools rely on them."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlencode

import requests
from authlib.integrations.base_client.errors import MismatchingStateError, OAuthError
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as BaseResponse
from wtforms import BooleanField, RadioField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from portal.core.formtools import PortalForm
from portal.core.security import is_safe_local_path
from portal.core.urls import absolute_url
from portal.extensions import db, limiter
from portal.identity import services, sessions
from portal.identity.access import TRUST_LEVEL_LABELS
from portal.identity.models import PERSON_FIELDS, AccountKind, Organisation, OrgRole, TrustLevel
from portal.identity.oidc import (
    CITIZEN,
    ORGANISATION,
    STAFF,
    LoginError,
    Provider,
    client_for,
)

log = logging.getLogger(__name__)
bp = Blueprint("identity", __name__, template_folder="templates")
LOGIN_STATE = "login_state"
FIELD_LABELS = {
    "given_name": _l("Vorname"),
    "family_name": _l("Familienname"),
    "birth_name": _l("Geburtsname"),
    "birth_date": _l("Geburtsdatum"),
    "birth_place": _l("Geburtsort"),
    "nationality": _l("Staatsangehörigkeit"),
    "street": _l("Straße und Hausnummer"),
    "postal_code": _l("Postleitzahl"),
    "locality": _l("Ort"),
    "country": _l("Land"),
    "email": _l("E-Mail-Adresse"),
    "phone": _l("Telefon"),
}
ROLE_NAMES = {OrgRole.ADMINISTRATION: _l("Administration"), OrgRole.MEMBER: _l("Mitglied")}
KIND_FOR = {
    CITIZEN: AccountKind.CITIZEN,
    ORGANISATION: AccountKind.ORGANISATION,
    STAFF: AccountKind.STAFF,
}


class ActingForm(PortalForm):
    acting = RadioField(
        _l("In wessen Namen möchten Sie handeln?"),
        validators=[DataRequired(_l("Bitte wählen Sie, in wessen Namen Sie handeln möchten."))],
    )


class MemberRoleForm(PortalForm):
    role = SelectField(
        _l("Rolle"),
        choices=[
            SelectChoice(OrgRole.ADMINISTRATION.value, _l("Administration")),
            SelectChoice(OrgRole.MEMBER.value, _l("Mitglied")),
        ],
        validators=[DataRequired(_l("Bitte wählen Sie eine Rolle."))],
    )


class DeleteAccountForm(PortalForm):
    confirm = BooleanField(
        _l("Ja, ich möchte mein Nutzerkonto und alle Angaben darin endgültig löschen."),
        validators=[DataRequired(_l("Bitte bestätigen Sie, dass Sie Ihr Konto löschen möchten."))],
    )


def provider(name: str) -> Provider:
    found: Provider = current_app.extensions["identity_providers"][name]
    return found


def login_failed(name: str, reason: str, status: int = 400) -> tuple[str, int]:
    """German error page; nothing of the attempt stays: no login session, no OAuth state."""
    log.warning("login (%s) failed: %s", name, reason)
    sessions.end(KIND_FOR[name] if name == STAFF else AccountKind.CITIZEN)
    for key in [key for key in session if key.startswith("_state_")]:
        session.pop(key)
    session.pop(LOGIN_STATE, None)
    db.session.commit()  # keep the ended session although the response is an error
    return (
        render_template(
            "identity/login_failed.html",
            reason=reason,
            retry=url_for("identity.staff_login" if name == STAFF else "identity.login"),
        ),
        status,
    )


def begin(name: str, callback: str) -> BaseResponse | tuple[str, int]:
    """Send the browser to the provider: code flow with PKCE, state, nonce (and acr_values)."""
    chosen = provider(name)
    if chosen.builtin and current_app.config["PORTAL"].is_production:
        return login_failed(
            name, _("Die Anmeldung ist für dieses Portal noch nicht eingerichtet."), 503
        )
    target = request.args.get("next", "")
    level_code = request.args.get("niveau", "")
    try:
        level = TrustLevel.from_code(level_code) if level_code else TrustLevel.BASISREGISTRIERUNG
    except KeyError:
        level = TrustLevel.BASISREGISTRIERUNG
    client = client_for(chosen)
    try:
        metadata = client.load_server_metadata()
    except (requests.RequestException, ValueError) as error:
        log.error("identity provider %s unreachable: %s", chosen.resolved_issuer(), error)
        return login_failed(
            name, _("Der Identitätsanbieter ist gerade nicht erreichbar. Bitte später erneut."), 503
        )
    if str(metadata.get("issuer", "")).rstrip("/") != chosen.resolved_issuer():
        return login_failed(name, _("Der Identitätsanbieter meldet sich mit falscher Kennung."))
    session[LOGIN_STATE] = {
        "side": name,
        "next": target if is_safe_local_path(target) else "",
        "level": int(level),
    }
    extra: dict[str, str] = {}
    if level > TrustLevel.BASISREGISTRIERUNG:
        extra["acr_values"] = chosen.acr_for(level)
        extra["prompt"] = "login"  # a step-up is a new authentication, not a silent one
    return client.authorize_redirect(absolute_url(callback), **extra)  # type: ignore[no-any-return]


def finish(name: str) -> tuple[dict[str, Any], dict[str, Any], TrustLevel]:
    """Check the provider's answer; returns (state, claims, trust level) or raises LoginError."""
    state = session.pop(LOGIN_STATE, None)
    if not state or state.get("side") != name:
        raise LoginError(
            _("Diese Anmeldung wurde nicht in diesem Browser begonnen oder ist schon beendet.")
        )
    chosen = provider(name)
    client = client_for(chosen)
    try:
        token = client.authorize_access_token()
    except MismatchingStateError:
        raise LoginError(_("Die Anmeldung passt nicht zu der begonnenen (state).")) from None
    except OAuthError as error:
        log.info("provider error: %s %s", error.error, error.description)
        if error.error == "access_denied":
            raise LoginError(_("Sie haben die Anmeldung abgebrochen.")) from None
        raise LoginError(_("Der Identitätsanbieter hat die Anmeldung abgelehnt.")) from None
    except requests.RequestException:
        raise LoginError(_("Der Identitätsanbieter ist gerade nicht erreichbar.")) from None
    if "userinfo" not in token:
        raise LoginError(_("Der Identitätsanbieter hat keine Anmeldebestätigung geschickt."))
    claims: dict[str, Any] = dict(token["userinfo"])
    if client.load_server_metadata().get("userinfo_endpoint"):
        try:
            extra = dict(client.userinfo(token=token))
        except (requests.RequestException, OAuthError, ValueError):
            raise LoginError(_("Die Angaben des Identitätsanbieters fehlen.")) from None
        if extra.get("sub") != claims.get("sub"):
            raise LoginError(_("Die Angaben des Identitätsanbieters gehören zu jemand anderem."))
        claims = {**extra, **claims}  # the signed ID token wins
    level = chosen.trust_level(claims)
    if level < state["level"]:
        raise LoginError(
            _(
                "Für diese Leistung ist das Vertrauensniveau „%(needed)s“ nötig; Ihre Anmeldung "
                "hatte „%(actual)s“. Bitte melden Sie sich mit einem passenden Zugang an.",
                needed=TRUST_LEVEL_LABELS[TrustLevel(state["level"])],
                actual=TRUST_LEVEL_LABELS[level],
            )
        )
    claims["_id_token"] = token.get("id_token", "")
    return state, claims, level


def fresh_session() -> None:
    """A login starts a new session: nothing from before it is carried over."""
    flashes = session.get("_flashes")
    session.clear()
    if flashes:
        session["_flashes"] = flashes


@bp.get("/anmelden")
@limiter.limit(lambda: current_app.config["PORTAL"].login_rate_limit)
def login() -> BaseResponse | tuple[str, int]:
    return begin(CITIZEN, "identity.callback")


@bp.get("/anmelden/organisation")
@limiter.limit(lambda: current_app.config["PORTAL"].login_rate_limit)
def organisation_login() -> BaseResponse | tuple[str, int]:
    return begin(ORGANISATION, "identity.organisation_callback")


def _complete(name: str) -> BaseResponse | tuple[str, int]:
    chosen = provider(name)
    try:
        state, claims, level = finish(name)
        issuer = chosen.resolved_issuer()
        person = services.person_from_claims(chosen, issuer, claims)
        organisation_id = None
        if name == ORGANISATION:
            organisation, _membership = services.organisation_from_claims(
                chosen, issuer, claims, person
            )
            organisation_id = organisation.id
    except LoginError as error:
        return login_failed(name, str(error))
    fresh_session()
    sessions.start(
        KIND_FOR[name],
        trust_level=level,
        person_id=person.id,
        organisation_id=organisation_id,
        issuer=issuer,
        id_token=claims["_id_token"],
    )
    flash(_("Sie sind angemeldet."), "success")
    return redirect(state["next"] or url_for("identity.account"), code=303)


@bp.get("/verwaltung/anmelden")
@limiter.limit(lambda: current_app.config["PORTAL"].login_rate_limit)
def staff_login() -> BaseResponse | tuple[str, int]:
    return begin(STAFF, "identity.staff_callback")


@bp.get("/verwaltung/anmelden/callback")
@limiter.limit(lambda: current_app.config["PORTAL"].login_rate_limit)
def staff_callback() -> BaseResponse | tuple[str, int]:
    chosen = provider(STAFF)
    try:
        state, claims, level = finish(STAFF)
        staff = services.staff_from_claims(chosen.resolved_issuer(), claims)
    except LoginError as error:
        return login_failed(STAFF, str(error))
    fresh_session()
    sessions.start(
        AccountKind.STAFF,
        trust_level=level,
        staff_id=staff.id,
        issuer=chosen.resolved_issuer(),
        id_token=claims["_id_token"],
    )
    flash(_("Sie sind in der Verwaltung angemeldet."), "success")
    target = state["next"] if state["next"].startswith("/verwaltung") else ""
    return redirect(target or url_for("backoffice.home"), code=303)


@bp.post("/verwaltung/abmelden")
def staff_logout() -> BaseResponse:
    login = sessions.end(AccountKind.STAFF)
    fresh_session()
    if login is None:
        return redirect(url_for("identity.logged_out"), code=303)
    return logout_redirect(STAFF, login.id_token, "identity.logged_out")


@bp.get("/anmelden/callback")
@limiter.limit(lambda: current_app.config["PORTAL"].login_rate_limit)
def callback() -> BaseResponse | tuple[str, int]:
    return _complete(CITIZEN)


@bp.get("/anmelden/organisation/callback")
@limiter.limit(lambda: current_app.config["PORTAL"].login_rate_limit)
def organisation_callback() -> BaseResponse | tuple[str, int]:
    return _complete(ORGANISATION)


def logout_redirect(name: str, id_token: str, done: str) -> BaseResponse:
    """RP-initiated logout at the provider when it offers one; otherwise straight to ``done``."""
    chosen = provider(name)
    try:
        endpoint = client_for(chosen).load_server_metadata().get("end_session_endpoint")
    except (requests.RequestException, ValueError):
        endpoint = None
    if not endpoint or not id_token:
        return redirect(url_for(done), code=303)
    back = absolute_url(done)
    query = urlencode(
        {
            "id_token_hint": id_token,
            "post_logout_redirect_uri": back,
            "client_id": chosen.client_id_for(),
        }
    )
    return redirect(f"{endpoint}{'&' if '?' in endpoint else '?'}{query}", code=303)


@bp.post("/abmelden")
def logout() -> BaseResponse:
    login = sessions.end(AccountKind.CITIZEN)
    fresh_session()
    if login is None:
        return redirect(url_for("identity.logged_out"), code=303)
    side = ORGANISATION if login.kind == AccountKind.ORGANISATION else CITIZEN
    return logout_redirect(side, login.id_token, "identity.logged_out")


@bp.get("/abgemeldet")
def logged_out() -> str:
    return render_template("identity/logged_out.html")


SELF = "selbst"


def acting_form() -> ActingForm:
    """Act for oneself or for the organisation this login's provider asserted (no other)."""
    person = current_user.person
    form = ActingForm()
    asserted = current_user.login.asserted_organisation_id
    form.acting.choices = [
        SelectChoice(SELF, _("Für mich selbst: %(name)s", name=person.display_name))
    ] + [
        SelectChoice(str(item.organisation_id), _("Für %(name)s", name=item.organisation.name))
        for item in person.memberships
        if item.organisation_id == asserted
    ]
    if not form.is_submitted():
        acting = current_user.acting_for
        form.acting.data = str(acting.id) if acting is not None else SELF
    return form


def account_page(form: DeleteAccountForm, acting: ActingForm | None = None) -> str:
    person = current_user.person
    rows = [
        (FIELD_LABELS[field], getattr(person, field), person.sources.get(field))
        for field in PERSON_FIELDS
    ]
    return render_template(
        "identity/account.html",
        person=person,
        rows=rows,
        login=current_user.login,
        acting_for=current_user.acting_for,
        trust_label=TRUST_LEVEL_LABELS[current_user.trust_level],
        expires_in=sessions.expires_in(current_user.login),
        delete_form=form,
        acting_form=acting or acting_form(),
        role_labels=ROLE_NAMES,
        # Other domains add what belongs to the account (appointments): each a function of
        # the person returning a rendered section.
        sections=[render(person) for render in current_app.extensions.get("account_sections", [])],
    )


@bp.get("/konto")
@login_required  # type: ignore[untyped-decorator]
def account() -> str:
    return account_page(DeleteAccountForm())


@bp.get("/konto/export")
@login_required  # type: ignore[untyped-decorator]
def export() -> Response:
    data = json.dumps(services.export_person(current_user.person), ensure_ascii=False, indent=2)
    return Response(
        data,
        mimetype="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="nutzerkonto.json"',
            "Cache-Control": "no-store",
        },
    )


@bp.post("/konto/loeschen")
@login_required  # type: ignore[untyped-decorator]
def delete_account() -> BaseResponse | tuple[str, int]:
    form = DeleteAccountForm()
    person = current_user.person
    if not form.validate_on_submit():
        return account_page(form), 422
    sessions.end(AccountKind.CITIZEN)
    services.delete_person(person)
    fresh_session()
    flash(_("Ihr Nutzerkonto wurde gelöscht."), "success")
    return redirect(url_for("pages.start"), code=303)


@bp.post("/konto/handeln-fuer")
@login_required  # type: ignore[untyped-decorator]
def switch_acting() -> BaseResponse | tuple[str, int]:
    form = acting_form()
    if not form.validate_on_submit():
        return account_page(DeleteAccountForm(), form), 422
    login = current_user.login
    if form.acting.data == SELF:
        login.organisation_id = None
        flash(_("Sie handeln jetzt für sich selbst."), "success")
    else:
        membership = services.membership_of(current_user.person.id, int(form.acting.data))
        if membership is None or membership.organisation_id != login.asserted_organisation_id:
            abort(403)
        login.organisation_id = membership.organisation_id
        flash(_("Sie handeln jetzt für %(name)s.", name=membership.organisation.name), "success")
    return redirect(url_for("identity.account"), code=303)


def _organisation_admin() -> Organisation:
    """The organisation acted for, if the person administers it; 403 otherwise."""
    organisation: Organisation | None = current_user.acting_for
    if organisation is None:
        abort(404)
    membership = services.membership_of(current_user.person.id, organisation.id)
    if membership is None or membership.role != OrgRole.ADMINISTRATION:
        abort(403)
    return organisation


@bp.get("/konto/organisation")
@login_required  # type: ignore[untyped-decorator]
def organisation() -> str:
    organisation = current_user.acting_for
    if organisation is None:
        abort(404)
    membership = services.membership_of(current_user.person.id, organisation.id)
    if membership is None:
        abort(403)
    return render_template(
        "identity/organisation.html",
        organisation=organisation,
        is_admin=membership.role == OrgRole.ADMINISTRATION,
        role_labels=ROLE_NAMES,
        form=MemberRoleForm(),
    )


@bp.post("/konto/organisation/mitglieder/<int:membership_id>")
@login_required  # type: ignore[untyped-decorator]
def member_role(membership_id: int) -> BaseResponse:
    organisation = _organisation_admin()
    form = MemberRoleForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        membership = services.set_member_role(organisation, membership_id, OrgRole(form.role.data))
    except LookupError:
        abort(404)
    except ValueError as error:
        flash(str(error), "warning")
        return redirect(url_for("identity.organisation"), code=303)
    flash(
        _(
            "%(name)s hat jetzt die Rolle %(role)s.",
            name=membership.person.display_name,
            role=_("Administration")
            if membership.role == OrgRole.ADMINISTRATION
            else _("Mitglied"),
        ),
        "success",
    )
    return redirect(url_for("identity.organisation"), code=303)


def _keep_alive(login: Any, done: str) -> BaseResponse | tuple[Response, int]:
    """The session notice's "Sitzung verlängern": JSON for the script, a redirect without it."""
    if login is None:
        if request.accept_mimetypes.best == "application/json":
            return Response(json.dumps({"expires_in": 0}), mimetype="application/json"), 401
        return redirect(url_for(done), code=303)
    sessions.extend(login)
    if request.accept_mimetypes.best == "application/json":
        return Response(json.dumps(sessions.timer(login)), mimetype="application/json"), 200
    target = request.form.get("next", "")
    return redirect(target if is_safe_local_path(target) else url_for(done), code=303)


@bp.post("/sitzung/verlaengern")
def keep_alive() -> BaseResponse | tuple[Response, int]:
    return _keep_alive(sessions.citizen_login(), "identity.account")


@bp.post("/verwaltung/sitzung/verlaengern")
def staff_keep_alive() -> BaseResponse | tuple[Response, int]:
    return _keep_alive(sessions.staff_login(), "backoffice.home")
