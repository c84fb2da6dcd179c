"""Promotion codes in the checkout: pricing a cart, and a use's life with its order.

- ``quote_code``: the code entered at checkout priced against the cart (or why it cannot be
  used), for the checkout summary and the quote;
- ``reserve_use``: when the order is placed, one use of the code is taken for it with a
  conditional UPDATE of the code's remaining uses plus a row unique per (code, shopper), so
  a code limited to 5 uses is used at most 5 times however many shoppers race for it;
- ``redeem_use`` (the order is paid) and ``release_use`` (cancelled or expired unpaid: the use
  and the shopper's right to use the code come back), called by the order workflow.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import exists, or_, select, update
from sqlalchemy.exc import IntegrityError

from bookstore.checkout.models import Order
from bookstore.checkout.states import OrderState
from bookstore.database import rowcount
from bookstore.deals.pricing import PricedLine
from bookstore.errors import PromoCodeRefused
from bookstore.extensions import db
from bookstore.money import format_cents
from bookstore.promotions.models import PromoCode, PromoCodeUse, UseLimit, UseState
from bookstore.promotions.pricing import (
    CodeTerms,
    books_after_deals,
    normalise_code,
    price_code,
)
from bookstore.shoptime import format_shop_time

PAID_LIKE = [state for state in OrderState if state.is_paid_like]


@dataclass(frozen=True)
class Shopper:
    """Who is checking out, as far as codes care: the account and the receipt email."""

    user_id: int | None = None
    email: str = ""


@dataclass(frozen=True)
class CodeQuote:
    """The code entered at checkout and what it does to this cart."""

    code: str = ""
    discount_cents: int = 0
    # Per edition id; moved onto the order's line ids when the order is placed.
    line_discounts: dict[int, int] = field(default_factory=dict)
    problem: str | None = None
    description: str = ""
    promo_code_id: int | None = None


def find_code(text: str) -> PromoCode | None:
    """The code as typed (any case, spaces ignored), or None."""
    code = normalise_code(text)
    if not code:
        return None
    return db.session.scalars(select(PromoCode).where(PromoCode.code == code)).one_or_none()


def terms_of(code: PromoCode) -> CodeTerms:
    """The plain values pricing works with."""
    return CodeTerms(
        id=code.id,
        code=code.code,
        kind=code.kind.value,
        value=code.value,
        scope=code.scope.value,
        min_order_cents=code.min_order_cents,
        edition_ids=frozenset(e.id for e in code.editions),
        subject_ids=frozenset(s.id for s in code.subjects),
        formats=frozenset(f.value for f in code.formats),
    )


def shopper_key(code: PromoCode, shopper: Shopper, order_id: int) -> str:
    """The value unique per (code, shopper) while a use counts."""
    if code.use_limit is UseLimit.CUSTOMER and shopper.user_id is not None:
        return f"user:{shopper.user_id}"
    if code.use_limit is UseLimit.EMAIL and shopper.email:
        return f"email:{shopper.email.strip().lower()}"
    return f"order:{order_id}"


def _already_used(code: PromoCode, shopper: Shopper) -> bool:
    if code.use_limit is UseLimit.CUSTOMER and shopper.user_id is not None:
        key = f"user:{shopper.user_id}"
    elif code.use_limit is UseLimit.EMAIL and shopper.email:
        key = f"email:{shopper.email.strip().lower()}"
    else:
        return False
    query = exists().where(PromoCodeUse.promo_code_id == code.id, PromoCodeUse.shopper_key == key)
    return bool(db.session.scalar(select(query)))


def _has_paid_order(shopper: Shopper) -> bool:
    who = []
    if shopper.user_id is not None:
        who.append(Order.user_id == shopper.user_id)
    if shopper.email:
        who.append(Order.email == shopper.email.strip().lower())
    if not who:
        return False
    query = exists().where(or_(*who), Order.state.in_(PAID_LIKE))
    return bool(db.session.scalar(select(query)))


def code_problem(
    code: PromoCode | None,
    typed: str,
    lines: Sequence[PricedLine],
    deal_discounts: Mapping[int, int],
    *,
    shopper: Shopper,
    now: datetime,
) -> str | None:
    """Why the code cannot be used on these lines by this shopper now; None when it can."""
    shown = normalise_code(typed) or typed.strip()[:40]
    if code is None:
        return f"We do not know the code “{shown}”: check its spelling."
    name = f"“{code.code}”"
    if not code.active:
        return f"The code {name} is no longer valid."
    if now < code.starts_at:
        return f"The code {name} is not valid yet: it starts on {format_shop_time(code.starts_at)}."
    if code.ends_at is not None and now >= code.ends_at:
        return f"The code {name} expired on {format_shop_time(code.ends_at)}."
    if code.remaining_uses == 0:
        return f"Sorry, the code {name} has been used up."
    if code.use_limit is UseLimit.CUSTOMER and shopper.user_id is None:
        return f"The code {name} is for customers with an account: log in to use it."
    if _already_used(code, shopper):
        whom = "with this email address" if code.use_limit is UseLimit.EMAIL else ""
        return f"You have already used the code {name}{' ' + whom if whom else ''}."
    if code.first_order_only and _has_paid_order(shopper):
        return f"The code {name} is for a first order only."
    terms = terms_of(code)
    if not price_code(terms, lines, deal_discounts).discount_cents:
        return f"The code {name} does not apply to anything in your cart."
    books = books_after_deals(lines, deal_discounts)
    if books < code.min_order_cents:
        return (
            f"The code {name} needs at least {format_cents(code.min_order_cents)} of books "
            f"(after member deals): add {format_cents(code.min_order_cents - books)} more."
        )
    return None


def quote_code(
    typed: str,
    lines: Sequence[PricedLine],
    deal_discounts: Mapping[int, int],
    *,
    shopper: Shopper,
    now: datetime,
) -> CodeQuote:
    """The code entered at checkout priced on the cart after its member deals."""
    if not typed:
        return CodeQuote()
    code = find_code(typed)
    problem = code_problem(code, typed, lines, deal_discounts, shopper=shopper, now=now)
    if code is None or problem:
        return CodeQuote(code=normalise_code(typed) or typed.strip()[:40], problem=problem)
    priced = price_code(terms_of(code), lines, deal_discounts)
    return CodeQuote(
        code=code.code,
        discount_cents=priced.discount_cents,
        line_discounts=priced.line_discounts,
        description=code.description or code.offer_label,
        promo_code_id=code.id,
    )


def reserve_use(order: Any, quote: CodeQuote, *, shopper: Shopper, now: datetime) -> PromoCodeUse:
    """Take one use of the quoted code for ``order``: a conditional UPDATE of the remaining
    uses plus a row unique per (code, shopper). Raises PromoCodeRefused with the reason.

    Safe under any concurrency: the database refuses a count below zero and a second row
    for one shopper; a SAVEPOINT undoes the decrement when the row is refused.
    """
    code = db.session.get(PromoCode, quote.promo_code_id) if quote.promo_code_id else None
    if code is None:
        raise PromoCodeRefused(quote.problem or "That code cannot be used.")
    name = f"“{code.code}”"
    savepoint = db.session.begin_nested()
    try:
        if code.is_limited:
            taken = db.session.execute(
                update(PromoCode)
                .where(PromoCode.id == code.id, PromoCode.remaining_uses > 0)
                .values(remaining_uses=PromoCode.remaining_uses - 1)
                .execution_options(synchronize_session=False)
            )
            if rowcount(taken) != 1:
                savepoint.rollback()
                raise PromoCodeRefused(f"Sorry, the code {name} has been used up.")
        line_ids = {line.edition_id: line.id for line in order.lines}
        use = PromoCodeUse(
            promo_code_id=code.id,
            order_id=order.id,
            shopper_key=shopper_key(code, shopper, order.id),
            email=shopper.email.strip().lower(),
            user_id=shopper.user_id,
            state=UseState.RESERVED,
            discount_cents=quote.discount_cents,
            line_discounts={str(line_ids[e]): c for e, c in quote.line_discounts.items()},
            reserved_at=now,
        )
        db.session.add(use)
        db.session.flush()
    except IntegrityError:
        # Another checkout by the same shopper won the race: undo our decrement too.
        savepoint.rollback()
        raise PromoCodeRefused(f"You have already used the code {name}.") from None
    savepoint.commit()
    return use


def line_discounts(order_id: int) -> dict[int, int]:
    """What the order's code took off each order line (line id -> cents)."""
    use = db.session.scalars(
        select(PromoCodeUse).where(PromoCodeUse.order_id == order_id)
    ).one_or_none()
    if use is None:
        return {}
    return {int(line_id): int(cents) for line_id, cents in (use.line_discounts or {}).items()}


