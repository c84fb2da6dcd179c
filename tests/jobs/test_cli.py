"""``flask jobs``: list, retry and run-due for operators."""

from datetime import timedelta

from sqlalchemy import select

from bookstore.dbtypes import utcnow
from bookstore.extensions import db
from bookstore.jobs import Job, JobState
from bookstore.jobs.outbox import add_job
from tests.jobs.handlers import seen


def test_list_retry_and_run_due(make_app):
    app = make_app(JOBS_RUN_INLINE=False)
    runner = app.test_cli_runner()
    with app.app_context():
        hopeless = add_job("test-hopeless", {}, key="doomed:1")
        add_job("test-record", {"n": 1})
        db.session.commit()

    result = runner.invoke(args=["jobs", "run-due"])
    assert result.exit_code == 0, result.output
    assert "Ran 2 due job(s): 1 done, 1 failed." in result.output

    listed = runner.invoke(args=["jobs", "list", "--failed"]).output
    assert "0 pending, 1 failed" in listed
    assert f"#{hopeless} test-hopeless failed attempts 1/10" in listed
    assert "key doomed:1" in listed
    assert "PermanentJobError: this can never work" in listed
    assert "test-record" not in listed

    retried = runner.invoke(args=["jobs", "retry", str(hopeless)])
    assert retried.exit_code == 0, retried.output
    with app.app_context():
        assert db.session.get(Job, hopeless).state is JobState.PENDING
    again = runner.invoke(args=["jobs", "retry", str(hopeless)])
    assert again.exit_code == 1
    assert "has not failed" in again.output
    assert "There is no job #999" in runner.invoke(args=["jobs", "retry", "999"]).output


def test_run_due_leaves_future_jobs_alone(make_app):
    app = make_app(JOBS_RUN_INLINE=False)
    with app.app_context():
        add_job("test-record", {"n": 1}, delay=timedelta(hours=1))
        db.session.commit()
    assert "Ran 0 due job(s)." in app.test_cli_runner().invoke(args=["jobs", "run-due"]).output
    assert seen == []
    with app.app_context():
        job = db.session.scalar(select(Job))
        assert job.state is JobState.PENDING
        assert job.run_after > utcnow()
