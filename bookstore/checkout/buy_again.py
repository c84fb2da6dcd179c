"""Buy again: put an earlier order's editions that are still sold back in the cart."""

from __future__ import annotations

from dataclasses import dataclass, field

from bookstore.cart import services as cart_services
from bookstore.cart.models import Cart
from bookstore.catalog.models import Edition
from bookstore.checkout.models import Order
from bookstore.errors import InvalidInput, NotFound, OutOfStock
from bookstore.extensions import db


@dataclass
class BuyAgainResult:
    """What went into the cart, and why the rest did not (one sentence per line)."""

    added: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


def buy_again(order: Order, cart: Cart, *, max_per_line: int) -> BuyAgainResult:
    """Add each line of ``order`` to ``cart`` in its quantity (or as many as may be ordered
    now); lines that cannot be sold any more are named in ``refused``. Prices are today's."""
    result = BuyAgainResult()
    for line in order.lines:
        label = line.display_name
        edition = db.session.get(Edition, line.edition_id) if line.edition_id else None
        if edition is None:
            result.refused.append(f"{label} is no longer in our catalog.")
            continue
        wanted = min(line.quantity, max_per_line)
        try:
            cart_services.add_item(cart, edition.id, wanted, max_per_line=max_per_line)
        except OutOfStock as error:
            if wanted > 1 and _add_one(cart, edition, max_per_line):
                result.added.append(label)
                result.refused.append(f"{error} We added 1 copy.")
            else:
                result.refused.append(str(error))
            continue
        except (InvalidInput, NotFound) as error:
            result.refused.append(str(error))
            continue
        result.added.append(label)
    return result


def _add_one(cart: Cart, edition: Edition, max_per_line: int) -> bool:
    try:
        cart_services.add_item(cart, edition.id, 1, max_per_line=max_per_line)
    except (OutOfStock, InvalidInput):
        return False
    return True
