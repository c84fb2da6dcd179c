"""Demo promotion codes for ``flask demo load`` (documented in the README)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import exists, select

from bookstore.extensions import db
from bookstore.promotions.models import CodeKind, CodeScope, PromoCode, UseLimit
from bookstore.promotions.services import CodeSpec, create_code


def demo_code_specs(now: datetime) -> list[CodeSpec]:
    """WELCOME10: 10% off a first order, once per email. READMORE5: $5 off $30 of books,
    100 uses in all. Both valid from a day before ``now`` for a year."""
    since, until = now - timedelta(days=1), now + timedelta(days=365)
    return [
        CodeSpec(
            code="WELCOME10",
            description="10% off your first order",
            kind=CodeKind.PERCENT_OFF,
            value=1000,
            scope=CodeScope.ALL,
            starts_at=since,
            ends_at=until,
            use_limit=UseLimit.EMAIL,
            first_order_only=True,
        ),
        CodeSpec(
            code="READMORE5",
            description="$5.00 off an order of $30.00 of books",
            kind=CodeKind.AMOUNT_OFF,
            value=500,
            scope=CodeScope.ALL,
            min_order_cents=3000,
            starts_at=since,
            ends_at=until,
            total_uses=100,
        ),
    ]


def load_demo_codes(now: datetime) -> int:
    """Add the demo codes that are not there yet; returns how many were added."""
    added = 0
    for spec in demo_code_specs(now):
        if db.session.scalar(select(exists().where(PromoCode.code == spec.code))):
            continue
        create_code(spec, actor=None)
        added += 1
    return added
