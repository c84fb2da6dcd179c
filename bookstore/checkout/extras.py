"""What other features add to an order, called by checkout at fixed points.

Member deals (a discount on the cart, claims applied, redeemed or released) and memberships
bought through checkout live in ``bookstore.deals.orders`` and ``bookstore.members``. Checkout
calls them through these functions, so that its own code stays the same whether or not those
features are installed (they are, in the shop; a checkout-only build gets no discounts).
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Sequence
from datetime import datetime
from typing import Any

_DEALS = "bookstore.deals.orders"


def _deals():
    # find_spec, not try/except ImportError: a real error inside the module must surface.
    if importlib.util.find_spec(_DEALS) is None:
        return None
    return importlib.import_module(_DEALS)


def quote_discount(cart: Any, lines: Sequence[Any], *, now: datetime) -> int:
    """The discount (cents) the cart's chosen member deals give on these priced lines."""
    deals = _deals()
    return deals.cart_deal_discount(cart, lines, now=now) if deals else 0


def attach_to_order(order: Any, cart: Any, lines: Sequence[Any], *, now: datetime) -> None:
    """Tie the cart's deals to a new order (raises InvalidInput if the discount changed)."""
    deals = _deals()
    if deals:
        deals.apply_cart_deals_to_order(order, cart, lines, now=now)


def attach_membership(order: Any, user: Any, price_cents: int) -> None:
    """Record that the order buys a year of membership for ``user`` at ``price_cents``."""
    from bookstore.members.purchase import add_membership_to_order

    add_membership_to_order(order, user, price_cents)


def buys_membership(order: Any) -> bool:
    """True when the order buys a year of membership."""
    from bookstore.members.purchase import membership_of_order

    return membership_of_order(order.id) is not None


def payment_line_items(order: Any) -> list[dict[str, Any]] | None:
    """Stripe line items for the order's goods (discounted, or a membership); None: default."""
    deals = _deals()
    return deals.payment_line_items(order) if deals else None


def order_moved(order_id: int, target: str, *, now: datetime) -> None:
    """Tell the other features an order moved (paid redeems claims and starts memberships;
    cancelled or expired release claims)."""
    deals = _deals()
    if deals:
        deals.order_moved(order_id, target, now=now)
