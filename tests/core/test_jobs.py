from __future__ import annotations

import os
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.orm import Session, scoped_session

from portal.core import jobs
from portal.core.jobs import InProcessQueue, Job, RQQueue, enqueue
from tests.core.jobs_helpers import append_line, fail_always

REDIS_URL = os.environ.get("PORTAL_TEST_REDIS_URL", "")


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


@pytest.fixture
def in_process(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.extensions, jobs.EXTENSION_KEY, InProcessQueue())


@pytest.mark.usefixtures("in_process")
def test_a_job_runs_only_after_the_unit_of_work_commits(
    app: Flask, db_session: scoped_session[Session], tmp_path: Path
) -> None:
    target = tmp_path / "out.txt"
    with app.test_request_context():
        enqueue(append_line, str(target), "eins")
        assert lines(target) == []
        db_session.commit()
        assert jobs.dispatch_pending() == 1
        assert lines(target) == ["eins"]
        assert jobs.dispatch_pending() == 0


@pytest.mark.usefixtures("in_process")
def test_a_rolled_back_unit_of_work_runs_no_job(
    app: Flask, db_session: scoped_session[Session], tmp_path: Path
) -> None:
    target = tmp_path / "out.txt"
    with app.test_request_context():
        enqueue(append_line, str(target), "verworfen")
        db_session.rollback()
        jobs.discard_pending()
        assert jobs.dispatch_pending() == 0
    assert lines(target) == []


def test_an_in_process_failure_is_logged_not_raised(
    app: Flask,
    db_session: scoped_session[Session],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    target = tmp_path / "out.txt"
    with app.app_context():
        InProcessQueue().dispatch(Job(fail_always, (str(target),)))
    assert lines(target) == ["tried"]
    assert "fail_always" in caplog.text


@pytest.mark.redis
@pytest.mark.skipif(not REDIS_URL, reason="PORTAL_TEST_REDIS_URL nicht gesetzt (CI setzt es)")
def test_rq_queue_hands_jobs_to_a_worker(
    app: Flask, db_session: scoped_session[Session], tmp_path: Path
) -> None:
    from redis import Redis
    from rq import SimpleWorker

    target = tmp_path / "out.txt"
    connection = Redis.from_url(REDIS_URL)
    queue = RQQueue(connection, f"portal-jobs-test-{os.getpid()}")
    try:
        queue.dispatch(Job(append_line, (str(target), "über Redis")))
        assert queue.queue.count == 1
        assert lines(target) == []  # nothing runs in the web process
        with app.app_context():
            SimpleWorker([queue.queue], connection=connection).work(burst=True)
        assert lines(target) == ["über Redis"]
        assert queue.queue.count == 0
    finally:
        queue.queue.empty()
        queue.queue.delete(delete_jobs=True)
