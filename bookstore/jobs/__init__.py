"""Durable background work: a transactional outbox run by Huey workers.

``enqueue(kind, payload, key=..., delay=...)`` writes a job row in the caller's transaction;
after the commit a worker runs the handler registered with ``@job_handler(kind)``, with retries
and exponential backoff, and a dead-letter state (``failed``) that staff can see and retry.
The pieces: ``models`` (the row), ``outbox`` (enqueue and the after-commit hand-over),
``runner`` (claim, run, record), ``queue`` (Huey: pushes, dispatcher, periodic schedules),
``schedules`` (expiry, weekly digest, cart purge) and ``cli`` (``flask jobs``).
"""

from flask import Flask

from bookstore.jobs.models import Job, JobState
from bookstore.jobs.outbox import enqueue
from bookstore.jobs.runner import (
    ClaimedJob,
    PermanentJobError,
    job_handler,
    retry,
    run_due,
    run_job,
    stats,
)

__all__ = [
    "ClaimedJob",
    "Job",
    "JobState",
    "PermanentJobError",
    "enqueue",
    "init_app",
    "job_handler",
    "retry",
    "run_due",
    "run_job",
    "stats",
]


def init_app(app: Flask) -> None:
    """Check the schedule settings and load every module that registers job handlers."""
    from bookstore.jobs.schedules import digest_weekday

    digest_weekday(app.config)
    hour = int(app.config.get("DIGEST_HOUR", 9))
    if not 0 <= hour <= 23:
        raise RuntimeError(f"DIGEST_HOUR must be an hour from 0 to 23, not {hour}")
    from bookstore import mail  # noqa: F401  (the "email" job)
    from bookstore.accounts import mail_jobs  # noqa: F401  (password resets)
    from bookstore.digest import sender  # noqa: F401  (digest copies)
