"""Postfach pages for the account (``/postfach``) and for the office (``/verwaltung/postfach``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf.file import FileField
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse
from wtforms import BooleanField, SearchField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from portal.applications import uploads
from portal.applications.models import AuditEntry
from portal.catalog.models import Office
from portal.core.downloads import attachment as attach_file
from portal.core.formtools import ButtonForm, PortalForm, add_errors
from portal.core.storage import StoredFileMissingError, file_store
from portal.extensions import db
from portal.identity.access import (
    CASE_READ,
    CASE_WORK,
    OfficeScope,
    logged_in_staff,
    may,
    office_scope,
    staff_required,
)
from portal.identity.models import StaffAccount
from portal.postfach import services
from portal.postfach.decisions import deemed_delivered_on
from portal.postfach.models import MessageAttachment, Thread

bp = Blueprint("postfach", __name__, template_folder="templates")


class MessageForm(PortalForm):
    text = TextAreaField(
        _l("Ihre Nachricht"),
        validators=[
            DataRequired(_l("Bitte schreiben Sie eine Nachricht.")),
            Length(max=5000, message=_l("Die Nachricht darf höchstens 5.000 Zeichen lang sein.")),
        ],
    )
    attachment = FileField(
        _l("Anlage"), description=_l("Optional: PDF, JPEG oder PNG, höchstens 10 MB.")
    )


class OfficeMessageForm(MessageForm):
    important = BooleanField(_l("Als „Wichtig“ markieren (zum Beispiel bei einer Frist)"))


class NewThreadForm(MessageForm):
    office = SelectField(
        _l("An welches Amt?"), validators=[DataRequired(_l("Bitte wählen Sie ein Amt."))]
    )
    subject = StringField(
        _l("Betreff"),
        validators=[
            DataRequired(_l("Bitte geben Sie einen Betreff an.")),
            Length(max=200, message=_l("Der Betreff darf höchstens 200 Zeichen lang sein.")),
        ],
    )


class SearchForm(PortalForm):
    class Meta:
        csrf = False  # a GET search

    q = SearchField(
        _l("Nachrichten durchsuchen"),
        description=_l("Betreff, Aktenzeichen oder ein Wort aus einer Nachricht"),
        validators=[
            Optional(),
            Length(max=200, message=_l("Der Suchbegriff darf höchstens 200 Zeichen lang sein.")),
        ],
    )


class OfficeSearchForm(SearchForm):
    zeigen = SelectField(
        _l("Anzeigen"),
        description=_l("Wie in der Vorgangsliste sind abgeschlossene Vorgänge ausgeblendet."),
        choices=[
            SelectChoice(services.SHOWN_OPEN, _l("Offene Vorgänge und Anfragen")),
            SelectChoice(services.SHOWN_CLOSED, _l("Abgeschlossene Vorgänge")),
            SelectChoice(services.SHOWN_ALL, _l("Alle")),
        ],
        default=services.SHOWN_OPEN,
        validators=[Optional()],
    )


ActionForm = ButtonForm  # a button and its CSRF token


def _attachment(form: MessageForm) -> list[tuple[str, str, bytes]] | None:
    """The checked upload, or ``None`` with the error set on the form."""
    upload = request.files.get("attachment")
    if upload is None or not upload.filename:
        return []
    try:
        checked = uploads.check_upload(upload.stream, services.ATTACHMENT_TYPES)
    except uploads.UploadRefusedError as error:
        add_errors(form, form.attachment, [str(error)])
        return None
    return [(upload.filename, checked.content_type, checked.data)]


def _download(item: MessageAttachment) -> Response:
    try:
        data = file_store().get(item.storage_key)
    except StoredFileMissingError:
        abort(404)
    return attach_file(data, item.filename, item.content_type)


def _offices() -> list[Office]:
    return list(
        db.session.scalars(select(Office).where(Office.published.is_(True)).order_by(Office.name))
    )


def _office_names() -> dict[int, str]:
    return {office.id: office.name for office in _offices()}


# --- the account's Postfach -------------------------------------------------------------


@bp.get("/postfach")
@login_required  # type: ignore[untyped-decorator]
def inbox() -> str:
    archived = request.args.get("archiv") == "1"
    flagged = request.args.get("wichtig") == "1"
    search = SearchForm(request.args)
    if search.q.data and search.validate():
        where = services.owner_clause(current_user.person, current_user.acting_for)
        listing = services.search(where, search.q.data, unread_from_office=True, page=_page())
    else:
        listing = services.threads_of(
            current_user.person,
            current_user.acting_for,
            archived=archived,
            flagged=flagged,
            page=_page(),
        )
    return render_template(
        "postfach/inbox.html",
        listing=listing,
        archived=archived,
        flagged=flagged,
        search=search,
        office_names=_office_names(),
    )


def _page() -> int:
    raw = request.args.get("seite", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 100_000 else 1


def _new_form() -> NewThreadForm:
    form = NewThreadForm()
    form.office.choices = [SelectChoice("", _("Bitte wählen"))] + [
        SelectChoice(str(office.id), office.name) for office in _offices()
    ]
    return form


@bp.route("/postfach/neu", methods=["GET", "POST"])
@login_required  # type: ignore[untyped-decorator]
def new() -> BaseResponse | str | tuple[str, int]:
    form = _new_form()
    if form.validate_on_submit():
        files = _attachment(form)
        if files is not None:
            thread = services.new_thread(
                current_user.person,
                current_user.acting_for,
                int(form.office.data),
                form.subject.data,
            )
            services.post(
                thread,
                form.text.data,
                from_office=False,
                person_id=current_user.person.id,
                attachments=files,
            )
            flash(_("Ihre Nachricht ist eingegangen."), "success")
            return redirect(url_for(".thread", public_id=thread.public_id), 303)
    status = 422 if form.is_submitted() else 200
    return render_template("postfach/new.html", form=form), status


def _thread_page(
    thread: Thread, form: MessageForm, *, staff_view: bool, may_reply: bool = True
) -> str:
    senders: dict[int, str] = {}
    if staff_view:  # who on the staff side wrote, for colleagues only
        ids = {m.sender_staff_id for m in thread.messages if m.sender_staff_id}
        staff = db.session.scalars(select(StaffAccount).where(StaffAccount.id.in_(ids)))
        senders = {s.id: s.name or s.email for s in staff}
    return render_template(
        "postfach/thread.html",
        thread=thread,
        messages=[(m, services.shown_text(m, thread)) for m in thread.messages],
        form=form,
        action_form=ActionForm(),
        staff_view=staff_view,
        may_reply=may_reply,
        senders=senders,
        office_names=_office_names(),
    )


@bp.route("/postfach/<public_id>", methods=["GET", "POST"])
@login_required  # type: ignore[untyped-decorator]
def thread(public_id: str) -> BaseResponse | str | tuple[str, int]:
    found = services.owned_thread(public_id, current_user.person, current_user.acting_for)
    form = MessageForm()
    if request.method == "POST":
        if form.validate_on_submit():
            files = _attachment(form)
            if not services.reachable(found):
                add_errors(form, form.text, [str(services.UNREACHABLE)])
            elif files is not None:
                services.post(
                    found,
                    form.text.data,
                    from_office=False,
                    person_id=current_user.person.id,
                    attachments=files,
                )
                flash(_("Ihre Nachricht ist eingegangen."), "success")
                return redirect(url_for(".thread", public_id=public_id), 303)
        return _thread_page(found, form, staff_view=False), 422
    services.mark_read(found, by_office=False)
    return _thread_page(found, form, staff_view=False)


@bp.post("/postfach/<public_id>/archiv")
@login_required  # type: ignore[untyped-decorator]
def archive(public_id: str) -> BaseResponse:
    found = services.owned_thread(public_id, current_user.person, current_user.acting_for)
    if not ActionForm().validate_on_submit():
        abort(400)
    found.archived = not found.archived
    flash(_("Archiviert.") if found.archived else _("Zurück im Posteingang."), "success")
    return redirect(url_for(".inbox"), 303)


@bp.post("/postfach/<public_id>/wichtig")
@login_required  # type: ignore[untyped-decorator]
def flag(public_id: str) -> BaseResponse:
    found = services.owned_thread(public_id, current_user.person, current_user.acting_for)
    if not ActionForm().validate_on_submit():
        abort(400)
    found.flagged = not found.flagged
    flash(
        _("Als wichtig markiert.") if found.flagged else _("Markierung „Wichtig“ entfernt."),
        "success",
    )
    return redirect(url_for(".thread", public_id=public_id), 303)


@bp.get("/postfach/<public_id>/anlagen/<file_id>")
@login_required  # type: ignore[untyped-decorator]
def attachment(public_id: str, file_id: str) -> Response:
    found = services.owned_thread(public_id, current_user.person, current_user.acting_for)
    item = next((a for m in found.messages for a in m.attachments if a.public_id == file_id), None)
    if item is None:
        abort(404)
    response = _download(item)
    services.mark_retrieved(item)  # "abgerufen am", visible to the office
    return response


# --- the office's side ------------------------------------------------------------------


def _staff_offices() -> tuple[StaffAccount, OfficeScope]:
    """The member of staff and the offices whose Postfach they may read."""
    staff = logged_in_staff()
    return staff, office_scope(staff, *CASE_READ)


@bp.get("/verwaltung/postfach")
@staff_required(*CASE_READ)
def office_inbox() -> str:
    _staff, offices = _staff_offices()
    search = OfficeSearchForm(request.args)
    valid = search.validate()
    shown = (search.zeigen.data if valid else None) or services.SHOWN_OPEN
    if search.q.data and valid:
        where = services.office_where(offices, shown)
        listing = services.search(where, search.q.data, unread_from_office=False, page=_page())
    else:
        listing = services.office_threads(offices, page=_page(), shown=shown)
    params = {}  # what the pager and the links keep (the open view is the default)
    if valid and search.q.data:
        params["q"] = search.q.data
    if shown != services.SHOWN_OPEN:
        params["zeigen"] = shown
    return render_template(
        "postfach/office_inbox.html",
        listing=listing,
        search=search,
        params=params,
        hidden=services.closed_thread_count(offices) if shown == services.SHOWN_OPEN else 0,
        office_names=_office_names(),
    )


@bp.route("/verwaltung/postfach/<public_id>", methods=["GET", "POST"])
@staff_required(*CASE_READ)
def office_thread(public_id: str) -> BaseResponse | str | tuple[str, int]:
    staff, offices = _staff_offices()
    found = services.office_thread(public_id, offices)
    form = OfficeMessageForm()
    if request.method == "POST":
        if not may(staff, found.office_id, *CASE_WORK):
            abort(403)  # reads the office's Postfach, but does not answer for it
        if form.validate_on_submit():
            files = _attachment(form)
            if not services.reachable(found):
                add_errors(form, form.text, [str(services.UNREACHABLE)])
            elif files is not None:
                message = services.post(
                    found, form.text.data, from_office=True, staff_id=staff.id, attachments=files
                )
                message.important = bool(form.important.data)
                flash(_("Die Antwort ist im Postfach der antragstellenden Person."), "success")
                return redirect(url_for(".office_thread", public_id=public_id), 303)
        return _thread_page(found, form, staff_view=True), 422
    _audit(staff, found, "postfach.view")
    answers = may(staff, found.office_id, *CASE_WORK)
    if answers:  # "gelesen" tells the applicant the office read it, not the IT administration
        services.mark_read(found, by_office=True)
    return _thread_page(found, form, staff_view=True, may_reply=answers)


@bp.get("/verwaltung/postfach/<public_id>/anlagen/<file_id>")
@staff_required(*CASE_READ)
def office_attachment(public_id: str, file_id: str) -> Response:
    staff, offices = _staff_offices()
    found = services.office_thread(public_id, offices)
    item = next((a for m in found.messages for a in m.attachments if a.public_id == file_id), None)
    if item is None:
        abort(404)
    _audit(staff, found, "postfach.download", file=item.public_id)
    return _download(item)


def _audit(staff: StaffAccount, thread: Thread, action: str, **detail: Any) -> None:
    db.session.add(
        AuditEntry(
            staff_id=staff.id,
            action=action,
            application_id=thread.application_id,
            detail={"thread": thread.public_id, **detail},
        )
    )


@bp.app_template_filter("deemed_delivered")
def deemed_delivered(retrieved: dt.datetime | None) -> str:
    """The day a retrieved Bescheid counts as delivered (the day after retrieval, configurable)."""
    if retrieved is None:
        return ""
    return deemed_delivered_on(retrieved).strftime("%d.%m.%Y")
