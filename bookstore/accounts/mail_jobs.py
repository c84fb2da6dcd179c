"""Jobs that look the account up when they run, so the request that queues them does the same
work whether or not the address has an account (its timing tells nothing)."""

from __future__ import annotations

from bookstore.accounts.tokens import make_reset_token, reset_max_age
from bookstore.extensions import db
from bookstore.jobs import ClaimedJob, job_handler
from bookstore.links import external_url
from bookstore.mail import build_email, deliver_job_message, job_message_id, shop_urls

PASSWORD_RESET_JOB = "password-reset"  # noqa: S105 (a job kind)


@job_handler(PASSWORD_RESET_JOB)
def send_reset_link(payload: dict, job: ClaimedJob) -> None:
    """Email a reset link if an account has the address; nothing otherwise."""
    from bookstore.accounts.services import find_user_by_email

    user = find_user_by_email(payload["email"])
    if user is None:
        db.session.rollback()
        return
    with shop_urls():
        message = build_email(
            user.email,
            "Reset your password",
            "password_reset",
            name=user.name,
            reset_url=external_url("accounts.reset", token=make_reset_token(user)),
            minutes=reset_max_age() // 60,
        )
    message.replace_header("Message-ID", job_message_id(job))
    db.session.rollback()  # no transaction stays open across the mail server's answer
    deliver_job_message(message)
