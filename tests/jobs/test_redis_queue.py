"""The queue in Redis (workers on several hosts): a job pushed after the commit is run by a
worker, and the dispatcher finds a job whose push was lost."""

from __future__ import annotations

import os
import secrets
import time

import pytest

from bookstore.extensions import db
from bookstore.jobs import Job, JobState
from bookstore.jobs.outbox import add_job
from bookstore.jobs.queue import dispatch, huey_for, start_in_process
from tests.fixtures.services import skip_or_fail
from tests.jobs.handlers import seen


@pytest.fixture
def redis_app(make_app):
    url = os.environ.get("REDIS_URL")
    if not url:
        skip_or_fail("Redis tests need REDIS_URL")
    app = make_app(
        JOBS_RUN_INLINE=False, JOBS_URL=url, JOBS_QUEUE_NAME=f"test-{secrets.token_hex(6)}"
    )
    huey = huey_for(app)
    try:
        huey.storage.conn.ping()
    except Exception as exc:  # noqa: BLE001
        skip_or_fail(f"Redis at REDIS_URL is unreachable: {exc.__class__.__name__}")
    yield app
    huey.flush()


def wait_until(condition, timeout=15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.redis
def test_a_worker_on_redis_runs_pushed_and_dispatched_jobs(redis_app):
    huey = huey_for(redis_app)
    with redis_app.app_context():
        add_job("test-record", {"n": 1})
        db.session.commit()  # pushed to Redis
        assert huey.pending_count() == 1
        # A job whose push never happened (say, Redis was down at the commit):
        lost = add_job("test-record", {"n": 2})
        db.session.info.pop("bookstore.jobs.new")
        db.session.commit()
        assert huey.pending_count() == 1
        assert dispatch(redis_app) == 2  # the dispatcher pushes every due job

    consumer = start_in_process(redis_app, workers=2)
    try:
        assert wait_until(lambda: len(seen) >= 2), seen
    finally:
        consumer.stop(graceful=True)
    assert sorted(s["n"] for s in seen) == [1, 2]  # each once, however often it was pushed
    with redis_app.app_context():
        assert db.session.get(Job, lost).state is JobState.DONE
