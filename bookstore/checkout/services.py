"""Checkout: price the cart, turn it into an order and hold its copies for the payment.

The payment itself (Stripe, between short transactions) is in ``payments.py``, a paid session
settled in ``fulfilment.py``, webhook events in ``events.py``, abandoned checkouts in
``expiry.py``; every move of an order goes through ``workflow.transition``. The functions here
flush and never commit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from bookstore.accounts.models import User
from bookstore.cart.models import Cart
from bookstore.cart.pricing import CartPricing, LinePricing, price_cart
from bookstore.cart.rules import edition_label
from bookstore.catalog.models import Edition
from bookstore.checkout import workflow
from bookstore.checkout.effects import physical_quantities
from bookstore.checkout.models import Order, OrderLine
from bookstore.checkout.states import OrderState
from bookstore.database import rowcount
from bookstore.deals import orders as deal_orders
from bookstore.errors import InvalidInput, InvalidTransition, NotFound, PromoCodeRefused
from bookstore.extensions import db
from bookstore.gifts import memberships as gift_memberships
from bookstore.gifts import services as gift_services
from bookstore.gifts.services import GiftChoice
from bookstore.inventory import holds
from bookstore.members.purchase import add_membership_to_order
from bookstore.promotions import orders as promo_orders
from bookstore.shipping import services as shipping
from bookstore.tax import services as tax_services

SHIPPING_METHODS = ("standard", "express")
# Stripe refuses a Checkout Session that expires sooner than 30 minutes after its creation;
# the margin covers the time the request takes to reach Stripe.
STRIPE_MIN_SESSION_MINUTES = 30
SESSION_MARGIN = timedelta(seconds=60)


@dataclass(frozen=True)
class ShippingAddress:
    """A validated postal address (see forms.py for the rules)."""

    name: str
    line1: str
    line2: str
    city: str
    region: str
    postal_code: str
    country: str


@dataclass(frozen=True)
class Quote:
    """Every amount of a checkout, computed by the server from the cart and the method."""

    pricing: CartPricing
    shipping_method: str
    subtotal_cents: int
    shipping_cents: int
    discount_cents: int
    total_cents: int
    currency: str
    # A year of membership bought with the books (None: none in the cart).
    membership_cents: int | None = None
    # A year of membership given to someone else (bookstore.gifts), and gift wrap.
    gift_membership_cents: int | None = None
    gift_wrap_cents: int = 0
    # The promotion code entered at checkout: it comes off the books after member deals.
    code: promo_orders.CodeQuote = field(default_factory=promo_orders.CodeQuote)
    # Sales tax where the books go (bookstore.tax), included in total_cents, and that place.
    tax: tax_services.TaxQuote = tax_services.NO_TAX
    tax_place: tax_services.Place | None = None
    # The shipping terms of where the parcel goes (None without one), for the copies sent.
    tariff: shipping.Tariff | None = None
    copies: int = 0

    @property
    def tax_cents(self) -> int:
        return self.tax.cents

    @property
    def promo_discount_cents(self) -> int:
        return self.code.discount_cents

    @property
    def fingerprint(self) -> str:
        """A short digest of what the shopper reviewed, to notice changes before paying."""
        parts = [f"{p.edition.id}:{p.requested_quantity}:{p.unit_price_cents}" for p in self.lines]
        parts += [f"membership:{self.membership_cents}"]
        parts += [f"gift:{self.gift_membership_cents}:{self.gift_wrap_cents}"]
        parts += [f"code:{self.code.code}:{self.code.discount_cents}:{self.discount_cents}"]
        parts += [f"tax:{self.tax.label}:{self.tax.cents}"]
        parts += [self.shipping_method, str(self.shipping_cents), str(self.total_cents)]
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]

    @property
    def lines(self) -> list[LinePricing]:
        """The cart's lines that are still sold (whether or not enough copies are left)."""
        return [p for p in self.pricing.lines if sellable(p.edition)]

    @property
    def is_empty(self) -> bool:
        return (
            not self.lines and self.membership_cents is None and self.gift_membership_cents is None
        )

    @property
    def goods_cents(self) -> int:
        """Books and memberships before shipping, wrap and discounts: the order's subtotal."""
        return (
            self.subtotal_cents + (self.membership_cents or 0) + (self.gift_membership_cents or 0)
        )


def sellable(edition: Edition) -> bool:
    """True for an edition still on sale (active, in print); stock is checked separately."""
    return edition.active and not edition.out_of_print


