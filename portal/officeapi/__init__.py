"""The office API: Fachverfahren and DMS of the offices read and answer cases (OAuth 2.0)."""

from __future__ import annotations

from flask import Flask

from portal.core.errors import answer_with_problems


def init_officeapi(app: Flask) -> None:
    from portal.officeapi import models as _models  # noqa: F401, PLC0415 - tables
    from portal.officeapi.auth import init_auth  # noqa: PLC0415
    from portal.officeapi.cli import clients_cli  # noqa: PLC0415
    from portal.officeapi.routes import bp  # noqa: PLC0415

    init_auth(app)
    app.register_blueprint(bp)
    answer_with_problems(app, bp.url_prefix or "")
    app.cli.add_command(clients_cli)
