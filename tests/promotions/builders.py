"""Builders for promotion-code tests (add and flush, never commit)."""

from datetime import UTC, datetime, timedelta

from flask import current_app

from bookstore.checkout import services
from bookstore.promotions.models import CodeKind, CodeScope
from bookstore.promotions.services import CodeSpec, create_code
from tests.checkout.helpers import ADDRESS

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def make_code(code="SAVE10", *, now=NOW, **fields):
    """A code valid from a day before ``now`` for a week: 10 % off every book."""
    spec = {
        "code": code,
        "kind": CodeKind.PERCENT_OFF,
        "value": 1000,
        "scope": CodeScope.ALL,
        "starts_at": now - timedelta(days=1),
        "ends_at": now + timedelta(days=7),
    }
    spec.update(fields)
    return create_code(CodeSpec(**spec), actor=None)


def place_with_code(cart, code, *, user=None, email="anna@example.com", now=NOW):
    """Place the cart's order with ``code`` (printed books shipped to ADDRESS)."""
    return services.place_order(
        cart,
        user=user,
        email=email,
        shipping_method="standard",
        address=ADDRESS,
        now=now,
        config=current_app.config,
        code=code,
    )
