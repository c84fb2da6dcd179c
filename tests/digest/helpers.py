"""Builders for digest tests."""

import re
from datetime import UTC, datetime

from bookstore.digest.models import Subscriber, SubscriberStatus
from bookstore.extensions import db

# A Thursday in ISO week 2026-W48 (23 to 29 November).
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
WEEK = "2026-W48"


def make_subscriber(email, *, status=SubscriberStatus.CONFIRMED):
    subscriber = Subscriber(email=email.lower(), status=status, confirmed_at=NOW)
    db.session.add(subscriber)
    db.session.flush()
    return subscriber


def link_path(text: str, prefix: str) -> str:
    """The path of the first absolute link in ``text`` whose path starts with ``prefix``."""
    match = re.search(r"https?://[^/\s]+(" + re.escape(prefix) + r"[^\s\"<>]*)", text)
    assert match, f"no {prefix} link in:\n{text}"
    return match[1]
