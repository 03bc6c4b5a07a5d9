"""Online applications: start, one step per page, check answers, submit, receipt, Meine Anträge.

Routes: ``/antrag/<form>`` (start; the trust level and account type are checked here, before
the form opens), ``/antraege`` (Meine Anträge) and ``/antraege/<id>/…`` for one application.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
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
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as BaseResponse
from wtforms import StringField
from wtforms.validators import AnyOf

from portal.applications import baukasten, receipt, services, suggestions, uploads
from portal.applications.definition import FormDefinition, Step
from portal.applications.fields import field_type
from portal.applications.forms import AUTOCOMPLETE, INPUT_MODES, INPUT_TYPES, step_form
from portal.applications.models import Application, CaseStatus, SuggestionState
from portal.applications.notices import send_confirmation
from portal.catalog.models import Leistung
from portal.core.db import utcnow
from portal.core.downloads import attachment
from portal.core.formtools import ButtonForm, PortalForm, add_errors
from portal.core.jobs import enqueue
from portal.core.notices import login_address
from portal.core.security import setting_limit
from portal.core.signals import application_submitted, emit
from portal.core.storage import StoredFileMissingError, file_store
from portal.extensions import db, limiter
from portal.identity.access import TRUST_LEVEL_LABELS, trust_required
from portal.identity.models import Person, TrustLevel

PAY_WITHIN = services.PAY_WITHIN

bp = Blueprint("applications", __name__, template_folder="templates")
BERLIN = ZoneInfo("Europe/Berlin")


ActionForm = ButtonForm  # a button and its CSRF token


class SuggestionForm(PortalForm):
    """A suggested service: the button pressed says done or dismissed."""

    state = StringField(
        validators=[
            AnyOf(
                [state.value for state in SuggestionState],
                message="Bitte wählen Sie „erledigt“ oder „ausblenden“.",
            )
        ]
    )


def _account() -> tuple[Person, Any]:
    return current_user.person, current_user.acting_for


def _account_problem(definition: FormDefinition) -> str | None:
    acting = current_user.acting_for
    if acting is None and "buerger" not in definition.accounts:
        return "organisation"
    if acting is not None and "organisation" not in definition.accounts:
        return "buerger"
    return None


def _gate(definition: FormDefinition) -> BaseResponse | str | None:
    """Trust level, then account type; ``None`` when the form may open."""
    if not current_user.is_authenticated and "buerger" not in definition.accounts:
        level = definition.trust_level
        return redirect(
            url_for(
                "identity.organisation_login",
                next=request.full_path.rstrip("?"),
                niveau=level.code if level > TrustLevel.BASISREGISTRIERUNG else None,
            )
        )
    refused = trust_required(definition.trust_level)
    if refused is not None:
        return refused
    problem = _account_problem(definition)
    if problem is not None:
        return render_template(
            "applications/wrong_account.html", definition=definition, needs=problem
        )
    return None


TESTERS = "baukasten_test_forms"  # session: the test versions this browser may open


def _active_definition(form_key: str) -> tuple[Any, FormDefinition]:
    row = services.active_form(form_key)
    if row is None:
        withdrawn = baukasten.withdrawn(form_key)
        if withdrawn is not None:
            abort(Response(render_template("applications/withdrawn.html", **withdrawn), 410))
        abort(404)
    if row.test:
        granted = baukasten.test_key_from(request.args.get("pruefschluessel", ""))
        if granted == form_key:
            session[TESTERS] = sorted({*session.get(TESTERS, []), form_key})[-10:]
        elif form_key not in session.get(TESTERS, []):
            abort(404)  # only the Formularredaktion's test link opens a test version
    return row, services.definition_of(row)


@bp.get("/antrag/<form_key>")
def start(form_key: str) -> BaseResponse | str:
    _row, definition = _active_definition(form_key)
    gate = _gate(definition)
    login_link = None
    mine = []
    if not current_user.is_authenticated:
        # Public, as a start page should be: what it takes comes before the login, which the
        # page's button leads to (where the gate would have sent the visitor at once).
        login_link = gate.location if isinstance(gate, BaseResponse) else None
    elif gate is not None:
        return gate
    else:
        mine = [a for a in services.applications_of(*_account()) if a.form_key == form_key]
    return render_template(
        "applications/start.html",
        definition=definition,
        form=ActionForm(),
        needs=services.needs_with_costs(definition),
        login_link=login_link,
        draft=next((a for a in mine if a.is_draft), None),
        running=next(
            (
                a
                for a in mine
                if not a.is_draft and a.case_status not in (CaseStatus.DECIDED, CaseStatus.CLOSED)
            ),
            None,
        ),
    )


DRAFT_WRITES = setting_limit("draft_rate_limit")  # beginning a draft and saving a step


def _by_account() -> str:
    """Draft writes count per account, whatever address they come from."""
    if current_user.is_authenticated:
        return f"person:{current_user.person.id}"
    return f"ip:{request.remote_addr}"


@bp.post("/antrag/<form_key>/beginnen")
@login_required  # type: ignore[untyped-decorator]
@limiter.shared_limit(DRAFT_WRITES, scope="drafts", key_func=_by_account)
def begin(form_key: str) -> BaseResponse | str:
    row, definition = _active_definition(form_key)
    gate = _gate(definition)
    if gate is not None:
        return gate
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        application = services.start_draft(row, *_account())
    except services.TooManyDraftsError:
        flash(_("Sie haben schon %(count)s Entwürfe. Bitte senden Sie einen davon ab oder "
                "löschen Sie ihn, bevor Sie einen neuen Antrag beginnen.",
                count=current_app.config["PORTAL"].draft_max_open), "warning")  # fmt: skip
        return redirect(url_for(".overview"), 303)
    first = definition.visible_steps(application.answers)[0]
    return redirect(url_for(".step", public_id=application.public_id, step_key=first.key), 303)


def _load(public_id: str) -> tuple[Application, FormDefinition]:
    application = services.owned(public_id, *_account())
    return application, services.definition_for(application)


def _draft(public_id: str) -> tuple[Application, FormDefinition] | BaseResponse:
    application, definition = _load(public_id)
    if not application.is_draft:
        return redirect(url_for(".confirmation", public_id=public_id), 303)
    return application, definition


def _neighbours(
    definition: FormDefinition, answers: dict[str, Any], step: Step
) -> tuple[list[Step], int]:
    visible = definition.visible_steps(answers)
    keys = [item.key for item in visible]
    return visible, keys.index(step.key) if step.key in keys else -1


def _form_data(form: FlaskForm, step: Step, visible_keys: set[str]) -> dict[str, Any]:
    """The step's answers: valid ones normalised by their type (so fees and the office's
    systems read one spelling), invalid ones as typed (so nothing entered is lost)."""
    values: dict[str, Any] = {}
    for spec in step.fields:
        kind = field_type(spec.type)
        if spec.key not in visible_keys or not kind.has_answer:
            continue
        field = getattr(form, spec.key, None)
        if field is None:
            continue
        data = field.data
        if isinstance(data, bool):
            values[spec.key] = data
        elif data and not field.errors:
            values[spec.key] = kind.normalise(spec, str(data))
        else:
            values[spec.key] = data or ""
    return values


def _handle_upload(application: Application, step: Step, errors: dict[str, list[str]]) -> None:
    for spec in step.fields:
        if spec.type != "file":
            continue
        upload = request.files.get(spec.key)
        if upload is None or not upload.filename:
            continue
        try:
            checked = uploads.check_upload(upload.stream, spec.accept, spec.max_bytes)
        except uploads.UploadRefusedError as error:
            errors.setdefault(spec.key, []).append(f"{spec.label}: {error}")
            continue
        services.attach_file(
            application,
            step.key,
            spec.key,
            filename=upload.filename,
            content_type=checked.content_type,
            data=checked.data,
        )


def _missing_files(application: Application, step: Step, visible: list[Any]) -> dict[str, str]:
    return {
        spec.key: _("Bitte laden Sie „%(label)s“ hoch.", label=spec.label)
        for spec in visible
        if spec.type == "file"
        and spec.required
        and not services.files_for(application, step.key, spec.key)
    }


@bp.route("/antraege/<public_id>/<step_key>", methods=["GET", "POST"])
@login_required  # type: ignore[untyped-decorator]
@limiter.shared_limit(DRAFT_WRITES, scope="drafts", key_func=_by_account, methods=["POST"])
def step(public_id: str, step_key: str) -> BaseResponse | str | tuple[str, int]:  # noqa: PLR0911, PLR0912
    loaded = _draft(public_id)
    if isinstance(loaded, BaseResponse):
        return loaded
    application, definition = loaded
    gate = _gate(definition)
    if gate is not None:
        return gate
    current = definition.step(step_key)
    if current is None:
        abort(404)
    answers = application.answers
    visible, position = _neighbours(definition, answers, current)
    if position < 0:  # a step hidden by earlier answers
        return redirect(url_for(".summary", public_id=public_id), 303)
    fields = definition.visible_fields(current, answers)
    locked = services.locked_fields(application, current)
    labels = {f"{s.key}.{f.key}": f.label for s in definition.steps for f in s.fields}
    form_class = step_form(current, fields, locked, answers, labels)
    stored = answers.get(current.key, {})
    form = form_class(data=stored) if request.method == "GET" else form_class()
    for key in locked:  # what the identity said, whatever was posted
        getattr(form, key).data = stored.get(key, "")
    upload_errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        if not form.validate_on_submit() and form.csrf_token.errors:
            abort(400)
        removing = request.form.get("entfernen")
        if removing:
            item = next((f for f in application.files if f.public_id == removing), None)
            if item is not None:
                services.remove_file(application, item)
                flash(_("Die Datei „%(name)s“ wurde entfernt.", name=item.filename), "success")
        _handle_upload(application, current, upload_errors)
        refused = bool(upload_errors)  # a file was sent and not taken
        missing = _missing_files(application, current, fields)
        if not removing:  # a removal shows no error yet, but leaves the step incomplete
            for key, message in missing.items():
                upload_errors.setdefault(key, []).append(message)
        for key, messages in upload_errors.items():
            add_errors(form, getattr(form, key), messages)
        valid = not form.errors and not missing
        services.save_step(
            application,
            current,
            _form_data(form, current, {spec.key for spec in fields}),
            valid=valid,
            locked=locked,
        )
        if removing:
            return redirect(url_for(".step", public_id=public_id, step_key=step_key), 303)
        if request.form.get("aktion") == "speichern" and not refused:
            flash(_("Ihr Entwurf ist gespeichert."), "success")
            return redirect(url_for(".overview"), 303)
        if refused:
            # Never "gespeichert" while a file was dropped: the step shows why it was refused.
            flash(
                _(
                    "Ihre übrigen Angaben sind gespeichert. Die Datei wurde nicht übernommen; "
                    "bitte wählen Sie eine passende Datei."
                ),
                "warning",
            )
        if valid:
            visible_now, now_position = _neighbours(definition, application.answers, current)
            if now_position + 1 < len(visible_now) and not request.args.get("pruefen"):
                target = visible_now[now_position + 1]
                return redirect(url_for(".step", public_id=public_id, step_key=target.key), 303)
            return redirect(url_for(".summary", public_id=public_id), 303)
        status = 422
        # Keep what was typed although the step is not complete: commit here, because the
        # unit of work rolls back every response of 400 and above, this 422 included.
        db.session.commit()
    return render_template(
        "applications/step.html",
        application=application,
        definition=definition,
        step=current,
        form=form,
        fields=fields,
        locked=locked,
        position=position + 1,
        total=len(visible),
        previous=visible[position - 1] if position > 0 else None,
        files={
            spec.key: services.files_for(application, current.key, spec.key)
            for spec in fields
            if spec.type == "file"
        },
        input_types=INPUT_TYPES,
        input_modes=INPUT_MODES,
        autocomplete=AUTOCOMPLETE,
    ), status


@bp.get("/antraege/<public_id>/pruefen")
@login_required  # type: ignore[untyped-decorator]
def summary(public_id: str) -> BaseResponse | str:
    loaded = _draft(public_id)
    if isinstance(loaded, BaseResponse):
        return loaded
    application, definition = loaded
    gate = _gate(definition)
    if gate is not None:
        return gate
    return render_template(
        "applications/summary.html",
        application=application,
        definition=definition,
        sections=services.visible_answers(application, definition),
        missing=services.missing_steps(application, definition),
        fee_cents=definition.fee.amount(application.answers),
        pay_days=PAY_WITHIN.days,
        files=application.files,
        form=ActionForm(),
    )


@bp.post("/antraege/<public_id>/absenden")
@login_required  # type: ignore[untyped-decorator]
def submit(public_id: str) -> BaseResponse | str:
    application, definition = _load(public_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if not application.is_draft:
        return redirect(url_for(".confirmation", public_id=public_id), 303)
    gate = _gate(definition)
    if gate is not None:
        return gate
    missing = services.missing_steps(application, definition)
    if missing:
        flash(_("Bitte vervollständigen Sie zuerst alle Schritte."), "warning")
        return redirect(url_for(".summary", public_id=public_id), 303)
    applicant = services.applicant_snapshot(current_user.person, current_user.acting_for)
    if services.submit(application, definition, int(current_user.trust_level), applicant):
        enqueue(send_confirmation, application.id, login_address())
        emit(application_submitted, application=application)
    return redirect(url_for(".confirmation", public_id=public_id), 303)


@bp.get("/antraege/<public_id>/bestaetigung")
@login_required  # type: ignore[untyped-decorator]
def confirmation(public_id: str) -> BaseResponse | str:
    application, definition = _load(public_id)
    if application.is_draft:
        return redirect(url_for(".summary", public_id=public_id), 303)
    submitted = application.submitted_at or utcnow()
    return render_template(
        "applications/confirmation.html",
        application=application,
        definition=definition,
        form=ActionForm(),
        pay_by=submitted + PAY_WITHIN,
        suggestions=suggestions.after(application),
    )


@bp.post("/konto/vorschlaege/<int:leistung_id>")
@login_required  # type: ignore[untyped-decorator]
def choose_suggestion(leistung_id: int) -> BaseResponse:
    """Tick off or dismiss a suggested service (it leaves the account's list either way)."""
    form = SuggestionForm()
    if not form.validate_on_submit() or db.session.get(Leistung, leistung_id) is None:
        abort(400)
    state = SuggestionState(form.state.data)
    suggestions.choose(current_user.person.id, leistung_id, state)
    flash(_("Abgehakt.") if state == SuggestionState.DONE else _("Ausgeblendet."), "success")
    return redirect(url_for("identity.account") + "#naechste-schritte", 303)


@bp.get("/antraege/<public_id>/quittung.pdf")
@login_required  # type: ignore[untyped-decorator]
def receipt_pdf(public_id: str) -> Response:
    application, definition = _load(public_id)
    if application.is_draft:
        abort(404)
    pdf = receipt.render(application, definition)
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="quittung-{application.reference}.pdf"',
            "Cache-Control": "no-store",
        },
    )


