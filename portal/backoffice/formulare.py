"""Back office: Verwaltung → Formulare, the Baukasten. The Formularredaktion of an office (and
administrators) list the office's forms; create one from a FIM Stammdatenschema uploaded in the
browser, from another Kommune's export or as a copy; edit steps, fields, conditions, uploads and
the fee without code; preview it; send Testanträge to the test target; publish, compare versions
and withdraw it. Every page is scoped to the offices where the member of staff holds the role;
another office's form is a 404. No page needs JavaScript."""

from __future__ import annotations

import json
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse
from wtforms.fields.choices import SelectChoice

from portal.applications import baukasten
from portal.applications.cases import audit
from portal.applications.definition import DefinitionError, parse
from portal.applications.forms import AUTOCOMPLETE, INPUT_MODES, INPUT_TYPES, step_form
from portal.applications.models import FormDraft, FormDraftState
from portal.applications.services import latest_version
from portal.backoffice.baukasten_forms import (
    CopyForm,
    FieldEditForm,
    FimUploadForm,
    FormSettingsForm,
    FourEyesForm,
    FromServiceForm,
    ImportForm,
    NewFieldForm,
    NewStepForm,
    StepEditForm,
    StructureForm,
    tiers_text,
)
from portal.catalog.editing import find_services
from portal.catalog.models import Office
from portal.core.formtools import ButtonForm, add_errors
from portal.extensions import db
from portal.handoff.services import deliveries_of, target_for
from portal.identity.access import (
    FORM_EDIT,
    in_scope,
    logged_in_staff,
    may,
    office_scope,
    staff_required,
)
from portal.identity.models import StaffRole
from portal.payments.providers import provider as payment_provider

bp = Blueprint(
    "formulare", __name__, url_prefix="/verwaltung/formulare", template_folder="templates"
)
FIELD_TYPES = {
    "text": _l("Text, eine Zeile"),
    "textarea": _l("Text, mehrere Zeilen"),
    "number": _l("Zahl"),
    "integer": _l("ganze Zahl"),
    "date": _l("Datum"),
    "choice": _l("Auswahl"),
    "checkbox": _l("Ankreuzfeld"),
    "yesno": _l("Ja oder Nein"),
    "email": _l("E-Mail-Adresse"),
    "phone": _l("Telefonnummer"),
    "iban": _l("IBAN"),
    "postal_code": _l("Postleitzahl"),
    "licence_plate": _l("Kfz-Kennzeichen"),
    "file": _l("Datei zum Hochladen"),
    "info": _l("Hinweistext"),
}
STATE_LABELS = {
    "entwurf": _l("Entwurf"),
    "test": _l("im Test"),
    "veroeffentlicht": _l("veröffentlicht"),
    "geaendert": _l("veröffentlicht, Entwurf geändert"),
    "zurueckgezogen": _l("zurückgezogen"),
}
FOUR_EYES_ROLES = (StaffRole.AMTSLEITUNG, StaffRole.ADMINISTRATION)
NO_CONDITION = SelectChoice("", _l("immer zeigen"))
PageResult = BaseResponse | tuple[str, int]


def _offices() -> list[Office]:
    scope = office_scope(logged_in_staff(), *FORM_EDIT)
    return list(
        db.session.scalars(select(Office).where(in_scope(Office.id, scope)).order_by(Office.name))
    )


def _office_choices(form: Any, offices: list[Office]) -> None:
    form.office.choices = [SelectChoice(str(o.id), o.name) for o in offices]


def _draft(draft_id: int) -> FormDraft:
    draft = db.session.get(FormDraft, draft_id)
    if draft is None or not may(logged_in_staff(), draft.office_id, *FORM_EDIT):
        abort(404)
    return draft


def _to_detail(draft: FormDraft, anchor: str = "") -> BaseResponse:
    return redirect(url_for(".detail", draft_id=draft.id) + (f"#{anchor}" if anchor else ""), 303)