def shipping_cost(
    method: str,
    subtotal_cents: int,
    has_physical: bool,
    config: Mapping[str, Any],
    *,
    tariff: shipping.Tariff | None = None,
    copies: int = 1,
) -> int:
    """Shipping in cents by ``method`` under ``tariff`` (default: the shop's own country's
    terms); InvalidInput for a method that does not go there."""
    if not has_physical:
        return 0
    if method not in SHIPPING_METHODS:
        raise InvalidInput("Please choose a shipping method.")
    cents = (tariff or shipping.home_tariff(config)).cost(method, subtotal_cents, copies)
    if cents is None:
        raise InvalidInput("Express shipping does not go to that country: choose standard.")
    return cents


def shipping_options(
    subtotal_cents: int,
    has_physical: bool,
    config: Mapping[str, Any],
    *,
    tariff: shipping.Tariff | None = None,
    copies: int = 1,
) -> dict[str, int]:
    """Each shipping method that goes there, with its cost for this cart."""
    tariff = tariff or shipping.home_tariff(config)
    return {
        m: shipping_cost(m, subtotal_cents, has_physical, config, tariff=tariff, copies=copies)
        for m in tariff.methods()
    }


def quote_cart(
    cart: Cart | None,
    *,
    shipping_method: str,
    now: datetime,
    config: Mapping[str, Any],
    gift: GiftChoice | None = None,
    code: str = "",
    email: str = "",
    ship_to: tax_services.Place | None = None,
    lives_in: tax_services.Place | None = None,
) -> Quote:
    """Price the cart as it would be ordered: requested quantities at today's prices, member
    deals, then the promotion ``code`` (if any) on what the books cost after the deals, and
    the sales tax of where the parcel goes (``ship_to``), or for ebooks alone of where the
    buyer ``lives_in`` (none without them: bookstore.tax).

    Quantities are not capped here: an edition that is short is refused by name when the
    order is placed (OutOfStock), rather than quietly sold in a smaller quantity.
    """
    pricing = price_cart(cart, today=now.date(), config=config, authors=False)
    lines = [p for p in pricing.lines if sellable(p.edition)]
    subtotal = sum(p.unit_price_cents * p.requested_quantity for p in lines)
    has_physical = any(p.edition.is_physical for p in lines)
    method = shipping_method if has_physical else "none"
    copies = sum(p.requested_quantity for p in lines if p.edition.is_physical)
    tariff, fee = None, 0
    if has_physical:
        tariff = shipping.tariff_for(ship_to.country if ship_to else None, config)
        if method == "express" and "express" not in tariff.methods():
            method = "standard"  # the summary says so, and paying asks again
        fee = shipping_cost(method, subtotal, has_physical, config, tariff=tariff, copies=copies)
    # Member deals chosen in the cart (bookstore.deals), computed by the server.
    deals = deal_orders.cart_deal_pricing(cart, lines, now=now)
    discount = min(deals.discount_cents, subtotal)
    deal_lines = deals.pricing.line_discounts if deals.pricing else {}
    shopper = promo_orders.Shopper(cart.user_id if cart is not None else None, email)
    # Without a code the books' subjects (which codes may be limited to) are not read.
    plain = deal_orders.priced_lines(lines) if code else []
    promo = promo_orders.quote_code(code, plain, deal_lines, shopper=shopper, now=now)
    membership = pricing.membership_cents
    given = pricing.gift_membership_cents
    wrap = gift_services.wrap_cents_for(gift, has_physical)
    place = ship_to if has_physical else lives_in
    tax = _tax(place, lines, deal_lines, promo, fee, wrap)
    return Quote(
        pricing=pricing,
        shipping_method=method,
        subtotal_cents=subtotal,
        shipping_cents=fee,
        discount_cents=discount,
        total_cents=subtotal
        + (membership or 0)
        + (given or 0)
        + wrap
        + fee
        - discount
        - promo.discount_cents
        + tax.cents,
        currency=str(config.get("CURRENCY", "USD")).upper(),
        membership_cents=membership,
        gift_membership_cents=given,
        gift_wrap_cents=wrap,
        code=promo,
        tax=tax,
        tax_place=place if tax.cents else None,
        tariff=tariff,
        copies=copies,
    )


