"""Member deals in the cart, the order and the payment: the hooks checkout calls.

- ``cart_deal_pricing``: the chosen claims priced against the cart's lines (cart page, quote);
- ``apply_cart_deals_to_order``: when the order is placed, its claims become ``applied``
  (one conditional UPDATE each) and each line's discount is stored;
- ``payment_line_items``: Stripe line items at the discounted, server-computed amounts;
- ``redeem_claims`` (the order is paid) and ``release_claims`` (cancelled or expired), called
  by the order workflow's on-enter effects.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update

from bookstore.accounts.models import User
from bookstore.cart.models import Cart
from bookstore.database import rowcount
from bookstore.deals.models import (
    CartDealChoice,
    ClaimState,
    Deal,
    DealClaim,
    OrderLineDiscount,
)
from bookstore.deals.pricing import (
    DealPricing,
    PricedLine,
    apply_deals,
    check_stacking,
    deal_problem,
    split_for_payment,
)
from bookstore.deals.standing import best_deals, standing_deals
from bookstore.errors import DealUnavailable, InvalidInput, NotFound
from bookstore.extensions import db
from bookstore.members.purchase import membership_line_items
from bookstore.members.services import is_member

USABLE = (ClaimState.CLAIMED, ClaimState.RELEASED)


@dataclass(frozen=True)
class CartDeals:
    """The member's usable claims for a cart, which are chosen, and what they save."""

    usable: list[DealClaim] = field(default_factory=list)
    chosen_ids: frozenset[int] = frozenset()
    problems: dict[int, str] = field(default_factory=dict)
    pricing: DealPricing | None = None
    applied_claims: list[DealClaim] = field(default_factory=list)

    @property
    def discount_cents(self) -> int:
        return self.pricing.discount_cents if self.pricing else 0


def priced_lines(lines: Sequence[Any]) -> list[PricedLine]:
    """Cart pricing lines (``cart.pricing.LinePricing``) as pricing's plain lines."""
    return [
        PricedLine(
            key=line.edition.id,
            edition_id=line.edition.id,
            book_id=line.book.id,
            subject_ids=frozenset(s.id for s in line.book.subjects),
            format=line.edition.format.value,
            unit_price_cents=line.unit_price_cents,
            quantity=line.requested_quantity,
        )
        for line in lines
        if line.requested_quantity > 0
    ]


def _usable_claims(user_id: int, now: datetime) -> list[DealClaim]:
    query = (
        select(DealClaim)
        .join(Deal)
        .where(
            DealClaim.user_id == user_id,
            DealClaim.state.in_(USABLE),
            Deal.starts_at <= now,
            Deal.ends_at > now,
        )
        .order_by(Deal.ends_at, Deal.id)
    )
    return list(db.session.scalars(query))


def _chosen_ids(cart: Cart) -> list[int]:
    query = (
        select(CartDealChoice.claim_id)
        .where(CartDealChoice.cart_id == cart.id)
        .order_by(CartDealChoice.chosen_at, CartDealChoice.claim_id)
    )
    return list(db.session.scalars(query))


