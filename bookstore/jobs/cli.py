"""``flask jobs``: the worker, and what operators need to look after the queue."""

from __future__ import annotations

import logging

import click
from flask import current_app
from flask.cli import with_appcontext

from bookstore.extensions import db
from bookstore.jobs.models import Job, JobState
from bookstore.jobs.runner import list_jobs, retry, run_due, stats

jobs_cli = click.Group("jobs", help="Background jobs: the worker, failed jobs, retries.")


@jobs_cli.command("worker")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Jobs run at once (threads; default JOBS_WORKERS).",
)
@click.option(
    "--periodic/--no-periodic",
    default=True,
    show_default=True,
    help="Also run the schedules (expiry, digest, cart purge, dispatcher).",
)
@with_appcontext
def worker_command(workers: int | None, periodic: bool) -> None:
    """Run jobs until stopped (Ctrl+C or SIGTERM finishes the jobs at hand first)."""
    from bookstore.jobs.queue import _task, make_consumer, queue_url

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="[%(asctime)s] %(levelname)s %(name)s: %(message)s"
        )
    consumer = make_consumer(app, workers=workers or app.config["JOBS_WORKERS"], periodic=periodic)
    click.echo(f"Job worker on {_safe(queue_url(app))} with {consumer.workers} thread(s)")
    # Catch up at once with whatever became due while no worker ran.
    _task(consumer.huey, "dispatch_due")()
    consumer.run()


def _safe(url: str) -> str:
    """The queue's address without a password."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        rest = "***@" + rest.rpartition("@")[2]
    return f"{scheme}{sep}{rest}"


@jobs_cli.command("list")
@click.option("--failed", is_flag=True, help="Only the jobs that gave up (dead letters).")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@with_appcontext
def list_command(failed: bool, limit: int) -> None:
    """The newest jobs and their state."""
    figures = stats()
    click.echo(
        f"{figures['pending']} pending, {figures['failed']} failed; oldest due job waiting "
        f"{figures['oldest_pending_seconds']:.0f} s"
    )
    for job in list_jobs(JobState.FAILED if failed else None, limit=limit):
        line = (
            f"#{job.id} {job.kind} {job.state.value} attempts {job.attempts}/{job.max_attempts} "
            f"created {job.created_at:%Y-%m-%d %H:%M:%S} UTC"
        )
        if job.key:
            line += f" key {job.key}"
        click.echo(line)
        if job.last_error and job.state != JobState.DONE:
            click.echo(f"    {job.last_error}")


@jobs_cli.command("retry")
@click.argument("job_id", type=int)
@with_appcontext
def retry_command(job_id: int) -> None:
    """Put a failed job back in the queue with fresh attempts."""
    if db.session.get(Job, job_id) is None:
        raise click.ClickException(f"There is no job #{job_id}.")
    if not retry(job_id):
        raise click.ClickException(f"Job #{job_id} has not failed: nothing to retry.")
    db.session.commit()
    click.echo(f"Job #{job_id} is queued again.")


@jobs_cli.command("run-due")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True)
@with_appcontext
def run_due_command(limit: int) -> None:
    """Run the jobs that are due now, in this process, once."""
    outcomes = run_due(limit=limit)
    summary = ", ".join(f"{count} {outcome}" for outcome, count in sorted(outcomes.items()))
    click.echo(f"Ran {sum(outcomes.values())} due job(s){': ' + summary if summary else ''}.")
