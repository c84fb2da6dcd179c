"""Running one job: claim it with a conditional UPDATE, run its handler, record the outcome.

The claim commits before the handler starts, so the handler (an SMTP or Stripe call) never
runs inside an open write transaction. A claim is a lease: a worker killed mid-job leaves a
``running`` row whose ``locked_until`` passes, and the next claim takes it again. Every
outcome is written with a conditional UPDATE on (id, running, attempts), so a worker whose
lease was taken over cannot overwrite the newer run's result.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from flask import current_app
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.engine import CursorResult

from bookstore.dbtypes import utcnow
from bookstore.extensions import db
from bookstore.jobs.models import Job, JobState
from bookstore.jobs.outbox import note_for_push
from bookstore.txguard import open_write_transaction

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 3600
ERROR_LENGTH = 2000


class PermanentJobError(Exception):
    """Raised by a handler when trying again cannot help (e.g. the address is refused)."""


@dataclass(frozen=True)
class ClaimedJob:
    """What a handler is told about the job it runs."""

    id: int
    kind: str
    key: str | None
    attempts: int
    max_attempts: int


Handler = Callable[[dict, ClaimedJob], None]
_handlers: dict[str, Handler] = {}


def job_handler(kind: str) -> Callable[[Handler], Handler]:
    """Register ``handler(payload, job)`` for jobs of ``kind``."""

    def register(handler: Handler) -> Handler:
        known = _handlers.get(kind)
        if known is not None and known.__qualname__ != handler.__qualname__:
            raise RuntimeError(f"Two handlers for job kind {kind!r}")
        _handlers[kind] = handler
        return handler

    return register


def handler_for(kind: str) -> Handler | None:
    """The registered handler of ``kind``, if any."""
    return _handlers.get(kind)


def _lease(config) -> timedelta:
    return timedelta(seconds=int(config.get("JOBS_LEASE_SECONDS") or 300))


def backoff(attempts: int, config) -> timedelta:
    """Wait before the next attempt: JOBS_RETRY_SECONDS doubled per attempt, up to an hour."""
    base = int(config.get("JOBS_RETRY_SECONDS") or 30)
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS))


def claimable(now: datetime):
    """Due pending jobs, and running jobs whose worker's lease has lapsed."""
    return or_(
        and_(Job.state == JobState.PENDING, Job.run_after <= now),
        and_(Job.state == JobState.RUNNING, Job.locked_until <= now),
    )


