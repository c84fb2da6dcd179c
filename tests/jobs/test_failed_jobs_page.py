"""The back office's "Failed jobs": dead letters with their error, a CSRF-checked retry that
lands in the audit log."""

import re

from sqlalchemy import select

from bookstore.accounts.models import Role
from bookstore.extensions import db
from bookstore.jobs import Job, JobState
from bookstore.mail import send_after_commit
from bookstore.staff.models import AuditEntry
from tests.factories import make_user
from tests.fixtures.mail import Outbox
from tests.staff.helpers import log_in

WELCOME = {"name": "Anna", "account_url": "http://x/account", "reset_url": "http://x/r"}


def dead_letter_mail(app) -> int:
    """An email that failed every attempt (the mail server refused the connection)."""
    with app.app_context():
        send_after_commit("anna@example.com", "Your order", "welcome", **WELCOME)
        db.session.commit()  # the one attempt allowed fails at once
        job = db.session.scalar(select(Job))
        assert job.state is JobState.FAILED
        return job.id


def staff_client(app):
    with app.app_context():
        staff = make_user("staff@example.com", name="Sam Staff", role=Role.STAFF)
        db.session.commit()
        client = app.test_client()
        log_in(client, staff)
    return client


def test_staff_see_failed_jobs_and_retry_one_into_the_audit_log(make_app, smtp_server):
    app = make_app(
        MAIL_SERVER="127.0.0.1", MAIL_PORT=1, MAIL_TIMEOUT_SECONDS=2, JOBS_MAX_ATTEMPTS=1
    )
    job_id = dead_letter_mail(app)
    client = staff_client(app)

    assert 'href="/staff/jobs/failed"' in client.get("/staff/").get_data(as_text=True)
    page = client.get("/staff/jobs/failed").get_data(as_text=True)
    assert f"#{job_id}" in page
    assert "Your order" in page
    assert "anna@example.com" in page
    assert "Connection refused" in page

    app.config.update(smtp_server.config)  # the mail server is fixed
    response = client.post(f"/staff/jobs/{job_id}/retry")
    assert response.status_code == 302
    assert "is queued again" in client.get(response.location).get_data(as_text=True)

    [message] = smtp_server.to("anna@example.com")
    assert message["Subject"] == "Your order"
    with app.app_context():
        assert db.session.get(Job, job_id).state is JobState.DONE
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "job.retry"))
        assert entry.entity_id == str(job_id)
        assert entry.actor.email == "staff@example.com"
    assert "No failed jobs" in client.get("/staff/jobs/failed").get_data(as_text=True)
    # A second click finds nothing to retry and sends nothing more.
    again = client.post(f"/staff/jobs/{job_id}/retry")
    assert "nothing to retry" in client.get(again.location).get_data(as_text=True)
    assert len(smtp_server.to("anna@example.com")) == 1


def test_retry_without_a_csrf_token_is_refused(make_app):
    app = make_app(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=1,
        MAIL_TIMEOUT_SECONDS=2,
        JOBS_MAX_ATTEMPTS=1,
        WTF_CSRF_ENABLED=True,
    )
    job_id = dead_letter_mail(app)
    client = staff_client(app)

    assert client.post(f"/staff/jobs/{job_id}/retry").status_code == 400
    page = client.get("/staff/jobs/failed").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
    response = client.post(f"/staff/jobs/{job_id}/retry", data={"csrf_token": token})
    assert response.status_code == 302
    with app.app_context():
        # Retried (and, the server still down, failed again after its one attempt).
        job = db.session.get(Job, job_id)
        assert job.attempts == 1
        assert db.session.scalar(select(AuditEntry.action)) == "job.retry"
    assert len(Outbox(app.config["MAIL_OUTBOX"])) == 0


def test_customers_cannot_reach_the_failed_jobs(app):
    with app.app_context():
        customer = make_user("reader@example.com")
        db.session.commit()
        client = app.test_client()
        log_in(client, customer)
    assert client.get("/staff/jobs/failed").status_code == 403
    assert client.post("/staff/jobs/1/retry").status_code == 403