def cart_deal_pricing(cart: Cart | None, lines: Sequence[Any], *, now: datetime) -> CartDeals:
    """Price the cart's deals: the standing member discounts (``standing``), which apply by
    themselves, and the member's claimed deals, whichever together save the member the most
    under the stacking rules. Claims apply by themselves too, unless the member chose some in
    the cart: then only those are weighed against the standing discounts, and a chosen deal
    that cannot apply gets a reason instead."""
    if cart is None or cart.id is None or cart.user_id is None:
        return CartDeals()
    user = db.session.get(User, cart.user_id)
    if user is None or not is_member(user, now):
        return CartDeals()
    standing = [deal.terms() for deal in standing_deals(now)[0]]
    standing_ids = {terms.id for terms in standing}
    # A claim on a standing deal is not needed any more: the deal applies by itself.
    usable = [c for c in _usable_claims(user.id, now) if c.deal_id not in standing_ids]
    by_id = {claim.id: claim for claim in usable}
    chosen = [by_id[i] for i in _chosen_ids(cart) if i in by_id]
    plain = priced_lines(lines)
    if not chosen:
        # Nothing chosen by hand: the claims apply by themselves where they save the most.
        claim_of = {claim.deal_id: claim for claim in usable}
        claimed_terms = [claim.deal.terms() for claim in usable]
        best = best_deals(plain, claimed_terms + standing, now) if plain else []
        pricing = apply_deals(plain, best, now) if best else None
        applied = [claim_of[terms.id] for terms in best if terms.id in claim_of]
        return CartDeals(usable, frozenset(), {}, pricing, applied)
    problems: dict[int, str] = {}
    applicable: list[DealClaim] = []
    for claim in chosen:
        problem = deal_problem(claim.deal.terms(), plain, now)
        if problem:
            problems[claim.id] = problem
        else:
            applicable.append(claim)
    try:
        check_stacking([claim.deal.terms() for claim in applicable])
    except DealUnavailable:
        # Choosing keeps the set valid; should it not be, the first choice wins.
        applicable = applicable[:1]
    claimed = [claim.deal.terms() for claim in applicable]
    automatic = best_deals(plain, standing, now) if plain else []
    options = [claimed, automatic]
    if all(terms.stacks_with_others for terms in claimed + automatic):
        options.append(claimed + automatic)
    best = max(
        (option for option in options if option),
        key=lambda option: apply_deals(plain, option, now).discount_cents,
        default=[],
    )
    pricing = apply_deals(plain, best, now) if best else None
    used = {terms.id for terms in best}
    applied = [claim for claim in applicable if claim.deal_id in used]
    return CartDeals(usable, frozenset(c.id for c in chosen), problems, pricing, applied)


def cart_deal_discount(cart: Cart | None, lines: Sequence[Any], *, now: datetime) -> int:
    """The discount the cart's chosen deals give on these lines, in cents (checkout quote)."""
    return cart_deal_pricing(cart, lines, now=now).discount_cents


def choose_deal(cart: Cart, claim_id: int, *, user: User, now: datetime) -> DealClaim:
    """Use a claimed deal on this cart; a deal that does not stack replaces the others."""
    claim = db.session.get(DealClaim, claim_id)
    if claim is None or claim.user_id != user.id:
        raise NotFound("That deal is not one of your claims.")
    if claim.state not in USABLE:
        raise DealUnavailable(f"“{claim.deal.title}” has already been used.")
    if not claim.deal.is_open(now):
        raise DealUnavailable(f"“{claim.deal.title}” is not open now.")
    if not is_member(user, now):
        raise DealUnavailable("Deals are for members: your membership is not active.")
    current = [c for i in _chosen_ids(cart) if (c := db.session.get(DealClaim, i)) is not None]
    keep = [c for c in current if c.id != claim.id]
    try:
        check_stacking([c.deal.terms() for c in [*keep, claim]])
    except DealUnavailable:
        keep = []
    db.session.execute(delete(CartDealChoice).where(CartDealChoice.cart_id == cart.id))
    for chosen in [*keep, claim]:
        db.session.add(CartDealChoice(cart_id=cart.id, claim_id=chosen.id, chosen_at=now))
    db.session.flush()
    return claim


def unchoose_deal(cart: Cart, claim_id: int) -> None:
    """Stop using a deal on this cart (the claim stays the member's)."""
    db.session.execute(
        delete(CartDealChoice).where(
            CartDealChoice.cart_id == cart.id, CartDealChoice.claim_id == claim_id
        )
    )
    db.session.flush()


