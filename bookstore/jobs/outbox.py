"""``enqueue``: a job row written in the caller's transaction, handed to a worker after commit.

The row is the promise; the push to the task queue after the commit is only a nudge (a lost
push is covered by the dispatcher, which finds due rows every half minute). A rollback removes
the row with everything else, so a job of a change that never happened never runs.
With ``JOBS_RUN_INLINE`` (tests, the Flask test client) the jobs run right after the commit in
this process, each in a fresh app context (so a fresh session); a failure is recorded on the
row and never reaches the caller.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bookstore.dbtypes import utcnow
from bookstore.extensions import db
from bookstore.jobs.models import Job, JobState

log = logging.getLogger(__name__)

# Session.info key: (job id, due time) of jobs written in the open transaction.
_NEW_JOBS = "bookstore.jobs.new"


def enqueue(
    kind: str, payload: dict, *, key: str | None = None, delay: timedelta | None = None
) -> None:
    """Queue a job in the current ``db.session`` transaction (never commits).

    With a ``key`` that is already queued (in any state), nothing is added: the same effect is
    queued once. The job runs after the commit, ``delay`` later if given.
    """
    add_job(kind, payload, key=key, delay=delay)


def add_job(
    kind: str,
    payload: dict,
    *,
    key: str | None = None,
    delay: timedelta | None = None,
    max_attempts: int | None = None,
) -> int | None:
    """``enqueue`` that returns the new job's id (None when ``key`` was already queued)."""
    from bookstore.jobs.runner import handler_for

    if handler_for(kind) is None:
        raise ValueError(f"No handler for jobs of kind {kind!r}")
    now = utcnow()
    run_after = now + (delay or timedelta(0))
    session = db.session()
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(Job).values(
        kind=kind,
        payload=payload,
        state=JobState.PENDING,
        attempts=0,
        max_attempts=max_attempts or int(current_app.config.get("JOBS_MAX_ATTEMPTS") or 10),
        run_after=run_after,
        created_at=now,
        key=key,
    )
    if key is not None:
        statement = statement.on_conflict_do_nothing(index_elements=["key"])
    job_id = session.execute(statement.returning(Job.id)).scalar_one_or_none()
    if job_id is not None:
        note_for_push(job_id, run_after)
    return job_id


def note_for_push(job_id: int, due: datetime) -> None:
    """Hand job ``job_id`` to a worker once the current transaction commits."""
    db.session().info.setdefault(_NEW_JOBS, []).append((job_id, due))


def jobs_in_transaction() -> list[int]:
    """Ids of jobs queued in the current, uncommitted transaction."""
    return [job_id for job_id, _ in db.session().info.get(_NEW_JOBS, [])]


@event.listens_for(Session, "after_commit")
def _hand_over(session: Session) -> None:
    # SQLAlchemy fires this when a savepoint is released too: the jobs wait for the real COMMIT.
    if session.in_nested_transaction():
        return
    new = session.info.pop(_NEW_JOBS, None)
    if not new or not has_app_context():
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config.get("JOBS_RUN_INLINE"):
        run_inline(app, [job_id for job_id, due in new if due <= utcnow()])
    else:
        from bookstore.jobs.queue import push

        push(app, new)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    # A savepoint's rollback keeps the outer transaction (and the jobs written before it).
    if session.in_transaction() and session.in_nested_transaction():
        return
    session.info.pop(_NEW_JOBS, None)


def run_inline(app: Flask, job_ids: list[int]) -> None:
    """Run jobs now, each in a fresh app context; failures stay on their rows."""
    from bookstore.jobs.runner import run_job

    for job_id in job_ids:
        with app.app_context():
            try:
                run_job(job_id)
            except Exception:
                log.exception("Job %s could not be run inline", job_id)
