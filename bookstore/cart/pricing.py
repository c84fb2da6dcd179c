"""Cart pricing: what each line costs now, the shipping rule, and what changed since adding.

``price_cart`` reads only: it never writes, so checkout and member deals can call it to
re-validate a cart. ``settle_cart`` applies the adjustments it found (the cart page calls it
after showing the warnings once).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import joinedload

from bookstore.cart.models import Cart, CartLine
from bookstore.cart.rules import edition_label, line_limit, unavailable_reason
from bookstore.catalog.models import Book, BookContributor, Edition, EditionStatus
from bookstore.database import built_once
from bookstore.extensions import db
from bookstore.inventory import availability
from bookstore.money import format_cents


@dataclass(frozen=True)
class LinePricing:
    """One cart line priced from the database.

    ``quantity`` is what can be bought now (the stored quantity capped by stock and the per-line
    maximum; 0 when the edition can no longer be sold); ``requested_quantity`` is what the cart
    holds. ``price_changed_from`` is the price the shopper saw when adding, when it differs.
    """

    line_id: int
    edition: Edition
    book: Book
    quantity: int
    requested_quantity: int
    unit_price_cents: int
    line_total_cents: int
    price_changed_from: int | None
    available: bool
    stock: int | None
    max_quantity: int
    status: EditionStatus
    warnings: tuple[str, ...]
    line: CartLine = field(repr=False, compare=False)

    @property
    def changed(self) -> bool:
        """True when the line no longer matches what the shopper put in the cart."""
        return bool(self.warnings)


@dataclass(frozen=True)
class CartPricing:
    """A whole cart priced from the database; all amounts in integer cents."""

    lines: tuple[LinePricing, ...]
    subtotal_cents: int
    shipping_cents: int
    total_cents: int
    has_physical: bool
    item_count: int
    # The price of the year of membership in the cart (bookstore.members), None without one.
    membership_cents: int | None = None
    # A year of membership given to someone else (bookstore.gifts), None without one.
    gift_membership_cents: int | None = None

    @property
    def is_empty(self) -> bool:
        return (
            self.membership_cents is None
            and self.gift_membership_cents is None
            and not any(line.available for line in self.lines)
        )

    @property
    def stored_count(self) -> int:
        """What the stored cart holds, as the header counts it: every copy asked for (sold
        now or not) and the membership and gift membership."""
        return (
            sum(line.requested_quantity for line in self.lines)
            + (self.membership_cents is not None)
            + (self.gift_membership_cents is not None)
        )

    @property
    def warnings(self) -> list[str]:
        """Every line's warnings, in line order."""
        return [w for line in self.lines for w in line.warnings]

    @property
    def needs_review(self) -> bool:
        """True when a price or stock changed: show the cart again before taking payment."""
        return any(line.changed for line in self.lines)

    def line_for(self, edition_id: int) -> LinePricing | None:
        return next((line for line in self.lines if line.edition.id == edition_id), None)


def shipping_for(subtotal_cents: int, has_physical: bool, config: Mapping[str, Any]) -> int:
    """Shipping for an order: nothing without printed books or from the free-shipping
    threshold (``FREE_SHIPPING_OVER_CENTS``, inclusive), otherwise ``SHIPPING_FLAT_CENTS``."""
    if not has_physical or subtotal_cents <= 0:
        return 0
    threshold = config.get("FREE_SHIPPING_OVER_CENTS")
    if threshold is not None and threshold >= 0 and subtotal_cents >= threshold:
        return 0
    return int(config["SHIPPING_FLAT_CENTS"])


def cart_lines(cart: Cart, *, authors: bool = True) -> list[CartLine]:
    """The cart's lines with their editions and books, in one query (plus the credits, for
    pages that name the authors)."""
    query = _lines_with_authors() if authors else _lines()
    return list(db.session.scalars(query, {"cart_id": cart.id}).unique())


@built_once  # every page of the cart and the checkout asks
def _lines() -> Select[CartLine]:
    return _lines_query(joinedload(CartLine.edition).joinedload(Edition.book))


@built_once
def _lines_with_authors() -> Select[CartLine]:
    book = joinedload(CartLine.edition).joinedload(Edition.book)
    return _lines_query(book.selectinload(Book.credits).joinedload(BookContributor.contributor))


