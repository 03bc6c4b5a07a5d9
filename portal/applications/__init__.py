"""Online applications: form definitions, drafts, uploads, submission and receipts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Flask, url_for

if TYPE_CHECKING:
    from portal.catalog.services import YouNeed


def _online_form_url(keys: list[str]) -> str | None:
    from portal.applications.services import form_for_service  # noqa: PLC0415

    row = form_for_service(keys)
    return url_for("applications.start", form_key=row.key) if row is not None else None


def _online_form_office(keys: list[str]) -> int | None:
    from portal.applications.services import form_for_service  # noqa: PLC0415

    row = form_for_service(keys)
    return row.office_id if row is not None else None


def _online_form_needs(keys: list[str]) -> YouNeed | None:
    from portal.applications.services import needs_for_service  # noqa: PLC0415

    return needs_for_service(keys)


def init_applications(app: Flask) -> None:
    from portal.applications import demo as _demo  # noqa: F401, PLC0415 - registers loader
    from portal.applications.cli import forms_cli  # noqa: PLC0415
    from portal.applications.routes import bp  # noqa: PLC0415

    app.register_blueprint(bp)
    app.cli.add_command(forms_cli)
    app.extensions["online_form_url"] = _online_form_url
    app.extensions["online_form_office"] = _online_form_office
    app.extensions["online_form_needs"] = _online_form_needs
    app.extensions.setdefault("key_rotations", []).append(("Antragsdateien", _rotate_files))
    app.extensions.setdefault("account_sections", []).append(_next_steps)
    app.extensions.setdefault("person_export", []).append(("vorschlaege", _suggestion_choices))


def _next_steps(person: Any) -> str:
    """The account's list of suggested next services (empty: nothing to show)."""
    from flask import render_template  # noqa: PLC0415
    from markupsafe import Markup  # noqa: PLC0415

    from portal.applications.suggestions import open_for  # noqa: PLC0415

    found = open_for(person.id)
    if not found:
        return ""
    return Markup(  # noqa: S704 - a rendered, autoescaped template
        render_template("applications/_account_next_steps.html", suggestions=found)
    )


def _rotate_files() -> int:
    from sqlalchemy import select  # noqa: PLC0415

    from portal.applications.models import ApplicationFile  # noqa: PLC0415
    from portal.core.storage import file_store  # noqa: PLC0415
    from portal.extensions import db  # noqa: PLC0415

    keys = list(db.session.scalars(select(ApplicationFile.storage_key)))
    store = file_store()
    for key in keys:
        store.rotate(key)
    return len(keys)


def _suggestion_choices(person: Any) -> list[dict[str, str]]:
    from sqlalchemy import select  # noqa: PLC0415

    from portal.applications.models import SuggestionChoice  # noqa: PLC0415
    from portal.catalog.models import Leistung  # noqa: PLC0415
    from portal.extensions import db  # noqa: PLC0415

    rows = db.session.execute(
        select(Leistung.name, SuggestionChoice.state)
        .join(Leistung, Leistung.id == SuggestionChoice.leistung_id)
        .where(SuggestionChoice.person_id == person.id)
    ).all()
    return [{"leistung": name, "stand": state.value} for name, state in rows]