def _tax(
    place: tax_services.Place | None,
    lines: list[LinePricing],
    deal_lines: Mapping[int, int],
    promo: promo_orders.CodeQuote,
    shipping_cents: int,
    wrap_cents: int,
) -> tax_services.TaxQuote:
    """The sales tax owed where the books go, on what each line costs after deals and code."""
    if place is None:
        return tax_services.NO_TAX
    rate = tax_services.rate_for(place)
    if rate is None:
        return tax_services.NO_TAX
    taxable = [
        tax_services.TaxableLine(
            p.edition.id,
            p.edition.is_physical,
            p.unit_price_cents * p.requested_quantity
            - deal_lines.get(p.edition.id, 0)
            - promo.line_discounts.get(p.edition.id, 0),
        )
        for p in lines
    ]
    return tax_services.quote_tax(
        rate, taxable, shipping_cents=shipping_cents, wrap_cents=wrap_cents
    )


def place_order(
    cart: Cart | None,
    *,
    user: User | None,
    email: str,
    shipping_method: str,
    address: ShippingAddress | None,
    now: datetime,
    config: Mapping[str, Any],
    gift: GiftChoice | None = None,
    code: str = "",
    quote: Quote | None = None,
    lives_in: tax_services.Place | None = None,
) -> Order:
    """Create an order ``pending_payment`` from the cart and hold its printed copies; a
    promotion ``code`` takes one of its uses for the order (PromoCodeRefused says why not).

    Everything is re-checked against the database: editions still sold, today's prices,
    stock (OutOfStock names the title). Prices never come from the shopper; the sales tax is
    for the shipping ``address``, or with no parcel where the buyer ``lives_in``. ``quote`` is
    the cart's quote for these same arguments made earlier in this transaction (the
    checkout view's), so the cart is priced once; without it the cart is priced here.
    """
    if cart is None:
        raise InvalidInput("Your cart is empty.")
    email = (email or "").strip().lower()
    if quote is None:
        quote = quote_cart(
            cart,
            shipping_method=shipping_method,
            now=now,
            config=config,
            gift=gift,
            code=code,
            email=email,
            ship_to=tax_services.Place(address.country, address.region) if address else None,
            lives_in=lives_in,
        )
    if not quote.pricing.lines and not cart.membership and not cart.gift_email:
        raise InvalidInput("Your cart is empty.")
    if quote.code.problem:
        raise PromoCodeRefused(quote.code.problem)
    for priced in quote.pricing.lines:
        if not sellable(priced.edition):
            raise InvalidInput(
                f"{edition_label(priced.edition)} is no longer sold: remove it from your cart."
            )
    if quote.is_empty:
        raise InvalidInput("Your cart is empty.")
    if quote.membership_cents is not None and user is None:
        raise InvalidInput("A membership belongs to an account: create one or log in to check out.")
    if quote.shipping_method != "none":
        if address is None:
            raise InvalidInput("Please give a shipping address for the printed books.")
        if shipping_method not in SHIPPING_METHODS:
            raise InvalidInput("Please choose a shipping method.")
    if "@" not in email or len(email) > 254:
        raise InvalidInput("Please give a valid email address for the receipt.")

    order = Order(
        user_id=user.id if user is not None else None,
        cart_id=cart.id,
        email=email,
        shipping_method=quote.shipping_method,
        subtotal_cents=quote.goods_cents,
        shipping_cents=quote.shipping_cents,
        discount_cents=quote.discount_cents,
        promo_code=quote.code.code if quote.promo_discount_cents else "",
        promo_discount_cents=quote.promo_discount_cents,
        tax_cents=quote.tax_cents,
        tax_label=quote.tax.label,
        tax_country=quote.tax_place.country.upper() if quote.tax_place else "",
        tax_region=tax_services.normalise_region(quote.tax_place.country, quote.tax_place.region)
        if quote.tax_place
        else "",
        total_cents=quote.total_cents,
        currency=quote.currency,
        state=OrderState.PENDING_PAYMENT,
        reserved_until=hold_until(now, config),
    )
    if address is not None and quote.shipping_method != "none":
        for field, value in asdict(address).items():
            setattr(order, f"ship_{field}", value)
    for priced in quote.lines:
        order.lines.append(
            OrderLine(
                edition_id=priced.edition.id,
                title=priced.book.title,
                format=priced.edition.format,
                isbn13=priced.edition.isbn13,
                unit_price_cents=priced.unit_price_cents,
                quantity=priced.requested_quantity,
                tax_cents=quote.tax.line_cents.get(priced.edition.id, 0),
            )
        )
    db.session.add(order)
    db.session.flush()
    # The cart's chosen member-deal claims become 'applied' to this order; a membership in
    # the cart is recorded as bought by it.
    deal_orders.apply_cart_deals_to_order(order, cart, quote.lines, now=now)
    if quote.promo_discount_cents:
        shopper = promo_orders.Shopper(actor_id(user), email)
        promo_orders.reserve_use(order, quote.code, shopper=shopper, now=now)
    if quote.membership_cents is not None and user is not None:
        add_membership_to_order(order, user, quote.membership_cents)
    if quote.gift_membership_cents is not None:
        gift_memberships.add_to_order(
            order, cart, buyer=user, price_cents=quote.gift_membership_cents
        )
    gift_services.attach_gift(
        order, gift if quote.shipping_method != "none" else None, wrap_cents=quote.gift_wrap_cents
    )
    workflow.record_creation(order, actor=actor_label(user), user_id=actor_id(user))
    hold(order, now=now, config=config, new_order=True)
    return order


