"""Sending a week's digest: each confirmed subscriber gets it exactly once.

Each copy is claimed -- a (subscriber, week) row, refused a second time by the UNIQUE
constraint -- and queued as a ``digest-copy`` job (keyed ``digest:<week>:<subscriber>``) in the
same transaction. The job sends it and marks the claim sent; while the mail server is down it
is retried with backoff, and a worker killed mid-send leaves a lease that lapses, so the copy
goes out once the server is back. A re-run skips everyone already claimed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app, has_request_context
from sqlalchemy import String, case, cast, exists, func, literal, select, update
from sqlalchemy.exc import IntegrityError

from bookstore.accounts.models import User
from bookstore.dbtypes import utcnow
from bookstore.digest.builder import Digest
from bookstore.digest.models import DeliveryState, DigestDelivery, Subscriber, SubscriberStatus
from bookstore.extensions import db
from bookstore.jobs import ClaimedJob, Job, JobState, job_handler, run_job
from bookstore.links import external_url
from bookstore.mail import (
    MailError,
    build_email,
    deliver_job_message,
    enqueue_message,
    message_of,
)
from bookstore.members.models import Membership

DEFAULT_BASE_URL = "http://127.0.0.1:5000"
DIGEST_COPY_JOB = "digest-copy"


@dataclass
class SendReport:
    week: str
    sent: int = 0
    skipped: int = 0
    failed: list[str] = field(default_factory=list)
    stopped: str | None = None


@contextmanager
def shop_urls() -> Iterator[None]:
    """Let ``url_for(..., _external=True)`` work from the CLI (``SHOP_BASE_URL``)."""
    if has_request_context() or current_app.config.get("SERVER_NAME"):
        yield
        return
    base = current_app.config.get("SHOP_BASE_URL") or DEFAULT_BASE_URL
    with current_app.test_request_context(base_url=base):
        yield


def due_subscribers(week: str) -> list[Subscriber]:
    """Confirmed subscribers without a delivery row for ``week``."""
    claimed = exists().where(
        DigestDelivery.subscriber_id == Subscriber.id, DigestDelivery.week == week
    )
    query = (
        select(Subscriber)
        .where(Subscriber.status == SubscriberStatus.CONFIRMED, ~claimed)
        .order_by(Subscriber.id)
    )
    return list(db.session.scalars(query))


def member_emails(now: datetime) -> set[str]:
    """Addresses of accounts with an active membership (one query for the whole run)."""
    query = (
        select(User.email)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.starts_at <= now, Membership.ends_at > now)
    )
    return set(db.session.scalars(query))


def unsubscribe_url(subscriber: Subscriber) -> str:
    """The one-click unsubscribe link of a subscriber (absolute)."""
    return external_url("digest.unsubscribe", token=subscriber.unsubscribe_token)


def digest_subject(digest: Digest) -> str:
    return f"{current_app.config['SHOP_NAME']} weekly: {digest.title}"


def render_context(digest: Digest, *, is_member: bool, unsubscribe: str | None) -> dict:
    """Template context of the digest email (also used by the preview)."""
    return {
        "digest": digest,
        "is_member": is_member,
        "unsubscribe_url": unsubscribe,
        "shop_url": external_url("pages.home"),
    }


def build_message(digest: Digest, subscriber: Subscriber, *, is_member: bool):
    """The email for one subscriber, with the RFC 8058 one-click unsubscribe headers."""
    link = unsubscribe_url(subscriber)
    return build_email(
        subscriber.email,
        digest_subject(digest),
        "digest",
        headers={
            "List-Unsubscribe": f"<{link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        **render_context(digest, is_member=is_member, unsubscribe=link),
    )


@dataclass
class QueueReport:
    queued: int = 0
    skipped: int = 0
    refused: list[str] = field(default_factory=list)


def copy_key(week: str, subscriber_id: int) -> str:
    """The job key of one subscriber's copy of one week: it is queued once."""
    return f"digest:{week}:{subscriber_id}"


def queue_copies(
    digest: Digest, now: datetime, *, on_progress: Callable[[int], None] | None = None
) -> QueueReport:
    """Claim and queue a copy for every confirmed subscriber who has none. Commits per copy.

    The claim (a UNIQUE (subscriber, week) row) and the ``digest-copy`` job are written in one
    transaction: a crash before the commit leaves neither, one after it leaves a job that a
    worker sends (again after its lease lapses, if a worker died sending it).
    """
    report = QueueReport()
    members = member_emails(now)
    subscribers = [(s.id, s.email) for s in due_subscribers(digest.week)]
    with shop_urls():
        for subscriber_id, email in subscribers:
            subscriber = db.session.get(Subscriber, subscriber_id)
            if subscriber is None:  # deleted since the list was read
                continue
            try:
                message = build_message(digest, subscriber, is_member=email in members)
            except MailError:
                report.refused.append(email)
                db.session.rollback()
                continue
            db.session.add(
                DigestDelivery(subscriber_id=subscriber_id, week=digest.week, claimed_at=now)
            )
            try:
                db.session.flush()
            except IntegrityError:  # another run claimed it first
                db.session.rollback()
                report.skipped += 1
                continue
            enqueue_message(
                message,
                kind=DIGEST_COPY_JOB,
                key=copy_key(digest.week, subscriber_id),
                subscriber_id=subscriber_id,
                week=digest.week,
            )
            db.session.commit()
            report.queued += 1
            if on_progress:
                on_progress(1)
    return report