def _page(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    return render_template(f"backoffice/formulare/{template}", **context), status


def _closing(view: Any) -> Any:
    """Close uploaded files after the view (a large one is a temporary file on disk)."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        finally:
            for upload in request.files.values():
                upload.close()

    wrapper.__name__ = view.__name__
    return wrapper


# --- the list, new forms ----------------------------------------------------------------------


@bp.get("/")
@staff_required(*FORM_EDIT)
def overview() -> str:
    offices = {office.id: office for office in _offices()}
    staff = logged_in_staff()
    scope = office_scope(staff, *FORM_EDIT)
    return render_template(
        "backoffice/formulare/overview.html",
        forms=baukasten.listed(scope),
        offices=offices,
        state_labels=STATE_LABELS,
        offers=baukasten.offers(scope),
        rules=[
            (o, baukasten.four_eyes(o.id))
            for o in offices.values()
            if may(staff, o.id, *FOUR_EYES_ROLES)
        ],
        form=ButtonForm(),
    )


@bp.post("/vier-augen")
@staff_required(*FOUR_EYES_ROLES)
def four_eyes() -> BaseResponse:
    form = FourEyesForm()
    if not form.validate_on_submit():
        abort(400)
    office = db.session.get(Office, int(form.office.data))
    if office is None or not may(logged_in_staff(), office.id, *FOUR_EYES_ROLES):
        abort(404)
    on = form.on.data == "ja"
    baukasten.set_four_eyes(office.id, logged_in_staff(), on=on)
    flash(_("Vier-Augen-Prinzip für %(office)s: %(state)s.", office=office.name,
            state=_("eingeschaltet") if on else _("ausgeschaltet")), "success")  # fmt: skip
    return redirect(url_for(".overview"), 303)


@bp.route("/neu", methods=["GET", "POST"])
@staff_required(*FORM_EDIT)
@_closing
def create() -> PageResult:
    offices = _offices()
    form = FimUploadForm()
    _office_choices(form, offices)
    if request.method == "GET":
        return _page("new.html", form=form)
    if not form.validate_on_submit():
        return _page("new.html", 422, form=form)
    upload = request.files.get("schema")
    if upload is None or not upload.filename:
        add_errors(form, form.schema, [_("Bitte wählen Sie die XML-Datei des Schemas aus.")])
        return _page("new.html", 422, form=form)
    office = next(o for o in offices if str(o.id) == form.office.data)
    data = upload.stream.read(baukasten.MAX_FIM_BYTES + 1)
    try:
        draft = baukasten.import_fim(
            data, upload.filename, office, logged_in_staff(), (form.key.data or "").strip()
        )
    except baukasten.BaukastenError as error:
        add_errors(form, form.schema, [str(error)])
        return _page("new.html", 422, form=form)
    flash(_("Das Formular ist als Entwurf angelegt. Prüfen Sie die Hinweise zum Import."),
          "success")  # fmt: skip
    return _to_detail(draft)


@bp.route("/uebernehmen", methods=["GET", "POST"])
@staff_required(*FORM_EDIT)
@_closing
def import_package() -> PageResult:
    offices = _offices()
    form = ImportForm()
    _office_choices(form, offices)
    if request.method == "GET":
        return _page("import.html", form=form)
    if not form.validate_on_submit():
        return _page("import.html", 422, form=form)
    upload = request.files.get("package")
    if upload is None or not upload.filename:
        add_errors(form, form.package, [_("Bitte wählen Sie die Formular-Datei aus.")])
        return _page("import.html", 422, form=form)
    office = next(o for o in offices if str(o.id) == form.office.data)
    try:
        draft = baukasten.import_export(
            upload.stream.read(baukasten.MAX_FIM_BYTES + 1), office, logged_in_staff(),
            (form.key.data or "").strip(),
        )  # fmt: skip
    except baukasten.BaukastenError as error:
        add_errors(form, form.package, [str(error)])
        return _page("import.html", 422, form=form)
    flash(_("Das Formular ist als Entwurf übernommen. Prüfen Sie Amt, Gebühr und Hinweise."),
          "success")  # fmt: skip
    return _to_detail(draft)


@bp.route("/neu/leistung", methods=["GET", "POST"])
@staff_required(*FORM_EDIT)
def from_service() -> PageResult:
    """Search the catalogue (``?suche=``), pick a service, and start from its description."""
    offices = _offices()
    words = (request.values.get("suche") or "").strip()[:100]
    found = find_services(words) if words else []
    form = FromServiceForm()
    _office_choices(form, offices)
    form.leistung.choices = [SelectChoice(str(s.id), s.name) for s in found]
    context = {"form": form, "words": words, "found": found}
    if request.method == "GET" or not form.validate_on_submit():
        return _page("new_service.html", 200 if request.method == "GET" else 422, **context)
    service = next(s for s in found if str(s.id) == form.leistung.data)
    office = next(o for o in offices if str(o.id) == form.office.data)
    try:
        draft = baukasten.from_service(service, office, logged_in_staff(), form.key.data.strip())
    except baukasten.BaukastenError as error:
        add_errors(form, form.key, [str(error)])
        return _page("new_service.html", 422, **context)
    flash(_("Das Formular ist als Entwurf angelegt. Prüfen Sie jede Frage und die Hinweise."),
          "success")  # fmt: skip
    return _to_detail(draft)


# --- one form ----------------------------------------------------------------------------------


@bp.get("/<int:draft_id>")
@staff_required(*FORM_EDIT)
def detail(draft_id: int) -> str:
    draft = _draft(draft_id)
    staff = logged_in_staff()
    latest = latest_version(draft.key)
    test_row = latest_version(baukasten.test_key(draft.key))
    tests = baukasten.test_applications(draft)
    return render_template(
        "backoffice/formulare/detail.html",
        draft=draft,
        office=db.session.get(Office, draft.office_id),
        steps=draft.definition.get("steps", []),
        problem=baukasten.problem(draft),
        refusal=baukasten.publish_refusal(draft, staff),
        four_eyes=baukasten.four_eyes(draft.office_id),
        changes=baukasten.changes(latest.definition, draft.definition) if latest else [],
        latest=latest,
        test_row=test_row,
        test_link=url_for(
            "applications.start",
            form_key=test_row.key,
            pruefschluessel=baukasten.test_link_token(draft.key),
        )
        if test_row is not None
        else None,
        tests=[(item, deliveries_of(item)) for item in tests],
        field_types=FIELD_TYPES,
        form=ButtonForm(),
        new_step=NewStepForm(),
        state_labels=STATE_LABELS,
        withdrawn=draft.state == FormDraftState.WITHDRAWN,
    )


@bp.post("/<int:draft_id>/aufbau")
@staff_required(*FORM_EDIT)
def structure(draft_id: int) -> BaseResponse:
    draft = _draft(draft_id)
    form = StructureForm()
    if not form.validate_on_submit():
        abort(400)
    action, _sep, where = form.aktion.data.partition(":")
    what, _sep, how = action.partition("-")
    step_key, _sep, field_key = where.partition(":")
    staff = logged_in_staff()
    offset = -1 if how == "hoch" else 1
    try:
        if what == "feld" and field_key:
            if how == "entfernen":
                label = baukasten.remove_field(draft, staff, step_key, field_key)
                flash(_("Das Feld „%(label)s“ ist entfernt.", label=label), "success")
            else:
                baukasten.move_field(draft, staff, step_key, field_key, offset)
        elif what == "schritt":
            if how == "entfernen":
                title = baukasten.remove_step(draft, staff, step_key)
                flash(_("Der Schritt „%(title)s“ ist entfernt.", title=title), "success")
                return _to_detail(draft, "schritte")
            baukasten.move_step(draft, staff, step_key, offset)
        else:
            abort(400)
    except baukasten.BaukastenError as error:
        flash(str(error), "warning")
    return _to_detail(draft, f"schritt-{step_key}")


@bp.post("/<int:draft_id>/schritte")
@staff_required(*FORM_EDIT)
def add_step(draft_id: int) -> PageResult:
    draft = _draft(draft_id)
    form = NewStepForm()
    if not form.validate_on_submit():
        flash(" ".join(e for errors in form.errors.values() for e in errors), "warning")
        return _to_detail(draft, "neuer-schritt")
    key = baukasten.add_step(draft, logged_in_staff(), form.title.data.strip())
    flash(_("Der Schritt ist angelegt. Fügen Sie ihm jetzt Felder hinzu."), "success")
    return redirect(url_for(".add_field", draft_id=draft.id, step_key=key), 303)


def _conditions(draft: FormDraft, step_key: str, current: dict[str, Any] | None) -> list[Any]:
    choices = [NO_CONDITION, *(SelectChoice(value, words) for value, words
                               in baukasten.condition_sources(draft, step_key))]  # fmt: skip
    if current:  # a condition the import brought that the list cannot show (an "in" list)
        value = _condition_value(current)
        if value and value not in {c.value for c in choices}:
            choices.append(SelectChoice(value, _("wie bisher (%(field)s)", field=value)))
    return choices


def _condition_value(raw: dict[str, Any] | None) -> str:
    if not raw:
        return ""
    if "in" in raw:
        return f"{raw['field']} in {','.join(str(v) for v in raw['in'])}"
    return f"{raw.get('field')}={raw.get('equals', '')}"


def _condition_of(value: str, before: dict[str, Any] | None) -> dict[str, Any] | None:
    if not value:
        return None
    if value == _condition_value(before):
        return before  # kept as it was
    path, _sep, equals = value.partition("=")
    return {"field": path, "equals": equals}


@bp.route("/<int:draft_id>/schritte/<step_key>", methods=["GET", "POST"])
@staff_required(*FORM_EDIT)
def edit_step(draft_id: int, step_key: str) -> PageResult:
    draft = _draft(draft_id)
    step = baukasten.step_of(draft, step_key)
    if step is None:
        abort(404)
    stored = {"title": step.get("title", ""), "intro": step.get("intro", ""),
              "condition": _condition_value(step.get("show_if"))}  # fmt: skip
    form = StepEditForm(data=stored) if request.method == "GET" else StepEditForm()
    form.condition.choices = _conditions(draft, step_key, step.get("show_if"))
    if request.method == "GET" or not form.validate_on_submit():
        status = 200 if request.method == "GET" else 422
        return _page("step.html", status, draft=draft, form=form, step=step)
    baukasten.save_step(draft, logged_in_staff(), step_key, {
        "title": form.title.data.strip(), "intro": (form.intro.data or "").strip(),
        "show_if": _condition_of(form.condition.data, step.get("show_if")),
    })  # fmt: skip
    flash(_("Der Schritt „%(title)s“ ist gespeichert.", title=form.title.data.strip()),
          "success")  # fmt: skip
    return _to_detail(draft, f"schritt-{step_key}")


@bp.route("/<int:draft_id>/schritte/<step_key>/felder", methods=["GET", "POST"])
@staff_required(*FORM_EDIT)
def add_field(draft_id: int, step_key: str) -> PageResult:
    draft = _draft(draft_id)
    step = baukasten.step_of(draft, step_key)
    if step is None:
        abort(404)
    form = NewFieldForm()
    form.kind.choices = [SelectChoice(k, str(v)) for k, v in FIELD_TYPES.items()]
    if request.method == "GET" or not form.validate_on_submit():
        status = 200 if request.method == "GET" else 422
        return _page("new_field.html", status, draft=draft, form=form, step=step)
    key = baukasten.add_field(draft, logged_in_staff(), step_key, form.kind.data,
                              form.label.data.strip())  # fmt: skip
    flash(_("Das Feld ist angelegt. Legen Sie jetzt fest, was es verlangt."), "success")
    return redirect(url_for(".edit_field", draft_id=draft.id, step_key=step_key, field_key=key),
                    303)  # fmt: skip


def _number_text(value: Any) -> str:
    return "" if value is None else str(value).replace(".", ",")


def _field_data(spec: dict[str, Any]) -> dict[str, Any]:
    options = spec.get("options", [])
    return {
        "label": spec.get("label", ""), "help": spec.get("help", ""),
        "required": bool(spec.get("required")),
        "max_length": str(spec.get("max_length") or ""),
        "minimum": _number_text(spec.get("min")), "maximum": _number_text(spec.get("max")),
        "options": "\n".join(f"{o.get('value')} | {o.get('label', o.get('value'))}"
                             for o in options),
        "accept": list(spec.get("accept", ["application/pdf", "image/jpeg", "image/png"])),
        "max_mb": str(int(spec.get("max_bytes", 10 * 1024 * 1024)) // (1024 * 1024)),
        "condition": _condition_value(spec.get("show_if")),
        "prefill": spec.get("prefill") or "", "prefill_locked": bool(spec.get("prefill_locked")),
    }  # fmt: skip


def _number(text: str | None) -> int | float | None:
    if not text:
        return None
    value = float(text.replace(",", "."))
    return int(value) if value.is_integer() else value


def _field_values(form: FieldEditForm, spec: dict[str, Any]) -> dict[str, Any]:
    """What the form sets for the field's type; the others are left as they are."""
    kind = spec.get("type")
    values: dict[str, Any] = {
        "label": form.label.data.strip(), "help": (form.help.data or "").strip(),
        "required": bool(form.required.data) if kind != "info" else None,
        "show_if": _condition_of(form.condition.data, spec.get("show_if")),
    }  # fmt: skip
    if kind in ("text", "textarea"):
        values["max_length"] = int(form.max_length.data) if form.max_length.data else None
    if kind in ("number", "integer"):
        values["min"], values["max"] = _number(form.minimum.data), _number(form.maximum.data)
    if kind == "choice":
        values["options"] = form.choice_options()
    if kind == "file":
        values["accept"] = list(form.accept.data)
        values["max_bytes"] = int(form.max_mb.data or 10) * 1024 * 1024
    if kind not in ("file", "info", "checkbox"):
        values["prefill"] = form.prefill.data or None
        values["prefill_locked"] = bool(form.prefill_locked.data and form.prefill.data) or None
    return values


@bp.route("/<int:draft_id>/felder/<step_key>/<field_key>", methods=["GET", "POST"])
@staff_required(*FORM_EDIT)
def edit_field(draft_id: int, step_key: str, field_key: str) -> PageResult:
    draft = _draft(draft_id)
    spec = baukasten.field_of(draft, step_key, field_key)
    if spec is None:
        abort(404)
    form = FieldEditForm(data=_field_data(spec)) if request.method == "GET" else FieldEditForm()
    form.meta_kind = str(spec.get("type"))
    form.condition.choices = _conditions(draft, step_key, spec.get("show_if"))
    context = {"draft": draft, "spec": spec, "field_types": FIELD_TYPES}
    if request.method == "GET" or not form.validate_on_submit():
        status = 200 if request.method == "GET" else 422
        return _page("field.html", status, form=form, **context)
    baukasten.save_field(draft, logged_in_staff(), step_key, field_key, _field_values(form, spec))
    flash(_("Das Feld „%(label)s“ ist gespeichert.", label=form.label.data.strip()), "success")
    problem = baukasten.problem(draft)
    if problem:
        flash(problem, "warning")
    return _to_detail(draft, f"schritt-{step_key}")


def _settings_of(draft: FormDraft) -> dict[str, object]:
    definition = draft.definition
    fee = definition.get("fee") or {}
    kind = str(fee.get("kind", "none"))

    def euro(amount: Any) -> str:
        value = int(amount or 0)
        return f"{value // 100},{value % 100:02d}" if value else ""

    return {
        "title": draft.title,
        "office": str(draft.office_id),
        "service": definition.get("service", ""),
        "trust_level": definition.get("trust_level", "basisregistrierung"),
        "accounts": list(definition.get("accounts", ["buerger"])),
        "fee_kind": kind,
        "fee": euro(fee.get("amount_cents")) if kind == "fixed" else "",
        "fee_field": fee.get("field") or "",
        "unit": euro(fee.get("unit_cents")),
        "tiers": tiers_text(fee.get("tiers", [])),
        "payment": definition.get("payment", "none"),
        "purpose": definition.get("purpose", ""),
    }


def _count_fields(draft: FormDraft) -> list[SelectChoice]:
    """Fields a fee can follow: numbers and choices with numbers."""
    return [SelectChoice("", _("bitte wählen"))] + [
        SelectChoice(f"{step['key']}.{spec['key']}", f"{step.get('title')}: {spec.get('label')}")
        for step in draft.definition.get("steps", [])
        for spec in step.get("fields", [])
        if spec.get("type") in ("number", "integer", "choice")
    ]


def _payment_ready() -> bool:
    """Whether a fee could be paid: a real provider, the municipality's own payment services,
    or the test provider outside production (where the pay button would say "unavailable")."""
    settings = current_app.config["PORTAL"]
    return bool(settings.payment_routes) or not (
        payment_provider().is_test and settings.is_production
    )


@bp.route("/<int:draft_id>/einstellungen", methods=["GET", "POST"])
@staff_required(*FORM_EDIT)
def settings(draft_id: int) -> PageResult:
    draft = _draft(draft_id)
    get = request.method == "GET"
    form = FormSettingsForm(data=_settings_of(draft)) if get else FormSettingsForm()
    form.fee_field.choices = _count_fields(draft)
    offices = _offices()
    _office_choices(form, offices)
    if get:
        return _page("settings.html", draft=draft, form=form)
    valid = form.validate_on_submit()
    if valid and form.fee_kind.data != "none" and not _payment_ready():
        unavailable = _(
            "Gebühr: Im Portal ist noch kein Bezahldienst eingerichtet, über den Bürgerinnen "
            "und Bürger bezahlen könnten. Bitte wenden Sie sich an den Betrieb des Portals."
        )
        add_errors(form, form.fee_kind, [unavailable])
        valid = False
    if not valid:
        return _page("settings.html", 422, draft=draft, form=form)
    office = next(o for o in offices if str(o.id) == form.office.data)
    baukasten.move_to(draft, logged_in_staff(), office)
    baukasten.save_settings(draft, logged_in_staff(), {
        "title": form.title.data.strip(), "service": (form.service.data or "").strip(),
        "trust_level": form.trust_level.data, "accounts": list(form.accounts.data),
        "payment": form.payment.data, "purpose": (form.purpose.data or "").strip(),
        "fee": form.fee_definition(),
    })  # fmt: skip
    flash(_("Die Angaben zum Formular sind gespeichert."), "success")
    problem = baukasten.problem(draft)
    if problem:
        flash(problem, "warning")
    return _to_detail(draft)


# --- preview, test, publish, withdraw ------------------------------------------------------


@bp.route("/<int:draft_id>/vorschau", methods=["GET", "POST"])
@staff_required(*FORM_EDIT)
def preview(draft_id: int) -> PageResult:
    """The citizen's view of one step of the draft as it stands; a POST checks the answers as
    the form would, and stores nothing."""
    draft = _draft(draft_id)
    try:
        definition = parse({**draft.definition, "office": str(draft.office_id)})
    except DefinitionError as error:
        flash(_("Die Vorschau zeigt erst ein vollständiges Formular: %(problem)s",
                problem=str(error)), "warning")  # fmt: skip
        return _to_detail(draft)
    number = request.args.get("schritt", "1")
    index = int(number) - 1 if number.isdigit() else 0
    if not 0 <= index < len(definition.steps):
        abort(404)
    step = definition.steps[index]
    form = step_form(step, list(step.fields), set())()
    checked = request.method == "POST" and form.validate_on_submit()
    if request.method == "POST" and form.csrf_token.errors:
        abort(400)
    return _page(
        "preview.html", 200 if checked or request.method == "GET" else 422,
        draft=draft, definition=definition, step=step, form=form, number=index + 1,
        checked=checked, input_types=INPUT_TYPES, input_modes=INPUT_MODES,
        autocomplete=AUTOCOMPLETE, sources=dict(baukasten.condition_sources(draft, "")),
    )  # fmt: skip


@bp.post("/<int:draft_id>/testen")
@staff_required(*FORM_EDIT)
def test(draft_id: int) -> BaseResponse:
    draft = _draft(draft_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        baukasten.make_test(draft, logged_in_staff())
    except baukasten.BaukastenError as error:
        flash(str(error), "warning")
        return _to_detail(draft)
    flash(_("Die Testfassung ist bereit. Öffnen Sie den Testlink, stellen Sie einen Testantrag "
            "und prüfen Sie, was am Testziel ankommt."), "success")  # fmt: skip
    return _to_detail(draft, "test")


@bp.post("/<int:draft_id>/veroeffentlichen")
@staff_required(*FORM_EDIT)
def publish(draft_id: int) -> BaseResponse:
    draft = _draft(draft_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    if target_for(draft.office_id).name.endswith(":fitconnect") and not draft.definition.get(
        "service"
    ):
        flash(_("Die Anträge dieses Amtes gehen über FIT-Connect, das jede Einreichung einer "
                "Leistung zuordnet: Bitte tragen Sie zuerst den Leistungsschlüssel ein."),
              "warning")  # fmt: skip
        return _to_detail(draft)
    try:
        row = baukasten.publish(draft, logged_in_staff())
    except baukasten.BaukastenError as error:
        flash(str(error), "warning")
        return _to_detail(draft)
    flash(_("Version %(version)s ist veröffentlicht. Bürgerinnen und Bürger finden das Formular "
            "unter /antrag/%(key)s.", version=row.version, key=row.key), "success")  # fmt: skip
    return _to_detail(draft)


@bp.post("/<int:draft_id>/zurueckziehen")
@staff_required(*FORM_EDIT)
def withdraw(draft_id: int) -> BaseResponse:
    draft = _draft(draft_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    baukasten.withdraw(draft, logged_in_staff())
    flash(
        _(
            "Das Formular ist zurückgezogen. Wer es aufruft, erfährt, wie der Antrag ohne das "
            "Online-Formular gestellt wird. Begonnene Anträge bleiben erhalten."
        ),
        "success",
    )
    return _to_detail(draft)


@bp.post("/<int:draft_id>/teilen")
@staff_required(*FORM_EDIT)
def share(draft_id: int) -> BaseResponse:
    draft = _draft(draft_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        baukasten.share(draft, logged_in_staff(), on=not draft.shared)
    except baukasten.BaukastenError as error:
        flash(str(error), "warning")
        return _to_detail(draft)
    flash(_("Das Formular wird jetzt allen Ämtern der Region angeboten.") if draft.shared
          else _("Das Formular wird der Region nicht mehr angeboten."), "success")  # fmt: skip
    return _to_detail(draft)


@bp.route("/angebote/<int:draft_id>", methods=["GET", "POST"])
@staff_required(*FORM_EDIT)
def adopt(draft_id: int) -> PageResult:
    """Another office's form offered to the region, adopted for one of the staff's offices."""
    offer = baukasten.offered(draft_id)
    if offer is None:
        abort(404)
    offices = _offices()
    get = request.method == "GET"
    form = CopyForm(data={"key": offer.key}) if get else CopyForm()
    _office_choices(form, offices)
    context = {"draft": offer, "form": form, "adopting": True}
    if get or not form.validate_on_submit():
        return _page("copy.html", 200 if get else 422, **context)
    office = next(o for o in offices if str(o.id) == form.office.data)
    try:
        made = baukasten.adopt(offer, office, logged_in_staff(), form.key.data.strip())
    except baukasten.BaukastenError as error:
        add_errors(form, form.key, [str(error)])
        return _page("copy.html", 422, **context)
    flash(_("Das Formular ist als Entwurf für %(office)s übernommen. Prüfen Sie Gebühr und "
            "Hinweise.", office=office.name), "success")  # fmt: skip
    return _to_detail(made)


@bp.get("/<int:draft_id>/versionen")
@staff_required(*FORM_EDIT)
def versions(draft_id: int) -> str:
    draft = _draft(draft_id)
    return render_template("backoffice/formulare/versions.html", draft=draft,
                           versions=baukasten.versions(draft.key))  # fmt: skip


# --- Nachnutzung --------------------------------------------------------------------------------


@bp.get("/<int:draft_id>/export.json")
@staff_required(*FORM_EDIT)
def export(draft_id: int) -> Response:
    draft = _draft(draft_id)
    office = db.session.get(Office, draft.office_id)
    source = office.authority.name if office is not None else ""
    body = json.dumps(baukasten.export(draft, source), ensure_ascii=False, indent=2)
    audit(logged_in_staff(), "formular.exportiert", formular=draft.key)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="formular-{draft.key}.json"'})  # fmt: skip


@bp.route("/<int:draft_id>/kopieren", methods=["GET", "POST"])
@staff_required(*FORM_EDIT)
def copy(draft_id: int) -> PageResult:
    draft = _draft(draft_id)
    offices = _offices()
    get = request.method == "GET"
    form = CopyForm(data={"office": str(draft.office_id), "key": f"{draft.key}-kopie"[:90]}) \
        if get else CopyForm()  # fmt: skip
    _office_choices(form, offices)
    if get or not form.validate_on_submit():
        return _page("copy.html", 200 if get else 422, draft=draft, form=form)
    office = next(o for o in offices if str(o.id) == form.office.data)
    try:
        made = baukasten.copy(draft, office, logged_in_staff(), form.key.data.strip())
    except baukasten.BaukastenError as error:
        add_errors(form, form.key, [str(error)])
        return _page("copy.html", 422, draft=draft, form=form)
    flash(_("Die Kopie ist als Entwurf angelegt."), "success")
    return _to_detail(made)