def _lines_query(load: Any) -> Select[CartLine]:
    query = select(CartLine).where(CartLine.cart_id == bindparam("cart_id")).options(load)
    return query.order_by(CartLine.id)


def price_cart(
    cart: Cart | None, *, today: date, config: Mapping[str, Any], authors: bool = True
) -> CartPricing:
    """Price ``cart`` from current database prices and stock, without changing anything.

    Lines that can no longer be sold count for nothing; quantities above what is available
    count only what is available. Each such difference, and each price change since the line
    was added, is described in the line's ``warnings``. ``authors=False`` leaves the books'
    credits unread (checkout's summary does not name the authors).
    """
    if cart is None or cart.id is None:
        return CartPricing((), 0, 0, 0, False, 0)
    max_per_line = int(config["CART_MAX_PER_LINE"])
    currency = config.get("CURRENCY", "USD")
    lines = cart_lines(cart, authors=authors)
    free = availability.free_for_cart(cart.id, [line.edition_id for line in lines])
    priced = tuple(
        _price_line(
            line,
            today=today,
            max_per_line=max_per_line,
            currency=currency,
            available=free.get(line.edition_id),
        )
        for line in lines
    )
    subtotal = sum(line.line_total_cents for line in priced)
    has_physical = any(line.available and line.edition.is_physical for line in priced)
    shipping = shipping_for(subtotal, has_physical, config)
    membership = membership_price(config) if cart.membership else None
    gift = membership_price(config) if cart.gift_email else None
    return CartPricing(
        lines=priced,
        subtotal_cents=subtotal,
        shipping_cents=shipping,
        total_cents=subtotal + shipping + (membership or 0) + (gift or 0),
        has_physical=has_physical,
        item_count=sum(line.quantity for line in priced)
        + (1 if cart.membership else 0)
        + (1 if cart.gift_email else 0),
        membership_cents=membership,
        gift_membership_cents=gift,
    )


def membership_price(config: Mapping[str, Any]) -> int:
    """A year of membership, in cents (``MEMBERSHIP_PRICE_CENTS``)."""
    return int(config["MEMBERSHIP_PRICE_CENTS"])


def _price_line(
    line: CartLine, *, today: date, max_per_line: int, currency: str, available: int | None
) -> LinePricing:
    edition = line.edition
    label = edition_label(edition)
    limit = line_limit(edition, max_per_line=max_per_line, available=available)
    quantity = min(line.quantity, limit)
    price = edition.price_cents
    warnings: list[str] = []
    reason = unavailable_reason(edition, available)
    if reason is not None:
        warnings.append(f"{reason} It has been removed from your cart.")
    elif quantity < line.quantity:
        if edition.is_physical and limit < max_per_line:
            warnings.append(
                f"Only {quantity} of {label} can be ordered now: "
                f"your quantity went from {line.quantity} to {quantity}."
            )
        else:
            warnings.append(
                f"{label}: at most {limit} per order, so your quantity is now {quantity}."
            )
    changed_from = line.price_seen_cents if line.price_seen_cents != price else None
    if changed_from is not None and reason is None:
        direction = "went up" if price > changed_from else "went down"
        warnings.append(
            f"The price of {label} {direction} from {format_cents(changed_from, currency)} "
            f"to {format_cents(price, currency)} since you added it."
        )
    return LinePricing(
        line_id=line.id,
        edition=edition,
        book=edition.book,
        quantity=quantity,
        requested_quantity=line.quantity,
        unit_price_cents=price,
        line_total_cents=price * quantity,
        price_changed_from=changed_from,
        available=limit > 0,
        stock=edition.available if available is None else available,
        max_quantity=limit,
        status=edition.status_on(today),
        warnings=tuple(warnings),
        line=line,
    )


def settle_cart(pricing: CartPricing) -> None:
    """Make the stored cart match ``pricing``: lower quantities, drop unsellable lines and
    record the current prices as seen, so each warning is shown once. Flushes."""
    for priced in pricing.lines:
        line = priced.line
        if not priced.available:
            db.session.delete(line)
            continue
        if line.quantity != priced.quantity:
            line.quantity = priced.quantity
        if line.price_seen_cents != priced.unit_price_cents:
            line.price_seen_cents = priced.unit_price_cents
    db.session.flush()