def hold_minutes(config: Mapping[str, Any]) -> int:
    """How long a checkout holds stock (and its Stripe session stays open)."""
    minutes = int(config.get("RESERVATION_MINUTES") or 30)
    if config.get("STRIPE_SECRET_KEY"):
        minutes = max(minutes, STRIPE_MIN_SESSION_MINUTES)
    return max(minutes, 1)


def hold_until(now: datetime, config: Mapping[str, Any]) -> datetime:
    """When a checkout's hold started ``now`` ends."""
    return now + timedelta(minutes=hold_minutes(config)) + SESSION_MARGIN


def hold(
    order: Order, *, now: datetime, config: Mapping[str, Any], new_order: bool = False
) -> None:
    """Hold the order's printed copies (anew) until ``now`` plus the reservation time."""
    until = hold_until(now, config)
    holds.hold_copies(
        order.id,
        physical_quantities(order),
        until=until,
        now=now,
        cart_id=order.cart_id,
        new_checkout=new_order,
    )
    # A new order was written with this time already: no UPDATE then.
    order.reserved_until = until
    db.session.flush()


def next_attempt(order: Order, *, now: datetime, config: Mapping[str, Any]) -> int:
    """Prepare the order's next payment attempt: hold its copies again if the hold lapsed,
    and take the next attempt number (one conditional UPDATE, so two tabs paying at once get
    different numbers and the later one wins). Returns the attempt number."""
    if order.state is not OrderState.PENDING_PAYMENT:
        raise InvalidTransition("This order is no longer waiting for payment.")
    if order.reserved_until is None or order.reserved_until <= now:
        hold(order, now=now, config=config)
    attempt = order.payment_attempts + 1
    result = db.session.execute(
        update(Order)
        .where(
            Order.id == order.id,
            Order.state == OrderState.PENDING_PAYMENT,
            Order.payment_attempts == attempt - 1,
        )
        .values(payment_attempts=attempt),
        execution_options={"synchronize_session": False},
    )
    # Only what the UPDATE wrote: the session request reads the rest as loaded.
    db.session.expire(order, ["payment_attempts", "updated_at"])
    if rowcount(result) != 1:
        raise InvalidTransition("This order changed meanwhile; reload and try again.")
    return attempt


def record_session(order: Order, attempt: int, session_id: str) -> bool:
    """Store the Checkout Session of ``attempt``; False if the order moved on meanwhile
    (paid, cancelled, or a later attempt started)."""
    result = db.session.execute(
        update(Order)
        .where(
            Order.id == order.id,
            Order.state == OrderState.PENDING_PAYMENT,
            Order.payment_attempts == attempt,
        )
        .values(stripe_session_id=session_id),
        execution_options={"synchronize_session": False},
    )
    db.session.expire(order)
    return rowcount(result) == 1


def order_by_reference(reference: str) -> Order:
    """The order with this public reference, or NotFound."""
    order = db.session.scalars(select(Order).where(Order.reference == reference)).one_or_none()
    if order is None:
        raise NotFound("No such order.")
    return order


def order_by_session(session_id: str) -> Order | None:
    """The order paid through this Checkout Session, if it is ours."""
    return db.session.scalars(
        select(Order).where(Order.stripe_session_id == session_id)
    ).one_or_none()


def orders_of(user: User, *, limit: int = 100) -> list[Order]:
    """A user's orders, newest first (the lines load with them)."""
    return list(
        db.session.scalars(
            select(Order)
            .where(Order.user_id == user.id)
            .options(selectinload(Order.lines))
            .order_by(Order.created_at.desc(), Order.id.desc())
            .limit(limit)
        )
    )


def actor_label(user: User | None) -> str:
    """How the order history names a shopper: ``user:<id>`` or ``customer`` for a guest."""
    return f"user:{user.id}" if user is not None else "customer"


def actor_id(user: User | None) -> int | None:
    """The shopper's user id, or None for a guest."""
    return user.id if user is not None else None
