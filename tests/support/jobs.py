"""Run queued jobs in tests: with Redis configured they wait until a worker takes them."""

from __future__ import annotations

import os

from flask import Flask

REDIS_URL = os.environ.get("PORTAL_TEST_REDIS_URL", "")


def run_rq_jobs(app: Flask) -> None:
    """Work off the app's RQ queue (a no-op when jobs run in-process)."""
    if not app.config["PORTAL"].redis_url:
        return
    from redis import Redis
    from rq import Queue, SimpleWorker

    connection = Redis.from_url(app.config["PORTAL"].redis_url)
    queue = Queue(app.config["PORTAL"].job_queue, connection=connection)
    with app.app_context():
        SimpleWorker([queue], connection=connection).work(burst=True)
