"""The order's life in one place: every move of every order goes through ``transition``.

``transition`` checks the move against the state table (``states.TRANSITIONS``), makes it with
one conditional UPDATE (of concurrent callers exactly one wins), writes the history line and
runs the on-enter effects of the new state from ``ON_ENTER`` below. So everything that
happens when an order is paid, cancelled, refunded or shipped is listed on this screen; the
effects themselves live in ``effects.py``. The success page, the webhook, staff screens, the
CLI and jobs all call it. It flushes and never commits; no effect reaches the network (emails
and Stripe calls are queued as jobs that run after the commit).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy import update

from bookstore.checkout import effects
from bookstore.checkout.models import Order, OrderEvent
from bookstore.checkout.order_parts import OrderParts
from bookstore.checkout.states import OrderState, check_move
from bookstore.database import rowcount
from bookstore.dbtypes import utcnow
from bookstore.errors import InvalidTransition
from bookstore.extensions import db

S = OrderState


@dataclass(frozen=True)
class Move:
    """One move being made: what the effects know about it."""

    order: Order
    source: OrderState
    target: OrderState
    actor: str
    user_id: int | None
    now: datetime
    # Move-specific details: ``restock`` (edition id -> copies), ``refund_cents`` and
    # ``refund_tax_cents`` for refunds, ``shipment`` for shipping.
    options: Mapping[str, Any] = field(default_factory=dict)

    @cached_property
    def parts(self) -> OrderParts:
        """What other features add to the order, read once for all the effects that ask."""
        return OrderParts.read(self.order)


Effect = Callable[[Move], None]

# What entering each state does, in order. An effect may raise ``effects.Refused`` only as the
# first effect of its state (before anything else is written): the move then becomes
# source -> ``Refused.instead``.
ON_ENTER: dict[OrderState, tuple[Effect, ...]] = {
    S.PENDING_PAYMENT: (),
    S.PAID: (
        effects.sell_held_copies,
        effects.redeem_deal_claims,
        effects.redeem_promo_code,
        effects.start_membership,
        effects.send_gift_membership,
        effects.empty_cart,
        effects.create_download_links,
        effects.queue_confirmation,
    ),
    S.CANCELLED: (
        effects.release_held_copies,
        effects.release_deal_claims,
        effects.release_promo_code,
    ),
    S.EXPIRED: (
        effects.release_held_copies,
        effects.release_deal_claims,
        effects.release_promo_code,
    ),
    S.NEEDS_REVIEW: (),
    S.SHIPPED: (effects.queue_shipping_email, effects.queue_gift_receipt),
    S.PARTIALLY_REFUNDED: (
        effects.restock_returned_copies,
        effects.record_refunded_tax,
        effects.queue_refund_email,
    ),
    S.REFUNDED: (
        effects.restock_returned_copies,
        effects.record_refunded_tax,
        effects.void_unclaimed_gift,
        effects.queue_refund_email,
    ),
}


def transition(
    order: Order,
    target: OrderState,
    *,
    actor: str,
    user_id: int | None = None,
    note: str = "",
    source: OrderState | None = None,
    guard: Any = None,
    values: Mapping[str, Any] | None = None,
    now: datetime | None = None,
    **options: Any,
) -> bool:
    """Move ``order`` from ``source`` (default: its state as loaded) to ``target``.

    Raises InvalidTransition for a move the table forbids. Returns False, changing nothing,
    when the order is no longer in ``source`` (someone else moved it first) or ``guard`` (an
    extra SQL condition) does not hold. ``values`` are more columns set by the same UPDATE.
    """
    source = OrderState(source or order.state)
    check_move(source, target)
    now = now or utcnow()
    if not _update(order, source, target, guard, {"updated_at": now, **(values or {})}):
        return False
    move = Move(order, source, target, actor, user_id, now, options)
    try:
        for effect in ON_ENTER[target]:
            effect(move)
    except effects.Refused as refusal:
        if refusal.instead is source:
            raise InvalidTransition(str(refusal)) from None
        # Nothing but the state was written yet: this transaction's move becomes
        # source -> instead.
        check_move(source, refusal.instead)
        _update(order, target, refusal.instead, None, refusal.values)
        _record(move, refusal.instead, str(refusal))
        return True
    _record(move, target, note)
    return True


def require(order: Order, target: OrderState, **kwargs: Any) -> None:
    """``transition`` that raises InvalidTransition when someone else moved the order first."""
    if not transition(order, target, **kwargs):
        raise InvalidTransition("The order changed meanwhile; reload and try again.")


def note_event(order: Order, *, actor: str, note: str, user_id: int | None = None) -> None:
    """Add a line to the order's history without moving it (e.g. a stray payment refunded)."""
    state = OrderState(order.state)
    db.session.add(
        OrderEvent(
            order_id=order.id,
            from_state=state.value,
            to_state=state.value,
            actor=actor,
            user_id=user_id,
            note=note[:500],
        )
    )
    db.session.flush()


def record_creation(order: Order, *, actor: str, user_id: int | None) -> None:
    """The first line of a new order's history."""
    db.session.add(
        OrderEvent(
            order_id=order.id,
            from_state=None,
            to_state=S.PENDING_PAYMENT.value,
            actor=actor,
            user_id=user_id,
        )
    )


def _update(
    order: Order,
    source: OrderState,
    target: OrderState,
    guard: Any,
    values: Mapping[str, Any],
) -> bool:
    conditions = [Order.id == order.id, Order.state == source]
    if guard is not None:
        conditions.append(guard)
    result = db.session.execute(
        update(Order).where(*conditions).values(state=target, **values),
        execution_options={"synchronize_session": False},
    )
    db.session.expire(order)
    return rowcount(result) == 1


def _record(move: Move, target: OrderState, note: str) -> None:
    db.session.add(
        OrderEvent(
            order_id=move.order.id,
            from_state=move.source.value,
            to_state=target.value,
            actor=move.actor,
            user_id=move.user_id,
            note=note[:500],
        )
    )
    db.session.flush()
