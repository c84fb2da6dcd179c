"""What other features add to an order -- a year of membership, a gift membership, the gift
options -- read once for the effects of a move, a page or an email that ask about each several
times. Most orders have none of them, and the session keeps no missing row: every asking was
a query."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bookstore.checkout.models import Order
from bookstore.gifts import memberships as gift_memberships
from bookstore.gifts import services as gift_services
from bookstore.gifts.models import GiftMembership, OrderGift
from bookstore.members.models import OrderMembership
from bookstore.members.purchase import membership_of_order


@dataclass(frozen=True)
class OrderParts:
    """The order's membership, gift membership and gift options (each None when it has none)."""

    order: Order
    membership: OrderMembership | None
    gift_membership: GiftMembership | None
    gift: OrderGift | None

    @classmethod
    def read(cls, order: Order) -> OrderParts:
        """One query for each part; none for the membership of a guest's order (a year of
        membership belongs to an account: a guest cannot buy one)."""
        return cls(
            order,
            membership_of_order(order.id) if order.user_id is not None else None,
            gift_memberships.of_order(order.id),
            gift_services.gift_of(order),
        )

    def template_helpers(self) -> dict[str, Any]:
        """``order_membership``, ``order_gift_membership`` and ``order_gift`` (the template
        helpers of ``members`` and ``gifts``) answering for this order from what was read;
        another order is asked as usual. Pass them to ``render_template``."""

        def known(value: Any, ask: Callable[[Any], Any]) -> Callable[[Any], Any]:
            return lambda other: value if other is self.order else ask(other)

        return {
            "order_membership": known(self.membership, lambda o: membership_of_order(o.id)),
            "order_gift_membership": known(
                self.gift_membership, lambda o: gift_memberships.of_order(o.id)
            ),
            "order_gift": known(self.gift, gift_services.gift_of),
        }