def run_job(job_id: int, *, now: datetime | None = None) -> str:
    """Run job ``job_id`` if it is due (or its lease lapsed); return what happened.

    Outcomes: ``done``, ``retry`` (back to pending after a backoff), ``failed`` (dead letter)
    or ``skipped`` (not due, taken by another worker, or gone).
    """
    if open_write_transaction():
        raise RuntimeError("run_job needs the session's write transaction committed first")
    db.session.rollback()  # a read-only transaction at most: start from a clean slate
    config = current_app.config
    now = now or utcnow()
    claimed = db.session.execute(
        update(Job)
        .where(Job.id == job_id, claimable(now))
        .values(
            state=JobState.RUNNING,
            attempts=Job.attempts + 1,
            locked_until=now + _lease(config),
        )
        .returning(Job.kind, Job.payload, Job.key, Job.attempts, Job.max_attempts)
        .execution_options(synchronize_session=False)
    ).first()
    db.session.commit()
    if claimed is None:
        return "skipped"
    kind, payload, key, attempts, max_attempts = claimed
    job = ClaimedJob(job_id, kind, key, attempts, max_attempts)
    handler = _handlers.get(kind)
    try:
        if handler is None:
            raise PermanentJobError(f"No handler for jobs of kind {kind!r}")
        handler(payload, job)
    except Exception as error:  # noqa: BLE001 (any failure is recorded on the row)
        db.session.rollback()
        return _record_failure(job, error, now if now is not None else utcnow())
    # Whatever the handler did not commit is not part of its effect.
    db.session.rollback()
    db.session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state == JobState.RUNNING, Job.attempts == attempts)
        .values(state=JobState.DONE, finished_at=utcnow(), locked_until=None, last_error=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return "done"


def _record_failure(job: ClaimedJob, error: Exception, now: datetime) -> str:
    text = f"{error.__class__.__name__}: {error}"[:ERROR_LENGTH]
    give_up = isinstance(error, PermanentJobError) or job.attempts >= job.max_attempts
    run_after = now + backoff(job.attempts, current_app.config)
    values: dict[str, object] = {"last_error": text, "locked_until": None}
    if give_up:
        values.update(state=JobState.FAILED, finished_at=now)
    else:
        values.update(state=JobState.PENDING, run_after=run_after)
    db.session.execute(
        update(Job)
        .where(Job.id == job.id, Job.state == JobState.RUNNING, Job.attempts == job.attempts)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if not give_up:
        note_for_push(job.id, run_after)
    db.session.commit()
    if give_up:
        log.error(
            "Job %s (%s) failed for good after %d attempt(s): %s",
            job.id,
            job.kind,
            job.attempts,
            text,
            exc_info=error,
        )
        return "failed"
    log.warning(
        "Job %s (%s) failed, attempt %d of %d, next at %s: %s",
        job.id,
        job.kind,
        job.attempts,
        job.max_attempts,
        run_after.isoformat(timespec="seconds"),
        text,
    )
    return "retry"


def due_job_ids(now: datetime, *, limit: int = 100, horizon: timedelta | None = None) -> list:
    """Ids (and due times) of jobs a worker could claim by ``now + horizon``, oldest first."""
    until = now + (horizon or timedelta(0))
    due_at = func.coalesce(Job.locked_until, Job.run_after)
    rows = db.session.execute(
        select(Job.id, Job.state, Job.run_after, Job.locked_until)
        .where(claimable(until))
        .order_by(due_at, Job.id)
        .limit(limit)
    ).all()
    db.session.rollback()
    return [
        (row.id, row.locked_until if row.state == JobState.RUNNING else row.run_after)
        for row in rows
    ]


def run_due(*, now: datetime | None = None, limit: int = 100) -> Counter:
    """Run every job due now (up to ``limit``) in this process; count the outcomes."""
    now = now or utcnow()
    outcomes: Counter = Counter()
    for job_id, _ in due_job_ids(now, limit=limit):
        outcomes[run_job(job_id, now=now)] += 1
    return outcomes


def retry(job_id: int, *, now: datetime | None = None) -> bool:
    """Put a failed (dead-letter) job back in the queue with a fresh set of attempts.

    Flushes, does not commit; the job is pushed to a worker after the caller's commit.
    """
    now = now or utcnow()
    result = db.session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state == JobState.FAILED)
        .values(state=JobState.PENDING, attempts=0, run_after=now, finished_at=None)
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult, result).rowcount != 1:
        return False
    note_for_push(job_id, now)
    return True


def stats(now: datetime | None = None) -> dict:
    """Counts for health checks and metrics.

    ``oldest_pending_seconds``: how long the longest-waiting due job has waited since it
    became due (0 when none is due): a growing figure means no worker is keeping up.
    """
    now = now or utcnow()
    counts = dict(
        db.session.execute(
            select(Job.state, func.count())
            .where(Job.state.in_([JobState.PENDING, JobState.FAILED]))
            .group_by(Job.state)
        ).all()
    )
    oldest = db.session.scalar(
        select(func.min(Job.run_after)).where(Job.state == JobState.PENDING, Job.run_after <= now)
    )
    return {
        "pending": counts.get(JobState.PENDING, 0),
        "failed": counts.get(JobState.FAILED, 0),
        "oldest_pending_seconds": max((now - oldest).total_seconds(), 0.0) if oldest else 0.0,
    }


def list_jobs(state: JobState | None = None, *, limit: int = 50) -> list[Job]:
    """The newest jobs (of one state), newest first."""
    query = select(Job).order_by(Job.id.desc()).limit(limit)
    if state is not None:
        query = query.where(Job.state == state)
    return list(db.session.scalars(query))
