"""Background jobs behind a small interface.

``enqueue(job_function, *args)`` inside a request (or a job) defers the job until the unit of work
commits: a job never runs for data that was rolled back, and a worker never looks for a row that is
not committed yet. Without ``PORTAL_REDIS_URL`` jobs then run in-process, one after the other; with
it they go to an RQ queue and a worker (``flask --app wsgi jobs worker``) runs them.

Job functions are module-level functions taking JSON-friendly arguments. Each runs in its own unit
of work: it commits when it returns and rolls back when it raises.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from flask import Flask, current_app
from prometheus_client.core import GaugeMetricFamily, Metric

from portal.core.metrics import JOB_FAILURES, register_source
from portal.extensions import db

if TYPE_CHECKING:
    from redis import Redis

log = logging.getLogger(__name__)

JobFunction = Callable[..., Any]
PENDING_KEY = "portal.pending_jobs"
EXTENSION_KEY = "portal.jobs"


@dataclass(frozen=True)
class Job:
    function: JobFunction
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.function.__module__}.{self.function.__qualname__}"


class JobQueue(Protocol):
    """Where committed jobs go."""

    def dispatch(self, job: Job) -> None: ...


class InProcessQueue:
    """Runs each job at once, in this process: the embedded default."""

    def dispatch(self, job: Job) -> None:
        try:
            run_job(job.function, *job.args, **job.kwargs)
        except Exception:
            # The request that queued the job has already committed; a failed job is logged,
            # not turned into an error page for work that succeeded.
            log.exception("Hintergrundaufgabe %s ist fehlgeschlagen", job.name)
            JOB_FAILURES.labels(job.name).inc()


class RQQueue:
    """Hands jobs to an RQ queue on Redis."""

    def __init__(self, connection: Redis, name: str) -> None:
        from rq import Queue  # noqa: PLC0415 - rq is only needed when Redis is configured

        self.queue = Queue(name, connection=connection)

    def dispatch(self, job: Job) -> None:
        self.queue.enqueue(run_job, job.function, *job.args, **job.kwargs)


def init_jobs(app: Flask) -> None:
    """Choose the queue from the settings and dispatch pending jobs after each commit."""
    redis_url: str = app.config["PORTAL"].redis_url
    queue: JobQueue
    if redis_url:
        from redis import Redis  # noqa: PLC0415

        queue = RQQueue(Redis.from_url(redis_url), app.config["PORTAL"].job_queue)
    else:
        queue = InProcessQueue()
    app.extensions[EXTENSION_KEY] = queue
    register_source(app, "jobs", lambda: _queue_figures(queue))


def _queue_figures(queue: JobQueue) -> Iterator[Metric]:
    """Jobs waiting for a worker, and jobs that failed there (RQ's failed registry)."""
    waiting = GaugeMetricFamily("portal_jobs_waiting", "Jobs queued and not yet started")
    failed = GaugeMetricFamily(
        "portal_jobs_failed", "Jobs that failed in a worker and wait in RQ's failed registry"
    )
    if isinstance(queue, RQQueue):
        waiting.add_metric([], len(queue.queue))
        failed.add_metric([], queue.queue.failed_job_registry.count)
    else:  # in-process jobs never wait; their failures are portal_job_failures_total
        waiting.add_metric([], 0)
        failed.add_metric([], 0)
    yield waiting
    yield failed


def get_queue() -> JobQueue:
    queue: JobQueue = current_app.extensions[EXTENSION_KEY]
    return queue


def enqueue(function: JobFunction, *args: Any, **kwargs: Any) -> None:
    """Queue ``function(*args, **kwargs)`` to run after the current unit of work commits.

    Nothing runs if the unit of work rolls back. Does not commit.
    """
    db.session.info.setdefault(PENDING_KEY, []).append(Job(function, args, kwargs))


def discard_pending() -> None:
    """Forget jobs queued in a unit of work that was rolled back."""
    db.session.info.pop(PENDING_KEY, None)


def dispatch_pending() -> int:
    """Send the jobs of the unit of work that just committed; returns how many were sent."""
    pending: list[Job] = db.session.info.pop(PENDING_KEY, [])
    queue = get_queue()
    for job in pending:
        queue.dispatch(job)
    return len(pending)


def run_job(function: JobFunction, *args: Any, **kwargs: Any) -> Any:
    """Run one job as its own unit of work: commit on return, roll back on error.

    Needs an application context (the worker command pushes one). Jobs it queues are dispatched
    after its commit.
    """
    try:
        result = function(*args, **kwargs)
        db.session.commit()
    except Exception:
        db.session.rollback()
        discard_pending()
        raise
    dispatch_pending()
    return result
