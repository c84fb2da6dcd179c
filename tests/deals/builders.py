"""Builders for members and deals in tests (add and flush, never commit)."""

from datetime import UTC, datetime, timedelta

from bookstore.deals.models import DealKind, DealScope
from bookstore.deals.services import DealSpec, create_deal
from bookstore.members.services import grant_membership
from tests.factories import make_user

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def make_member(email=None, *, now=NOW, days=365, **fields):
    """A user granted a membership from ``now`` for ``days`` days."""
    user = make_user(email, **fields)
    grant_membership(user, until=now + timedelta(days=days), actor=None, reason="test", now=now)
    return user


def make_deal(title="Test deal", *, now=NOW, limit=None, **fields):
    """An open deal (from a day before ``now`` to a week after), 10 % off the order."""
    spec = {
        "title": title,
        "kind": DealKind.PERCENT_OFF,
        "value": 1000,
        "scope": DealScope.ORDER,
        "starts_at": now - timedelta(days=1),
        "ends_at": now + timedelta(days=7),
        "total_claims": limit,
    }
    spec.update(fields)
    return create_deal(DealSpec(**spec), actor=None)
