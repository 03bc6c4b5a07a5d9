"""One unit of work per request: commit once when the request succeeded, roll back otherwise."""

from __future__ import annotations

from flask import Flask, Response

from portal.core.jobs import discard_pending, dispatch_pending
from portal.extensions import db


def init_unit_of_work(app: Flask) -> None:
    @app.after_request
    def finish_unit_of_work(response: Response) -> Response:
        # Error responses (4xx/5xx) never persist half-done work.
        if response.status_code >= 400:
            db.session.rollback()
            discard_pending()
            return response
        db.session.commit()
        dispatch_pending()
        return response

    @app.teardown_request
    def drop_pending_jobs(error: BaseException | None) -> None:
        if error is not None:
            discard_pending()
