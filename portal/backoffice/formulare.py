"""Back office: Verwaltung → Formulare, the Baukasten. The Formularredaktion of an office (and
administrators) list the office's forms, create one from a FIM Stammdatenschema uploaded in the
browser, see what the import could not carry over, and publish it. Every page is scoped to the
offices where the member of staff holds the role; another office's form is a 404."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from portal.applications import baukasten
from portal.applications.models import FormDraft
from portal.backoffice.forms import FieldEditForm, FimUploadForm, FormSettingsForm
from portal.catalog.models import Office
from portal.core.formtools import ButtonForm, add_errors
from portal.extensions import db
from portal.identity.access import (
    FORM_EDIT,
    in_scope,
    logged_in_staff,
    may,
    office_scope,
    staff_required,
)

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
    "veroeffentlicht": _l("veröffentlicht"),
    "geaendert": _l("veröffentlicht, Entwurf geändert"),
}


def _offices() -> list[Office]:
    scope = office_scope(logged_in_staff(), *FORM_EDIT)
    return list(
        db.session.scalars(select(Office).where(in_scope(Office.id, scope)).order_by(Office.name))
    )


def _draft(draft_id: int) -> FormDraft:
    draft = db.session.get(FormDraft, draft_id)
    if draft is None or not may(logged_in_staff(), draft.office_id, *FORM_EDIT):
        abort(404)
    return draft


@bp.get("/")
@staff_required(*FORM_EDIT)
def overview() -> str:
    offices = {office.id: office for office in _offices()}
    scope = office_scope(logged_in_staff(), *FORM_EDIT)
    return render_template(
        "backoffice/formulare/overview.html",
        forms=baukasten.listed(scope),
        offices=offices,
        state_labels=STATE_LABELS,
    )


def _upload_page(form: FimUploadForm, status: int = 200) -> tuple[str, int]:
    return render_template("backoffice/formulare/new.html", form=form), status


@bp.route("/neu", methods=["GET", "POST"])
@staff_required(*FORM_EDIT)
def create() -> Response | tuple[str, int]:
    try:
        return _create()
    finally:
        for upload in request.files.values():
            upload.close()  # a large one is a temporary file on disk


def _create() -> Response | tuple[str, int]:
    offices = _offices()
    form = FimUploadForm()
    form.office.choices = [SelectChoice(str(o.id), o.name) for o in offices]
    if request.method == "GET":
        return _upload_page(form)
    if not form.validate_on_submit():
        return _upload_page(form, 422)
    upload = request.files.get("schema")
    if upload is None or not upload.filename:
        add_errors(form, form.schema, [_("Bitte wählen Sie die XML-Datei des Schemas aus.")])
        return _upload_page(form, 422)
    office = next(o for o in offices if str(o.id) == form.office.data)
    data = upload.stream.read(baukasten.MAX_FIM_BYTES + 1)
    try:
        draft = baukasten.import_fim(
            data, upload.filename, office, logged_in_staff(), (form.key.data or "").strip()
        )
    except baukasten.BaukastenError as error:
        add_errors(form, form.schema, [str(error)])
        return _upload_page(form, 422)
    flash(_("Das Formular ist als Entwurf angelegt. Prüfen Sie die Hinweise zum Import."),
          "success")  # fmt: skip
    return redirect(url_for(".detail", draft_id=draft.id), 303)


@bp.get("/<int:draft_id>")
@staff_required(*FORM_EDIT)
def detail(draft_id: int) -> str:
    draft = _draft(draft_id)
    return render_template(
        "backoffice/formulare/detail.html",
        draft=draft,
        office=db.session.get(Office, draft.office_id),
        steps=draft.definition.get("steps", []),
        problem=baukasten.problem(draft),
        field_types=FIELD_TYPES,
        form=ButtonForm(),
        state_labels=STATE_LABELS,
    )


@bp.post("/<int:draft_id>/veroeffentlichen")
@staff_required(*FORM_EDIT)
def publish(draft_id: int) -> Response:
    draft = _draft(draft_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        row = baukasten.publish(draft, logged_in_staff())
    except baukasten.BaukastenError as error:
        flash(str(error), "warning")
        return redirect(url_for(".detail", draft_id=draft.id), 303)
    flash(_("Version %(version)s ist veröffentlicht. Bürgerinnen und Bürger finden das Formular "
            "unter /antrag/%(key)s.", version=row.version, key=row.key), "success")  # fmt: skip
    return redirect(url_for(".detail", draft_id=draft.id), 303)


def _settings_of(draft: FormDraft) -> dict[str, object]:
    definition = draft.definition
    fee = definition.get("fee") or {}
    cents = int(fee.get("amount_cents", 0)) if fee.get("kind") == "fixed" else 0
    return {
        "title": draft.title,
        "service": definition.get("service", ""),
        "trust_level": definition.get("trust_level", "basisregistrierung"),
        "accounts": list(definition.get("accounts", ["buerger"])),
        "fee": f"{cents // 100},{cents % 100:02d}" if cents else "",
        "payment": definition.get("payment", "none"),
        "purpose": definition.get("purpose", ""),
    }


@bp.route("/<int:draft_id>/einstellungen", methods=["GET", "POST"])
@staff_required(*FORM_EDIT)
def settings(draft_id: int) -> Response | tuple[str, int]:
    draft = _draft(draft_id)
    form = (
        FormSettingsForm(data=_settings_of(draft))
        if request.method == "GET"
        else (FormSettingsForm())
    )
    if request.method == "POST":
        if not form.validate_on_submit():
            page = render_template("backoffice/formulare/settings.html", draft=draft, form=form)
            return page, 422
        baukasten.save_settings(draft, logged_in_staff(), {
            "title": form.title.data.strip(), "service": (form.service.data or "").strip(),
            "trust_level": form.trust_level.data, "accounts": list(form.accounts.data),
            "payment": form.payment.data, "purpose": (form.purpose.data or "").strip(),
            "fee_cents": form.fee_cents(),
        })  # fmt: skip
        flash(_("Die Angaben zum Formular sind gespeichert."), "success")
        return redirect(url_for(".detail", draft_id=draft.id), 303)
    return render_template("backoffice/formulare/settings.html", draft=draft, form=form), 200


@bp.route("/<int:draft_id>/felder/<step_key>/<field_key>", methods=["GET", "POST"])
@staff_required(*FORM_EDIT)
def edit_field(draft_id: int, step_key: str, field_key: str) -> Response | tuple[str, int]:
    draft = _draft(draft_id)
    spec = baukasten.field_of(draft, step_key, field_key)
    if spec is None:
        abort(404)
    stored = {"label": spec.get("label", ""), "help": spec.get("help", ""),
              "required": bool(spec.get("required"))}  # fmt: skip
    form = FieldEditForm(data=stored) if request.method == "GET" else FieldEditForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            page = render_template("backoffice/formulare/field.html", draft=draft, form=form,
                                   spec=spec, field_types=FIELD_TYPES)  # fmt: skip
            return page, 422
        baukasten.save_field(draft, logged_in_staff(), step_key, field_key, {
            "label": form.label.data.strip(), "help": (form.help.data or "").strip(),
            "required": bool(form.required.data),
        })  # fmt: skip
        flash(_("Das Feld „%(label)s“ ist gespeichert.", label=form.label.data.strip()),
              "success")  # fmt: skip
        return redirect(url_for(".detail", draft_id=draft.id) + f"#schritt-{step_key}", 303)
    page = render_template("backoffice/formulare/field.html", draft=draft, form=form, spec=spec,
                           field_types=FIELD_TYPES)  # fmt: skip
    return page, 200
