"""The outbox: jobs are written with the change that causes them and run once it commits."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bookstore.dbtypes import utcnow
from bookstore.extensions import db
from bookstore.jobs import Job, JobState, enqueue, retry, run_due, run_job, stats
from bookstore.jobs.outbox import add_job
from tests.jobs.handlers import failures, seen


def job_rows():
    return db.session.scalars(select(Job).order_by(Job.id)).all()


def test_a_job_runs_after_the_commit_with_no_transaction_open(app_ctx):
    enqueue("test-record", {"n": 1})
    assert seen == []
    db.session.commit()
    assert [(s["n"], s["attempt"], s["in_transaction"]) for s in seen] == [(1, 1, False)]
    [job] = job_rows()
    assert job.state is JobState.DONE
    assert job.finished_at is not None


def test_jobs_enqueued_in_a_rolled_back_transaction_never_run(app_ctx):
    enqueue("test-record", {"n": 1})
    db.session.rollback()
    db.session.commit()
    assert run_due(now=utcnow() + timedelta(days=1)) == {}
    assert seen == []
    assert job_rows() == []


def test_a_savepoint_rolled_back_keeps_the_jobs_written_before_it(app_ctx):
    enqueue("test-record", {"n": 1})
    with db.session.begin_nested() as savepoint:
        enqueue("test-record", {"n": 2})
        savepoint.rollback()
    db.session.commit()
    assert [s["n"] for s in seen] == [1]


def test_a_released_savepoint_runs_nothing_until_the_real_commit(app_ctx):
    # SQLAlchemy fires "after_commit" when a savepoint is released, too.
    enqueue("test-record", {"n": 1})
    with db.session.begin_nested():
        enqueue("test-record", {"n": 2})
    assert seen == []
    db.session.rollback()
    db.session.commit()
    assert seen == []
    assert job_rows() == []


def test_jobs_queued_around_a_released_savepoint_run_after_the_commit(app_ctx):
    enqueue("test-record", {"n": 1})
    with db.session.begin_nested():
        enqueue("test-record", {"n": 2})
    db.session.commit()
    assert [(s["n"], s["in_transaction"]) for s in seen] == [(1, False), (2, False)]


def test_the_same_key_is_queued_once_even_across_transactions(app_ctx):
    enqueue("test-record", {"n": 1}, key="order-confirmation:42")
    enqueue("test-record", {"n": 2}, key="order-confirmation:42")
    db.session.commit()
    enqueue("test-record", {"n": 3}, key="order-confirmation:42")
    db.session.commit()
    assert [s["n"] for s in seen] == [1]
    assert db.session.scalar(select(func.count()).select_from(Job)) == 1


def test_an_unknown_kind_is_refused_at_once(app_ctx):
    with pytest.raises(ValueError, match="No handler"):
        enqueue("no-such-kind", {})


def test_a_delayed_job_waits_for_its_time(app_ctx):
    enqueue("test-record", {"n": 1}, delay=timedelta(minutes=10))
    db.session.commit()
    assert run_due() == {}
    assert run_due(now=utcnow() + timedelta(minutes=11)) == {"done": 1}
    assert [s["n"] for s in seen] == [1]


def test_a_failure_is_retried_with_growing_backoff_then_succeeds(make_app):
    app = make_app(JOBS_RETRY_SECONDS=30)
    with app.app_context():
        failures["left"] = 2
        enqueue("test-flaky", {"n": 1})
        db.session.commit()  # first attempt, inline: fails
        [job] = job_rows()
        assert (job.state, job.attempts) == (JobState.PENDING, 1)
        assert job.last_error == "ConnectionError: the far side is down"
        # 30 s after the failed attempt (which came a moment after the job was written).
        first_wait = job.run_after - job.created_at
        assert timedelta(seconds=30) <= first_wait < timedelta(seconds=40)

        assert run_due() == {}  # not yet
        now = job.run_after
        assert run_due(now=now) == {"retry": 1}
        db.session.expire_all()
        job = db.session.get(Job, job.id)
        assert job.run_after - now == timedelta(seconds=60)
        assert run_due(now=job.run_after) == {"done": 1}
        db.session.expire_all()
        assert db.session.get(Job, job.id).state is JobState.DONE
    assert [s["attempt"] for s in seen] == [3]


def test_after_max_attempts_a_job_is_a_dead_letter_until_retried(make_app):
    app = make_app(JOBS_MAX_ATTEMPTS=3)
    with app.app_context():
        failures["left"] = 3
        enqueue("test-flaky", {"n": 1})
        db.session.commit()
        now = utcnow()
        for _ in range(2):
            now += timedelta(hours=2)
            run_due(now=now)
        [job] = job_rows()
        assert (job.state, job.attempts) == (JobState.FAILED, 3)
        assert "the far side is down" in job.last_error
        assert run_due(now=now + timedelta(days=1)) == {}
        assert stats()["failed"] == 1

        assert retry(job.id)
        db.session.commit()  # runs again at once (inline), and works this time
        db.session.expire_all()
        assert db.session.get(Job, job.id).state is JobState.DONE
        assert not retry(job.id)  # only failed jobs are retried
    assert [s["n"] for s in seen] == [1]


def test_a_permanent_error_gives_up_at_once(app_ctx):
    enqueue("test-hopeless", {})
    db.session.commit()
    [job] = job_rows()
    assert (job.state, job.attempts) == (JobState.FAILED, 1)
    assert job.last_error == "PermanentJobError: this can never work"


def test_a_job_whose_worker_died_runs_again_when_the_lease_lapses(make_app):
    app = make_app(JOBS_RUN_INLINE=False, JOBS_LEASE_SECONDS=60)
    with app.app_context():
        job_id = add_job("test-record", {"n": 1})
        db.session.commit()
        # A worker claimed it and was killed: the row says running, with a lease.
        now = utcnow()
        db.session.execute(
            Job.__table__.update()
            .where(Job.id == job_id)
            .values(state="running", attempts=1, locked_until=now + timedelta(seconds=60))
        )
        db.session.commit()
        assert run_job(job_id, now=now) == "skipped"  # the lease still holds
        assert run_due(now=now + timedelta(seconds=61)) == {"done": 1}
    assert [(s["n"], s["attempt"]) for s in seen] == [(1, 2)]


def test_a_job_is_claimed_once_by_two_workers(make_app):
    app = make_app(JOBS_RUN_INLINE=False)
    with app.app_context():
        job_id = add_job("test-record", {"n": 1})
        db.session.commit()
        assert [run_job(job_id), run_job(job_id)] == ["done", "skipped"]
    assert len(seen) == 1


def test_stats_count_pending_and_failed_and_the_oldest_wait(make_app):
    app = make_app(JOBS_RUN_INLINE=False)
    with app.app_context():
        add_job("test-record", {"n": 1})
        add_job("test-record", {"n": 2}, delay=timedelta(hours=1))
        add_job("test-hopeless", {})
        db.session.commit()
        run_due()
        figures = stats(now=utcnow() + timedelta(seconds=90))
    assert figures["pending"] == 1
    assert figures["failed"] == 1
    assert figures["oldest_pending_seconds"] == 0  # the first ran; the delayed one is not due
    with app.app_context():
        figures = stats(now=utcnow() + timedelta(hours=2))
    assert 3500 < figures["oldest_pending_seconds"] < 3700