@job_handler(DIGEST_COPY_JOB)
def send_copy(payload: dict, job: ClaimedJob) -> None:
    """Send one subscriber's copy, then mark it sent."""
    deliver_job_message(message_of(payload))
    db.session.execute(
        update(DigestDelivery)
        .where(
            DigestDelivery.subscriber_id == payload["subscriber_id"],
            DigestDelivery.week == payload["week"],
            DigestDelivery.state == DeliveryState.SENDING,
        )
        .values(state=DeliveryState.SENT, sent_at=utcnow())
    )
    db.session.commit()


def unsent_copies(week: str) -> list[int]:
    """Ids of the week's copy jobs not sent yet (waiting, running or given up)."""
    query = (
        select(Job.id)
        .where(
            Job.kind == DIGEST_COPY_JOB,
            Job.key.like(f"digest:{week}:%"),
            Job.state != JobState.DONE,
        )
        .order_by(Job.id)
    )
    ids = list(db.session.scalars(query))
    db.session.rollback()
    return ids


def sent_count(week: str) -> int:
    """How many copies of ``week`` went out."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(DigestDelivery)
            .where(DigestDelivery.week == week, DigestDelivery.state == DeliveryState.SENT)
        )
        or 0
    )


def send_now(job_ids: list[int], *, on_progress: Callable[[int], None] | None = None):
    """Send the given copies in this process now, whatever their backoff; stop at the first
    failure (the rest stay queued for the worker). Returns the failure's text or None."""
    for job_id in job_ids:
        now = utcnow()
        # The operator asks for it now: no backoff, and a given-up copy gets new attempts.
        db.session.execute(
            update(Job)
            .where(Job.id == job_id, Job.state.in_([JobState.PENDING, JobState.FAILED]))
            .values(
                state=JobState.PENDING,
                run_after=now,
                finished_at=None,
                attempts=case((Job.state == JobState.FAILED, 0), else_=Job.attempts),
            )
        )
        db.session.commit()
        outcome = run_job(job_id, now=now)
        if on_progress:
            on_progress(1)
        if outcome in ("retry", "failed"):
            return db.session.scalar(select(Job.last_error).where(Job.id == job_id))
    return None


def send_digest(
    digest: Digest,
    now: datetime,
    *,
    on_progress: Callable[[int], None] | None = None,
) -> SendReport:
    """Queue the week's copies and send every unsent one from this process (the operator's
    ``flask digest send``). Stops at the first failure of the mail server: the rest stay
    queued, and the worker, or a re-run, sends them; nobody gets a second copy."""
    report = SendReport(week=digest.week)
    before = sent_count(digest.week)
    queued = queue_copies(digest, now)
    report.skipped = queued.skipped
    report.failed.extend(queued.refused)
    report.stopped = send_now(unsent_copies(digest.week), on_progress=on_progress)
    report.sent = sent_count(digest.week) - before
    if report.stopped:
        waiting = db.session.scalars(
            select(Subscriber.email)
            .join(DigestDelivery, DigestDelivery.subscriber_id == Subscriber.id)
            .where(
                DigestDelivery.week == digest.week, DigestDelivery.state == DeliveryState.SENDING
            )
        )
        report.failed.extend(waiting)
    return report


def dry_run(digest: Digest, now: datetime) -> tuple[int, int]:
    """(members, others) among the subscribers a real run would send to now."""
    members = member_emails(now)
    due = due_subscribers(digest.week)
    count = sum(1 for s in due if s.email in members)
    return count, len(due) - count


def stuck_in_sending(week: str) -> list[str]:
    """Addresses whose copy of ``week`` was claimed but is neither sent nor on its way (its
    job gave up, or the claim is older than the job queue)."""
    on_its_way = exists().where(
        Job.key == literal("digest:") + DigestDelivery.week + ":" + cast(Subscriber.id, String),
        Job.state.in_([JobState.PENDING, JobState.RUNNING]),
    )
    query = (
        select(Subscriber.email)
        .join(DigestDelivery, DigestDelivery.subscriber_id == Subscriber.id)
        .where(
            DigestDelivery.week == week,
            DigestDelivery.state == DeliveryState.SENDING,
            ~on_its_way,
        )
        .order_by(Subscriber.email)
    )
    return list(db.session.scalars(query))
