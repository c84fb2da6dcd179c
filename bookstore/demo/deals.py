"""Demo deals for ``flask demo load``: two open (one limited) and one upcoming."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import exists, select

from bookstore.catalog.models import Format
from bookstore.deals.models import Deal, DealKind, DealScope
from bookstore.deals.services import DealSpec, create_deal
from bookstore.extensions import db
from bookstore.slugs import make_slug


def demo_deal_specs(now: datetime) -> list[DealSpec]:
    """The demo deals, with windows relative to ``now``."""
    return [
        DealSpec(
            title="Members save 15% on every book",
            description="Members pay 15% less for every book, in every order: no claim needed.",
            kind=DealKind.PERCENT_OFF,
            value=1500,
            scope=DealScope.ORDER,
            starts_at=now - timedelta(days=1),
            ends_at=now + timedelta(days=60),
        ),
        DealSpec(
            title="First 25 members: $10 off an order of $30",
            description="Only 25 to claim: $10 off one order of $30 or more.",
            kind=DealKind.AMOUNT_OFF,
            value=1000,
            scope=DealScope.ORDER,
            min_order_cents=3000,
            total_claims=25,
            starts_at=now - timedelta(hours=2),
            ends_at=now + timedelta(days=14),
        ),
        DealSpec(
            title="Ebook week: every ebook $4.99",
            description="Next week, any ebook for $4.99.",
            kind=DealKind.FIXED_PRICE,
            value=499,
            scope=DealScope.FORMATS,
            formats=(Format.EBOOK,),
            starts_at=now + timedelta(days=7),
            ends_at=now + timedelta(days=14),
        ),
    ]


def load_demo_deals(now: datetime) -> int:
    """Add the demo deals that are not there yet (by slug); returns how many were added."""
    added = 0
    for spec in demo_deal_specs(now):
        if db.session.scalar(select(exists().where(Deal.slug == make_slug(spec.title)))):
            continue
        create_deal(spec, actor=None)
        added += 1
    return added
