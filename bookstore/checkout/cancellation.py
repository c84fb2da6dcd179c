"""Cancelling checkouts: the shopper left Stripe's page, or came back and pays again."""

from __future__ import annotations

import contextlib
from datetime import datetime

from sqlalchemy import select

from bookstore.accounts.models import User
from bookstore.cart.models import Cart
from bookstore.catalog import stock
from bookstore.checkout import gateway
from bookstore.checkout.models import Order
from bookstore.checkout.services import actor_id, actor_label, move_order
from bookstore.checkout.states import OrderState
from bookstore.errors import NotFound, PaymentServiceUnavailable
from bookstore.extensions import db


def cancel_checkout(
    order: Order,
    *,
    now: datetime,
    actor: User | None,
    note: str = "Checkout cancelled by the shopper.",
) -> bool:
    """The shopper left the Stripe page: cancel the order and give its stock back.

    Returns False (nothing changed) when the order is no longer pending, or when Stripe says
    its session is already complete (paid in another tab: the caller shows the order). After
    the commit, call ``close_stripe_session`` so the session can no longer be paid.
    """
    if order.state is not OrderState.PENDING_PAYMENT:
        return False
    if order.stripe_session_id:
        try:
            if gateway.retrieve_session(order.stripe_session_id).status == "complete":
                return False
        except (PaymentServiceUnavailable, NotFound):
            # Cancel anyway: a payment that still arrives is held for staff (needs_review).
            pass
    moved = move_order(
        order,
        OrderState.PENDING_PAYMENT,
        OrderState.CANCELLED,
        actor=actor_label(actor),
        user_id=actor_id(actor),
        note=note,
    )
    if moved:
        stock.release_order_stock(order.id)
    return moved


def supersede_pending(cart: Cart | None, *, now: datetime, actor: User | None) -> list[Order]:
    """Cancel the cart's earlier unpaid checkouts before a new one (the shopper came back from
    Stripe with the browser's Back button and pays again), so they do not hold its copies.

    A checkout already completed at Stripe (paid, or a delayed payment under way) is kept.
    Returns the cancelled orders: close their Stripe sessions after the commit.
    """
    if cart is None or cart.id is None:
        return []
    pending = db.session.scalars(
        select(Order)
        .where(Order.cart_id == cart.id, Order.state == OrderState.PENDING_PAYMENT)
        .order_by(Order.id)
    ).all()
    return [
        order
        for order in pending
        if cancel_checkout(order, now=now, actor=actor, note="Replaced by a new checkout.")
    ]


def close_stripe_session(order: Order) -> None:
    """Expire a cancelled order's Stripe session (best effort; changes nothing here).

    Called after the cancellation is committed, so that Stripe's ``expired`` webhook finds the
    order already cancelled. A payment that slips in before this is held for staff review.
    """
    if not order.stripe_session_id:
        return
    with contextlib.suppress(PaymentServiceUnavailable):
        gateway.expire_session(order.stripe_session_id)