@bp.get("/antraege/<public_id>/dateien/<file_id>")
@login_required  # type: ignore[untyped-decorator]
def download(public_id: str, file_id: str) -> Response:
    application, _definition = _load(public_id)
    item = next((f for f in application.files if f.public_id == file_id), None)
    if item is None:
        abort(404)
    try:
        data = file_store().get(item.storage_key)
    except StoredFileMissingError:
        abort(404)
    return attachment(data, item.filename, item.content_type)


@bp.post("/antraege/<public_id>/loeschen")
@login_required  # type: ignore[untyped-decorator]
def delete(public_id: str) -> BaseResponse:
    application, _definition = _load(public_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if not application.is_draft:
        abort(404)
    for item in list(application.files):
        services.remove_file(application, item)
    db.session.delete(application)
    flash(_("Der Entwurf wurde gelöscht."), "success")
    return redirect(url_for(".overview"), 303)


@bp.get("/antraege")
@login_required  # type: ignore[untyped-decorator]
def overview() -> str:
    items = services.applications_of(*_account())
    return render_template(
        "applications/overview.html",
        items=items,
        form=ActionForm(),
        trust_labels=TRUST_LEVEL_LABELS,
        TrustLevel=TrustLevel,
    )


@bp.app_template_filter("euro")
def euro(cents: int | None) -> str:
    return services.format_euro(cents)


@bp.app_template_filter("answer")
def answer_text(value: Any, spec: Any) -> str:
    """An answer as the summary and the receipt show it."""
    if value is None or value == "" or (value is False and spec.type != "checkbox"):
        return "—"
    return field_type(spec.type).display(spec, value)


def _english() -> bool:
    return str(get_locale() or "de") != "de"


@bp.app_template_filter("local_date")
def local_date(moment: dt.datetime | None) -> str:
    """17.03.2026 (English: 17 Mar 2026), the day in German time."""
    if moment is None:
        return "—"
    if _english():
        return format_datetime(moment, "d MMM y", tzinfo=BERLIN, locale=str(get_locale()))
    return moment.astimezone(BERLIN).strftime("%d.%m.%Y")


@bp.app_template_filter("local_time")
def local_time(moment: dt.datetime | None) -> str:
    """17.03.2026, 14:05 Uhr (English: 17 Mar 2026, 14:05) in German time (stored as UTC)."""
    if moment is None:
        return "—"
    if _english():
        return format_datetime(moment, "d MMM y, HH:mm", tzinfo=BERLIN, locale=str(get_locale()))
    return moment.astimezone(BERLIN).strftime("%d.%m.%Y, %H:%M Uhr")