def redeem_use(order_id: int, *, now: datetime) -> None:
    """The order is paid: its reserved use of a code counts for good."""
    db.session.execute(
        update(PromoCodeUse)
        .where(PromoCodeUse.order_id == order_id, PromoCodeUse.state == UseState.RESERVED)
        .values(state=UseState.REDEEMED, redeemed_at=now)
        .execution_options(synchronize_session=False)
    )


def release_use(order_id: int, *, now: datetime) -> None:
    """The order ended unpaid: the use goes back to the code, and the shopper may use the
    code again (the NULL key leaves the unique (code, shopper) pair free)."""
    use = db.session.scalars(
        select(PromoCodeUse).where(
            PromoCodeUse.order_id == order_id, PromoCodeUse.state == UseState.RESERVED
        )
    ).one_or_none()
    if use is None:
        return
    released = db.session.execute(
        update(PromoCodeUse)
        .where(PromoCodeUse.id == use.id, PromoCodeUse.state == UseState.RESERVED)
        .values(state=UseState.RELEASED, released_at=now, shopper_key=None)
        .execution_options(synchronize_session=False)
    )
    if rowcount(released) == 1:
        db.session.execute(
            update(PromoCode)
            .where(PromoCode.id == use.promo_code_id, PromoCode.remaining_uses.is_not(None))
            .values(remaining_uses=PromoCode.remaining_uses + 1)
            .execution_options(synchronize_session=False)
        )
