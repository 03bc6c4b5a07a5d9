"""The Postfach: secure messages between an account and an office, per case or general."""

from __future__ import annotations

from typing import Any

from flask import Flask


def init_postfach(app: Flask) -> None:
    from portal.core.signals import application_submitted  # noqa: PLC0415
    from portal.postfach import services  # noqa: PLC0415
    from portal.postfach.routes import bp  # noqa: PLC0415

    def on_submitted(_sender: Any, application: Any, **_: Any) -> None:
        services.acknowledge_submission(application)

    application_submitted.connect(on_submitted, sender=app, weak=False)
    app.register_blueprint(bp)
    rotations = app.extensions.setdefault("key_rotations", [])
    rotations.append(("Postfach-Nachrichten", services.rotate_bodies))
    rotations.append(("Postfach-Anlagen", services.rotate_attachments))
    # Last: the blind index follows the newest key, which the app reads at start-up.
    rotations.append(("Postfach-Suchindex", services.reindex))
