"""Standing member discounts: open deals with no limit on claims apply to every member by
themselves, with no claim to make (the demo's "Members save 15% on every book").

``member_price`` is what a member pays for one copy of an edition, shown on book cards, book
pages and search results; the cart applies the same deals to its lines (``orders``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bookstore.deals.models import Deal
from bookstore.deals.pricing import DealTerms, PricedLine, apply_deals, deal_problem
from bookstore.extensions import db


def standing_deals(now: datetime) -> tuple[list[Deal], datetime | None]:
    """Open deals without a limit on claims (every member has them, unclaimed), and when
    that set next changes by itself (one of them ends, or another starts); one query when
    there are none."""
    query = (
        select(Deal)
        .where(Deal.total_claims.is_(None), Deal.ends_at > now)
        .options(
            selectinload(Deal.editions),
            selectinload(Deal.books),
            selectinload(Deal.subjects),
            selectinload(Deal.format_rows),
        )
        .order_by(Deal.id)
    )
    deals = list(db.session.scalars(query))
    open_now = [deal for deal in deals if deal.starts_at <= now]
    moments = [deal.ends_at for deal in open_now] + [
        deal.starts_at for deal in deals if deal.starts_at > now
    ]
    return open_now, min(moments, default=None)


def best_deals(
    lines: Sequence[PricedLine], deals: Sequence[DealTerms], now: datetime
) -> list[DealTerms]:
    """The deals that together save the most on ``lines`` under the stacking rules: every
    deal that stacks with others together, or the best one alone."""
    usable = [terms for terms in deals if not deal_problem(terms, lines, now)]
    if not usable:
        return []
    candidates = [[terms] for terms in usable]
    stacking = [terms for terms in usable if terms.stacks_with_others]
    if len(stacking) > 1:
        candidates.append(stacking)

    def saving(chosen: list[DealTerms]) -> tuple[int, int]:
        # The bigger saving wins; on a tie, fewer deals (one claim spent rather than two).
        return (apply_deals(lines, chosen, now).discount_cents, -len(chosen))

    return max(candidates, key=saving)


def member_price(line: PricedLine, deals: Sequence[DealTerms], now: datetime) -> int | None:
    """What a member pays for the copy in ``line`` under the standing deals, when less than
    its price; None when no deal lowers it."""
    chosen = best_deals([line], deals, now)
    if not chosen:
        return None
    pricing = apply_deals([line], chosen, now)
    return pricing.total_cents if pricing.discount_cents else None
