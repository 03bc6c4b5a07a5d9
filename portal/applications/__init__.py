"""Online applications: form definitions, drafts, uploads, submission and receipts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask, url_for

if TYPE_CHECKING:
    from portal.catalog.services import YouNeed


def _online_form_url(keys: list[str]) -> str | None:
    from portal.applications.services import form_for_service  # noqa: PLC0415

    row = form_for_service(keys)
    return url_for("applications.start", form_key=row.key) if row is not None else None


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
    app.extensions["online_form_needs"] = _online_form_needs
    app.extensions.setdefault("key_rotations", []).append(("Antragsdateien", _rotate_files))


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
