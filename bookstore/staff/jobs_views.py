"""Staff screen for background jobs that gave up (the dead-letter list), with a retry button."""

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from bookstore.extensions import db
from bookstore.jobs import Job, JobState, retry, stats
from bookstore.jobs.runner import list_jobs
from bookstore.staff.audit import record
from bookstore.staff.forms import ConfirmForm
from bookstore.staff.views import bp

SHOWN = 200


@bp.get("/jobs/failed")
def failed_jobs():
    """Jobs that failed for good, newest first, with their last error."""
    return render_template(
        "staff/jobs.html",
        jobs=list_jobs(JobState.FAILED, limit=SHOWN),
        figures=stats(),
        form=ConfirmForm(),
    )


@bp.post("/jobs/<int:job_id>/retry")
def retry_job(job_id: int):
    """Queue a failed job again with fresh attempts."""
    form = ConfirmForm()
    job = db.get_or_404(Job, job_id)
    if form.validate_on_submit() and retry(job.id):
        record(
            current_user,
            "job.retry",
            job,
            before={"state": "failed", "last_error": job.last_error},
            after={"state": "pending"},
            summary=f"Retried job #{job.id} ({job.kind})",
        )
        db.session.commit()
        flash(f"Job #{job_id} is queued again.", "success")
    else:
        db.session.rollback()
        flash(f"Job #{job_id} has not failed: nothing to retry.", "error")
    return redirect(url_for("staff.failed_jobs"))
