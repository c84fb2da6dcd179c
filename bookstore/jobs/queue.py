"""The task queue (Huey): pushes after commit, the dispatcher and the periodic schedules.

The database rows are the truth; Huey carries "run job N" messages and the clock. Storage is
``JOBS_URL``: ``sqlite:///path`` (a file, no server: the default, ``instance/jobs-queue.db``)
or ``redis://...`` (workers on many hosts share it); without ``JOBS_URL``, ``REDIS_URL`` is
used when set. Every task runs in an app context of the app that built the queue.
"""

from __future__ import annotations

import logging
import signal
from datetime import datetime, timedelta
from pathlib import Path

from flask import Flask
from huey import RedisHuey, SqliteHuey, crontab
from huey.api import Huey
from huey.consumer import Consumer
from redis import ConnectionPool

from bookstore.dbtypes import utcnow

log = logging.getLogger(__name__)

QUEUE_NAME = "bookstore-jobs"
DISPATCH_LOOKAHEAD = timedelta(seconds=60)
DISPATCH_BATCH = 500
_STATE = "bookstore.jobs.huey"


def queue_url(app: Flask) -> str:
    """Where the queue lives: JOBS_URL, else REDIS_URL, else a SQLite file in the instance."""
    config = app.config
    return (
        config.get("JOBS_URL")
        or config.get("REDIS_URL")
        or f"sqlite:///{Path(app.instance_path) / 'jobs-queue.db'}"
    )


def huey_for(app: Flask) -> Huey:
    """The app's Huey, built (with its tasks) on first use."""
    huey = app.extensions.get(_STATE)
    if huey is None:
        huey = app.extensions[_STATE] = _build(app)
    return huey


def _build(app: Flask) -> Huey:
    url = queue_url(app)
    name = app.config.get("JOBS_QUEUE_NAME") or QUEUE_NAME
    if url.startswith(("redis://", "rediss://", "unix://")):
        # Short timeouts: a paused Redis must not hold a request's after-commit push for long
        # (the consumer's blocking read waits 1 s, so the read timeout stays above that).
        pool = ConnectionPool.from_url(url, socket_connect_timeout=2, socket_timeout=3)
        huey: Huey = RedisHuey(name, connection_pool=pool, results=False)
    elif url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        huey = SqliteHuey(name, filename=str(path), results=False)
    else:
        raise RuntimeError(f"JOBS_URL must start with sqlite:/// or redis://, not {url!r}")
    _register_tasks(huey, app)
    return huey


def _register_tasks(huey: Huey, app: Flask) -> None:
    from bookstore.jobs import schedules
    from bookstore.jobs.runner import run_job

    @huey.task(name="run_job")
    def run_job_task(job_id: int) -> None:
        with app.app_context():
            run_job(job_id)

    @huey.task(name="dispatch_due")
    def dispatch_task() -> None:
        with app.app_context():
            dispatch(app)

    # Huey's periodic tasks are checked once a minute; a second dispatch half a minute later
    # makes it every 30 s. It covers lost pushes, retries after backoff and lapsed leases.
    @huey.periodic_task(crontab(), name="dispatch_every_30_seconds")
    def dispatch_periodic() -> None:
        with app.app_context():
            dispatch(app)
        dispatch_task.schedule(delay=30)

    @huey.periodic_task(crontab(minute="*/5"), name="expire_lapsed_checkouts")
    def expire_periodic() -> None:
        with app.app_context():
            schedules.expire_lapsed_checkouts(now=schedules.clock())

    # Huey's crontab knows no time zones: check the shop's local time every quarter hour.
    @huey.periodic_task(crontab(minute="*/15"), name="weekly_digest")
    def digest_periodic() -> None:
        with app.app_context():
            schedules.send_weekly_digest_if_due(now=schedules.clock())

    @huey.periodic_task(crontab(minute="30", hour="3"), name="purge_guest_carts")
    def purge_periodic() -> None:
        with app.app_context():
            schedules.purge_old_guest_carts()

    @huey.periodic_task(crontab(minute="7"), name="release_due_alerts")
    def alerts_periodic() -> None:
        with app.app_context():
            schedules.release_due_alerts(now=schedules.clock())

    @huey.periodic_task(crontab(minute="*/15"), name="queue_cart_reminders")
    def reminders_periodic() -> None:
        with app.app_context():
            schedules.queue_cart_reminders(now=schedules.clock())

    huey._bookstore_tasks = {
        "run_job": run_job_task,
        "dispatch_due": dispatch_task,
        "dispatch_every_30_seconds": dispatch_periodic,
        "expire_lapsed_checkouts": expire_periodic,
        "weekly_digest": digest_periodic,
        "purge_guest_carts": purge_periodic,
        "release_due_alerts": alerts_periodic,
        "queue_cart_reminders": reminders_periodic,
    }


def push(app: Flask, jobs: list[tuple[int, datetime]]) -> None:
    """Ask a worker to run each (job id, due time); best effort, the dispatcher covers loss."""
    try:
        huey = huey_for(app)
        run = _task(huey, "run_job")
        now = utcnow()
        for job_id, due in jobs:
            if due > now:
                run.schedule(args=(job_id,), eta=due)
            else:
                run(job_id)
    except Exception:
        log.warning(
            "Could not hand %d job(s) to the task queue (the dispatcher will)",
            len(jobs),
            exc_info=True,
        )


def _task(huey: Huey, name: str):
    return huey._bookstore_tasks[name]


def dispatch(app: Flask, now: datetime | None = None) -> int:
    """Push every job due within the next minute (at its due time); return how many."""
    from bookstore.jobs.runner import due_job_ids

    huey = huey_for(app)
    # A backlog the workers have not drained yet is already in the queue: do not pile on.
    if huey.pending_count() > DISPATCH_BATCH:
        return 0
    jobs = due_job_ids(now or utcnow(), limit=DISPATCH_BATCH, horizon=DISPATCH_LOOKAHEAD)
    if jobs:
        push(app, jobs)
    return len(jobs)


def make_consumer(app: Flask, *, workers: int = 2, periodic: bool = True) -> Consumer:
    """A Huey consumer (thread workers) for this app's queue."""
    huey = huey_for(app)
    # SQLite is polled: never wait more than a second for new work. Redis blocks instead.
    return huey.create_consumer(
        workers=workers,
        periodic=periodic,
        worker_type="thread",
        max_delay=1.0,
        shutdown_timeout=30,
    )


def start_in_process(app: Flask, *, workers: int = 2) -> Consumer:
    """Start a consumer on threads of this process (``flask serve``); stop it with
    ``consumer.stop(graceful=True)``. The process keeps its own Ctrl+C handling."""
    consumer = make_consumer(app, workers=workers)
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        consumer.start()
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
    _task(consumer.huey, "dispatch_due")()
    return consumer