def apply_cart_deals_to_order(
    order: Any, cart: Cart, lines: Sequence[Any], *, now: datetime
) -> None:
    """Tie the cart's chosen claims to the new order and store each line's discount.

    Each claim moves to ``applied`` with one conditional UPDATE, so one claim never pays for
    two orders, even when two checkouts race. Raises InvalidInput if the discount changed.
    """
    deals = cart_deal_pricing(cart, lines, now=now)
    if deals.discount_cents != order.discount_cents:
        raise InvalidInput("Your member deal changed: check the new amounts and pay again.")
    if not deals.pricing:
        return
    for claim in deals.applied_claims:
        taken = db.session.execute(
            update(DealClaim)
            .where(DealClaim.id == claim.id, DealClaim.state.in_(USABLE))
            .values(state=ClaimState.APPLIED, order_id=order.id, applied_at=now)
            .execution_options(synchronize_session=False)
        )
        if rowcount(taken) != 1:
            raise InvalidInput(
                f"“{claim.deal.title}” is already used on another order: remove it from "
                "your cart or finish that order."
            )
    line_ids = {line.edition_id: line.id for line in order.lines}
    for applied in deals.pricing.applied:
        for edition_id, cents in applied.line_discounts.items():
            db.session.add(
                OrderLineDiscount(
                    order_line_id=line_ids[edition_id],
                    deal_id=applied.deal_id,
                    order_id=order.id,
                    discount_cents=cents,
                )
            )
    db.session.flush()


def line_discounts(order_id: int) -> dict[int, int]:
    """Discount per order line id for an order."""
    rows = db.session.execute(
        select(OrderLineDiscount.order_line_id, OrderLineDiscount.discount_cents).where(
            OrderLineDiscount.order_id == order_id
        )
    )
    totals: dict[int, int] = {}
    for line_id, cents in rows:
        totals[line_id] = totals.get(line_id, 0) + cents
    return totals


def payment_line_items(
    order: Any, *, code_discounts: Mapping[int, int] | None = None
) -> list[dict[str, Any]]:
    """Stripe line items: the books at their discounted amounts (whole cents), or a membership.

    ``code_discounts`` (order line id -> cents) is what a promotion code took off each line,
    after the member deals. A discounted line may become two items (e.g. 2 × $9.66 and
    1 × $9.67) so that every amount is whole cents and the items add up to the order's total.
    """
    currency = order.currency.lower()
    discounts = line_discounts(order.id) if order.discount_cents else {}
    by_code = code_discounts or {}
    items = []
    for line in order.lines:
        deal, code = discounts.get(line.id, 0), by_code.get(line.id, 0)
        name = line.display_name + (" – member deal" if deal else "")
        name += f" – code {order.promo_code}" if code else ""
        for amount, quantity in split_for_payment(
            line.unit_price_cents, line.quantity, deal + code
        ):
            items.append(
                {
                    "quantity": quantity,
                    "price_data": {
                        "currency": currency,
                        "unit_amount": amount,
                        "product_data": {"name": name},
                    },
                }
            )
    # A membership order has no book lines: its one item is the year of membership (bought
    # with an account only: a guest's order has none to read).
    return items + (membership_line_items(order) if order.user_id is not None else [])


def redeem_claims(order_id: int, *, now: datetime) -> None:
    """The order is paid: the deal claims applied to it are used up."""
    claim_ids = list(
        db.session.scalars(
            select(DealClaim.id).where(
                DealClaim.order_id == order_id, DealClaim.state == ClaimState.APPLIED
            )
        )
    )
    if not claim_ids:
        return
    db.session.execute(
        update(DealClaim)
        .where(DealClaim.id.in_(claim_ids))
        .values(state=ClaimState.REDEEMED, redeemed_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(delete(CartDealChoice).where(CartDealChoice.claim_id.in_(claim_ids)))


def release_claims(order_id: int, *, now: datetime) -> None:
    """The order was cancelled or expired: its deal claims can be used again."""
    db.session.execute(
        update(DealClaim)
        .where(DealClaim.order_id == order_id, DealClaim.state == ClaimState.APPLIED)
        .values(state=ClaimState.RELEASED, released_at=now, order_id=None)
        .execution_options(synchronize_session=False)
    )
