"""Order states and the only moves allowed between them."""

import enum

from bookstore.errors import InvalidTransition


class OrderState(enum.StrEnum):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    NEEDS_REVIEW = "needs_review"
    REFUNDED = "refunded"
    PARTIALLY_REFUNDED = "partially_refunded"

    @property
    def is_paid_like(self) -> bool:
        """Paid for and not wholly refunded: downloads work, the sale counts."""
        return self in _PAID_LIKE

    @property
    def is_refundable(self) -> bool:
        """Money was taken and some of it can still be given back."""
        return self in _PAID_LIKE

    @property
    def is_shippable(self) -> bool:
        """Paid and not yet shipped."""
        return self in (OrderState.PAID, OrderState.PARTIALLY_REFUNDED)

    @property
    def label(self) -> str:
        return {
            "pending_payment": "Awaiting payment",
            "needs_review": "Being reviewed",
            "partially_refunded": "Partly refunded",
        }.get(self.value, self.value.capitalize())


S = OrderState
_PAID_LIKE = frozenset({S.PAID, S.SHIPPED, S.PARTIALLY_REFUNDED})

TRANSITIONS: dict[OrderState, frozenset[OrderState]] = {
    S.PENDING_PAYMENT: frozenset({S.PAID, S.CANCELLED, S.EXPIRED, S.NEEDS_REVIEW}),
    S.PAID: frozenset({S.SHIPPED, S.REFUNDED, S.PARTIALLY_REFUNDED}),
    S.SHIPPED: frozenset({S.REFUNDED, S.PARTIALLY_REFUNDED}),
    S.PARTIALLY_REFUNDED: frozenset({S.REFUNDED, S.PARTIALLY_REFUNDED, S.SHIPPED}),
    # Staff resolve a held order: accept the payment or cancel (and refund) it.
    S.NEEDS_REVIEW: frozenset({S.PAID, S.CANCELLED}),
    # Money that arrives for an order we already gave up on (a payment completed in another
    # tab just as the buyer cancelled) must reach a person, never vanish.
    S.CANCELLED: frozenset({S.NEEDS_REVIEW}),
    S.EXPIRED: frozenset({S.NEEDS_REVIEW}),
    S.REFUNDED: frozenset(),
}


def can_move(source: OrderState, target: OrderState) -> bool:
    """True when an order in ``source`` may move to ``target``."""
    return target in TRANSITIONS[OrderState(source)]


def check_move(source: OrderState, target: OrderState) -> None:
    """Raise InvalidTransition unless the move is in the table."""
    if not can_move(source, target):
        raise InvalidTransition(
            f"An order cannot go from {OrderState(source).value} to {OrderState(target).value}."
        )
