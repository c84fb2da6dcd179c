"""Sending a week's digest: each confirmed subscriber gets it at most once.

Each copy is claimed first -- a (subscriber, week) row committed on its own, refused a second
time by the UNIQUE constraint -- then sent, then marked sent. A crash after the claim loses at
most that one copy (it is never sent twice); a refused delivery removes the claim, so a re-run
sends it; a re-run skips everyone already claimed.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app, has_request_context
from sqlalchemy import delete, exists, select
from sqlalchemy.exc import IntegrityError

from bookstore.accounts.models import User
from bookstore.digest.builder import Digest
from bookstore.digest.models import DeliveryState, DigestDelivery, Subscriber, SubscriberStatus
from bookstore.extensions import db
from bookstore.links import external_url
from bookstore.mail import MailError, Transport, build_email, deliver
from bookstore.members.models import Membership

DEFAULT_BASE_URL = "http://127.0.0.1:5000"


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


def _claim(subscriber_id: int, week: str, now: datetime) -> bool:
    """Commit a 'sending' row for (subscriber, week); False if someone has it already."""
    try:
        db.session.add(DigestDelivery(subscriber_id=subscriber_id, week=week, claimed_at=now))
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    return True


def _release(subscriber_id: int, week: str) -> None:
    db.session.execute(
        delete(DigestDelivery).where(
            DigestDelivery.subscriber_id == subscriber_id, DigestDelivery.week == week
        )
    )
    db.session.commit()


def _mark_sent(subscriber_id: int, week: str, now: datetime) -> None:
    row = db.session.scalar(
        select(DigestDelivery).where(
            DigestDelivery.subscriber_id == subscriber_id, DigestDelivery.week == week
        )
    )
    row.state = DeliveryState.SENT
    row.sent_at = now
    db.session.commit()


def send_digest(
    digest: Digest,
    now: datetime,
    *,
    on_progress: Callable[[int], None] | None = None,
    clock: Callable[[], datetime] | None = None,
) -> SendReport:
    """Send ``digest`` to every confirmed subscriber who has not had it. Commits per copy.

    Stops at the first failure of the mail server itself (the rest wait for a re-run); an
    address the server refuses is reported and skipped.
    """
    report = SendReport(week=digest.week)
    members = member_emails(now)
    subscribers = [(s.id, s.email) for s in due_subscribers(digest.week)]
    transport = Transport.from_config(current_app.config)
    clock = clock or (lambda: now)
    with shop_urls():
        for subscriber_id, email in subscribers:
            if not _claim(subscriber_id, digest.week, clock()):
                report.skipped += 1
            else:
                subscriber = db.session.get(Subscriber, subscriber_id)
                try:
                    message = build_message(digest, subscriber, is_member=email in members)
                    deliver(message, transport)
                except smtplib.SMTPRecipientsRefused:
                    _release(subscriber_id, digest.week)
                    report.failed.append(email)
                except (OSError, smtplib.SMTPException, MailError) as error:
                    # The server did not take it: give the copy back for the next run.
                    _release(subscriber_id, digest.week)
                    report.failed.append(email)
                    report.stopped = f"{error.__class__.__name__}: {error}"
                    break
                else:
                    _mark_sent(subscriber_id, digest.week, clock())
                    report.sent += 1
            if on_progress:
                on_progress(1)
    return report


def dry_run(digest: Digest, now: datetime) -> tuple[int, int]:
    """(members, others) among the subscribers a real run would send to now."""
    members = member_emails(now)
    due = due_subscribers(digest.week)
    count = sum(1 for s in due if s.email in members)
    return count, len(due) - count


def stuck_in_sending(week: str) -> list[str]:
    """Addresses whose copy of ``week`` was claimed but never marked sent."""
    query = (
        select(Subscriber.email)
        .join(DigestDelivery, DigestDelivery.subscriber_id == Subscriber.id)
        .where(DigestDelivery.week == week, DigestDelivery.state == DeliveryState.SENDING)
        .order_by(Subscriber.email)
    )
    return list(db.session.scalars(query))
