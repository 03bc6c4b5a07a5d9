"""Retention: what is deleted when, and what an account deletion leaves for the office."""

from __future__ import annotations

from typing import Any

from flask import Flask


def init_retention(app: Flask) -> None:
    from portal.core.signals import account_deleting  # noqa: PLC0415
    from portal.retention import services  # noqa: PLC0415
    from portal.retention.cli import retention_cli  # noqa: PLC0415

    def on_account_deleting(_sender: Any, person: Any, **_: Any) -> None:
        services.forget_account(person)

    account_deleting.connect(on_account_deleting, sender=app, weak=False)
    app.cli.add_command(retention_cli)
