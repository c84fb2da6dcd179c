"""What entering a state does to the rest of the shop (the table is in ``workflow.ON_ENTER``).

Each effect takes the ``workflow.Move`` being made, writes in the current transaction and
reaches no network: emails are queued (``emails``), Stripe calls are jobs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, update

from bookstore.cart.models import Cart, CartLine
from bookstore.checkout import downloads, emails
from bookstore.checkout.models import Order
from bookstore.checkout.states import OrderState
from bookstore.deals import orders as deal_orders
from bookstore.errors import OutOfStock
from bookstore.extensions import db
from bookstore.gifts import emails as gift_emails
from bookstore.gifts import memberships as gift_memberships
from bookstore.inventory import holds, ledger
from bookstore.members import purchase as membership_purchase
from bookstore.promotions import orders as promo_orders
from bookstore.tax import services as tax

if TYPE_CHECKING:
    from bookstore.checkout.workflow import Move

_NO_SYNC = {"synchronize_session": False}


class Refused(Exception):
    """An effect cannot happen: the move becomes ``instead`` (with ``values`` set)."""

    def __init__(self, message: str, *, instead: OrderState, values: dict[str, Any]):
        super().__init__(message)
        self.instead = instead
        self.values = values


def physical_quantities(order: Order) -> dict[int, int]:
    """Copies of each physical edition the order is for (edition id -> quantity)."""
    quantities: dict[int, int] = {}
    for line in order.lines:
        if line.format.is_physical and line.edition_id is not None:
            quantities[line.edition_id] = quantities.get(line.edition_id, 0) + line.quantity
    return quantities


def _end_checkout_window(order: Order) -> None:
    db.session.execute(
        update(Order).where(Order.id == order.id).values(reserved_until=None),
        execution_options=_NO_SYNC,
    )


# -- paid ------------------------------------------------------------------------------------


def sell_held_copies(move: Move) -> None:
    """The held copies become sales; if the hold lapsed and they are gone, hold for review."""
    try:
        holds.sell_copies(move.order.id, physical_quantities(move.order), actor_id=_staff_id(move))
    except OutOfStock as exc:
        raise Refused(
            str(exc),
            instead=OrderState.NEEDS_REVIEW,
            values={"paid_at": None, "review_reason": str(exc)[:300]},
        ) from None
    _end_checkout_window(move.order)


def redeem_deal_claims(move: Move) -> None:
    """The member deals applied to the order are used up."""
    if move.order.user_id is None:
        return  # deals are claimed by members: a guest's order has none
    deal_orders.redeem_claims(move.order.id, now=move.now)


def redeem_promo_code(move: Move) -> None:
    """The promotion code's use reserved for the order counts for good."""
    if not move.order.promo_discount_cents:
        return  # a use is reserved only for an order the code takes something off
    promo_orders.redeem_use(move.order.id, now=move.now)


def start_membership(move: Move) -> None:
    """A year of membership bought by the order starts (or extends the current one)."""
    if move.order.user_id is None:
        return  # a guest cannot buy a membership (it belongs to an account)
    membership_purchase.order_paid(move.order.id, now=move.now)


def empty_cart(move: Move) -> None:
    """What the order bought leaves the cart it came from (later additions stay)."""
    order = move.order
    if order.cart_id is None:
        return
    bought = [line.edition_id for line in order.lines if line.edition_id is not None]
    db.session.execute(
        delete(CartLine).where(CartLine.cart_id == order.cart_id, CartLine.edition_id.in_(bought)),
        execution_options=_NO_SYNC,
    )
    if move.parts.membership is not None:
        db.session.execute(
            update(Cart).where(Cart.id == order.cart_id).values(membership=False),
            execution_options=_NO_SYNC,
        )
    if move.parts.gift_membership is not None:
        db.session.execute(
            update(Cart)
            .where(Cart.id == order.cart_id)
            .values(gift_email="", gift_name="", gift_message=""),
            execution_options=_NO_SYNC,
        )


def send_gift_membership(move: Move) -> None:
    """A year of membership given to someone: their claim link goes out."""
    gift_memberships.order_paid(move.order.id, now=move.now)


def create_download_links(move: Move) -> None:
    """A download link for each ebook."""
    downloads.create_download_links(move.order, now=move.now)


def queue_confirmation(move: Move) -> None:
    """The confirmation email, with the ebook links."""
    emails.queue_confirmation(move.order, move.parts)


# -- cancelled, expired ----------------------------------------------------------------------


def release_held_copies(move: Move) -> None:
    """The copies held for the checkout are free to sell again."""
    holds.release_hold(move.order.id)
    _end_checkout_window(move.order)


def release_deal_claims(move: Move) -> None:
    """Member deals applied to the order can be used again."""
    if move.order.user_id is None:
        return
    deal_orders.release_claims(move.order.id, now=move.now)


def release_promo_code(move: Move) -> None:
    """The code's use goes back to the code, and the shopper may use it again."""
    if not move.order.promo_discount_cents:
        return
    promo_orders.release_use(move.order.id, now=move.now)


# -- shipped, refunded -----------------------------------------------------------------------


def queue_shipping_email(move: Move) -> None:
    """Tell the buyer the parcel is on its way."""
    emails.queue_shipped(move.order, move.options["shipment"])


def restock_returned_copies(move: Move) -> None:
    """Copies given back with a refund go back on the shelf (``restock``: edition -> copies)."""
    restock(move.order, move.options.get("restock") or {}, actor_id=move.user_id)


def restock(order: Order, copies: dict[int, int], *, actor_id: int | None) -> None:
    """Put returned copies back on the shelf, one "return" ledger row per edition."""
    for edition_id, n in sorted(copies.items()):
        if n:
            ledger.adjust_stock(
                edition_id,
                n,
                reason="return",
                actor_id=actor_id,
                note=f"Refund of order {order.short_reference}",
                order_id=order.id,
            )


def queue_gift_receipt(move: Move) -> None:
    """A gift's recipient (when the buyer gave their email) gets the gift receipt."""
    gift_emails.queue_gift_receipt(move.order)


def void_unclaimed_gift(move: Move) -> None:
    """A refunded gift membership not yet claimed can no longer be claimed."""
    gift_memberships.order_refunded(move.order.id, now=move.now)


def record_refunded_tax(move: Move) -> None:
    """The sales tax the refund gave back, dated for the month's tax figures
    (``refund_tax_cents``: the tax of the copies staff chose, when they chose some)."""
    cents = move.options.get("refund_cents")
    if cents:
        tax.record_refund(
            move.order,
            cents,
            lines_tax=move.options.get("refund_tax_cents"),
            whole=move.target is OrderState.REFUNDED,
            now=move.now,
        )


def queue_refund_email(move: Move) -> None:
    """Tell the buyer how much was refunded."""
    cents = move.options.get("refund_cents")
    if cents:
        emails.queue_refunded(move.order, cents)


def _staff_id(move: Move) -> int | None:
    return move.user_id if move.actor.startswith("staff") else None
