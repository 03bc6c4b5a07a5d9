"""Structured logs: one JSON object per line, one line per request, a request id on everything.

Every request gets an id: the one the reverse proxy sent in ``X-Request-ID`` when it looks like
an id (8–64 of ``A–Z a–z 0–9 . _ -``), else a new one. It is sent back in ``X-Request-ID`` and
added to every log record written while the request runs, so an operator finds all lines of
one request, and a citizen reporting a problem can quote it from the error page's headers.

What never goes into a log line: names, addresses, e-mail addresses, answers, message texts,
the client's IP address, query strings (search words can be personal), cookies or headers. The
request line holds the method, the path (ids in it are random or public), the route, the
status, the duration and the size. ``tests/core/test_logs.py`` submits an application and
checks that nothing of the applicant appears.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid

from flask import Flask, g, has_request_context, request
from flask.logging import default_handler
from pythonjsonlogger.json import JsonFormatter
from werkzeug.wrappers import Response

ACCESS = logging.getLogger("portal.access")
REQUEST_ID_HEADER = "X-Request-ID"
VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
HANDLER_MARK = "portal_log_handler"


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to records written inside a request (``-`` elsewhere)."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = g.get("request_id") if has_request_context() else None
        record.request_id = request_id or "-"
        return True


def _handler(log_format: str) -> logging.Handler:
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(
            JsonFormatter(
                "{levelname}{name}{message}{request_id}",
                style="{",
                rename_fields={"levelname": "level", "name": "logger"},
                timestamp="time",  # ISO 8601, UTC
                json_ensure_ascii=False,
            )
        )
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
        )
    handler.addFilter(RequestIdFilter())
    setattr(handler, HANDLER_MARK, True)
    return handler


def init_logging(app: Flask) -> None:
    """Log the portal's loggers to stderr in the chosen format; a line per request."""
    portal_logger = logging.getLogger("portal")  # also Flask's app.logger
    portal_logger.setLevel(logging.INFO)
    portal_logger.removeHandler(default_handler)  # ours replaces Flask's plain one
    # One handler per process, whichever app was created last (tests create many).
    for existing in [h for h in portal_logger.handlers if getattr(h, HANDLER_MARK, False)]:
        portal_logger.removeHandler(existing)
    portal_logger.addHandler(_handler(app.config["PORTAL"].log_format))

    @app.before_request
    def assign_request_id() -> None:
        sent = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = sent if VALID_REQUEST_ID.fullmatch(sent) else uuid.uuid4().hex
        g.log_started = time.perf_counter()

    @app.after_request
    def log_request(response: Response) -> Response:
        request_id = g.get("request_id")
        if request_id:
            response.headers[REQUEST_ID_HEADER] = request_id
        started = g.get("log_started")
        duration = (time.perf_counter() - started) * 1000 if started is not None else None
        ACCESS.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "endpoint": request.endpoint or "-",
                "status": response.status_code,
                "duration_ms": round(duration, 1) if duration is not None else None,
                "bytes": response.calculate_content_length(),
            },
        )
        return response
