"""Prometheus metrics for operators: ``GET /metrics``, protected by ``PORTAL_METRICS_TOKEN``.

Three kinds of figures:
- counted in the process as things happen: requests per route and status, their latency, failed
  background jobs, and whatever counters domain packages define (payments count rejected
  webhooks). With several gunicorn workers set ``PROMETHEUS_MULTIPROC_DIR`` to an empty folder
  shared by the workers of one machine, so a scrape sees the sum of all of them
  (prometheus-client's multiprocess mode);
- read at scrape time from the shared state: every package registers a *source* with
  :func:`register_source`, a function that yields metric families (the job queue's length, the
  hand-off deliveries waiting or given up, stuck payments). They are the same on every worker;
- nothing personal: labels are route names, methods, status codes and states.

Without a token the endpoint does not exist (404): metrics tell an attacker more than they
should, so exposing them is a decision the operator takes.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from flask import Flask, abort, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import Metric
from prometheus_client.registry import REGISTRY, Collector
from werkzeug.wrappers import Response

Source = Callable[[], Iterable[Metric]]

REQUESTS = Counter(
    "portal_http_requests_total",
    "HTTP requests answered, by route, method and status",
    ["endpoint", "method", "status"],
)
LATENCY = Histogram(
    "portal_http_request_duration_seconds",
    "Time from the request's arrival in the app to its response, by route",
    ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
JOB_FAILURES = Counter("portal_job_failures_total", "Background jobs that raised, by job", ["job"])


class _Sources(Collector):
    """Runs the registered sources at scrape time, inside the scraping request."""

    def __init__(self, sources: list[tuple[str, Source]]) -> None:
        self.sources = sources

    def collect(self) -> Iterator[Metric]:
        for _name, source in self.sources:
            yield from source()


def register_source(app: Flask, name: str, source: Source) -> None:
    """Add a scrape-time source (called by the packages' ``init_*``); names are unique."""
    sources: list[tuple[str, Source]] = app.extensions["portal.metric_sources"]
    if any(known == name for known, _ in sources):
        raise ValueError(f"metric source {name!r} registered twice")
    sources.append((name, source))


def _exposition(app: Flask) -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted)  # type: ignore[no-untyped-call]
    else:
        counted = REGISTRY
    scraped = CollectorRegistry()
    scraped.register(_Sources(app.extensions["portal.metric_sources"]))
    return generate_latest(counted) + generate_latest(scraped)


def _authorised(token: str) -> bool:
    sent = request.headers.get("Authorization", "")
    scheme, _, value = sent.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(value.encode(), token.encode())


def init_metrics(app: Flask) -> None:
    """Count every request; serve ``/metrics`` when ``PORTAL_METRICS_TOKEN`` is set."""
    app.extensions["portal.metric_sources"] = []
    token: str = app.config["PORTAL"].metrics_token

    @app.before_request
    def start_clock() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def count(response: Response) -> Response:
        started = g.get("metrics_started")
        endpoint = request.endpoint or "unbekannt"
        if endpoint != "metrics":
            REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
            if started is not None:
                LATENCY.labels(endpoint).observe(time.perf_counter() - started)
        return response

    def metrics() -> Any:
        if not token:
            abort(404)
        if not _authorised(token):
            return Response(
                "Bearer token required\n",
                401,
                {"WWW-Authenticate": 'Bearer realm="metrics"', "Cache-Control": "no-store"},
                mimetype="text/plain",
            )
        return Response(
            _exposition(app),
            200,
            {"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"},
        )

    app.add_url_rule("/metrics", endpoint="metrics", view_func=metrics)
