"""Checkout: orders, their lines and history, processed Stripe events, ebook download links."""

from __future__ import annotations

import secrets
from datetime import datetime
from urllib.parse import quote

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bookstore.catalog.models import Edition, Format
from bookstore.checkout.states import OrderState
from bookstore.dbtypes import UTCDateTime, str_enum, utcnow
from bookstore.extensions import Model


def new_reference() -> str:
    """A public order reference: 144 random bits, URL-safe (24 characters)."""
    return secrets.token_urlsafe(18)


class Order(Model):
    """One checkout: what was bought, by whom, for how much, and where it is in its life."""

    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint("subtotal_cents >= 0", name="subtotal_not_negative"),
        CheckConstraint("shipping_cents >= 0", name="shipping_not_negative"),
        CheckConstraint("discount_cents >= 0", name="discount_not_negative"),
        CheckConstraint("promo_discount_cents >= 0", name="promo_discount_not_negative"),
        CheckConstraint("tax_cents >= 0", name="tax_not_negative"),
        CheckConstraint("total_cents >= 0", name="total_not_negative"),
        CheckConstraint(
            "refunded_cents >= 0 AND refunded_cents <= total_cents", name="refund_within_total"
        ),
        CheckConstraint("payment_attempts >= 0", name="attempts_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True, default=new_reference)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # The cart the order came from: emptied when the order is paid.
    cart_id: Mapped[int | None] = mapped_column(ForeignKey("carts.id", ondelete="SET NULL"))
    # Indexed: a confirmed account gathers the orders placed as a guest with its address.
    email: Mapped[str] = mapped_column(String(254), index=True)

    ship_name: Mapped[str] = mapped_column(String(120), default="")
    ship_line1: Mapped[str] = mapped_column(String(200), default="")
    ship_line2: Mapped[str] = mapped_column(String(200), default="")
    ship_city: Mapped[str] = mapped_column(String(100), default="")
    ship_region: Mapped[str] = mapped_column(String(100), default="")
    ship_postal_code: Mapped[str] = mapped_column(String(20), default="")
    ship_country: Mapped[str] = mapped_column(String(2), default="")
    # "standard", "express", or "none" for ebooks-only orders.
    shipping_method: Mapped[str] = mapped_column(String(20), default="none")

    subtotal_cents: Mapped[int] = mapped_column(Integer)
    shipping_cents: Mapped[int] = mapped_column(Integer, default=0)
    # Member deals' discount; a promotion code's comes after it (bookstore.promotions).
    discount_cents: Mapped[int] = mapped_column(Integer, default=0)
    promo_code: Mapped[str] = mapped_column(String(40), default="")
    promo_discount_cents: Mapped[int] = mapped_column(Integer, default=0)
    # Sales tax (bookstore.tax): its lines' shares are on the order lines, the rest is on
    # shipping and wrap. The label names the tax and its rate, as the receipt shows it.
    tax_cents: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    tax_label: Mapped[str] = mapped_column(String(120), default="", server_default="")
    # The place whose rate applied (the shipping address's, or for ebooks alone where the
    # buyer lives), its region as rates keep it: what staff's monthly figures group by.
    tax_country: Mapped[str] = mapped_column(String(2), default="", server_default="")
    tax_region: Mapped[str] = mapped_column(String(100), default="", server_default="")
    total_cents: Mapped[int] = mapped_column(Integer)
    refunded_cents: Mapped[int] = mapped_column(Integer, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="USD")

    state: Mapped[OrderState] = mapped_column(
        str_enum(OrderState, "order_state"), default=OrderState.PENDING_PAYMENT, index=True
    )
    stripe_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    stripe_payment_intent: Mapped[str | None] = mapped_column(String(255), index=True)
    # Each new Checkout Session for this order gets the next attempt number (idempotency key).
    payment_attempts: Mapped[int] = mapped_column(Integer, default=0)
    # While set, the order holds stock (editions.reserved); NULL once released or sold.
    reserved_until: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    review_reason: Mapped[str] = mapped_column(String(300), default="")

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", order_by="OrderLine.id", cascade="all, delete-orphan"
    )
    events: Mapped[list[OrderEvent]] = relationship(
        back_populates="order", order_by="OrderEvent.id", cascade="all, delete-orphan"
    )
    download_links: Mapped[list[DownloadLink]] = relationship(
        back_populates="order", order_by="DownloadLink.id", cascade="all, delete-orphan"
    )

    @property
    def short_reference(self) -> str:
        """The reference shown to people (pages, emails, staff screens): 8 characters."""
        return self.reference[:8].upper()

    @property
    def has_physical(self) -> bool:
        return any(line.format.is_physical for line in self.lines)

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines)

    def __repr__(self) -> str:
        return f"<Order {self.id} {self.state}>"


class OrderLine(Model):
    """A line copied from the catalog at the time of purchase (title, format, ISBN, price)."""

    __tablename__ = "order_lines"
    __table_args__ = (
        UniqueConstraint("order_id", "edition_id", name="uq_order_lines_order_id_edition_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price_cents >= 0", name="unit_price_not_negative"),
        CheckConstraint("tax_cents >= 0", name="tax_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    # Kept when the edition is deleted: the copied fields still describe the line.
    edition_id: Mapped[int | None] = mapped_column(
        ForeignKey("editions.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    format: Mapped[Format] = mapped_column(str_enum(Format, "order_line_format"))
    isbn13: Mapped[str] = mapped_column(String(13))
    unit_price_cents: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)
    # The sales tax on the line's copies, at the price paid for them (bookstore.tax).
    tax_cents: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    order: Mapped[Order] = relationship(back_populates="lines")
    edition: Mapped[Edition | None] = relationship()

    @property
    def line_total_cents(self) -> int:
        return self.unit_price_cents * self.quantity

    @property
    def display_name(self) -> str:
        return f"{self.title} ({self.format.label})"


class OrderEvent(Model):
    """The history of an order: each change of state, who made it and when."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    # "customer", "stripe", "system" or "staff:<id>": who caused the change.
    actor: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    order: Mapped[Order] = relationship(back_populates="events")


class ProcessedStripeEvent(Model):
    """A Stripe event already handled: the unique id makes replays do nothing."""

    __tablename__ = "processed_stripe_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(255), unique=True)
    event_type: Mapped[str] = mapped_column(String(80))
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DownloadLink(Model):
    """An ebook download for a paid order line: only the token's hash is stored."""

    __tablename__ = "download_links"
    __table_args__ = (CheckConstraint("downloads_left >= 0", name="downloads_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int] = mapped_column(
        ForeignKey("order_lines.id", ondelete="CASCADE"), unique=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    downloads_left: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    order: Mapped[Order] = relationship(back_populates="download_links")
    line: Mapped[OrderLine] = relationship()


# Where a parcel can be followed, by carrier name (lower case); others show the number only.
TRACKING_URLS = {
    "usps": "https://tools.usps.com/go/TrackConfirmAction?tLabels={}",
    "ups": "https://www.ups.com/track?tracknum={}",
    "fedex": "https://www.fedex.com/fedextrack/?trknbr={}",
    "dhl": "https://www.dhl.com/us-en/home/tracking.html?tracking-id={}",
}


class Shipment(Model):
    """How and when an order's parcel left: carrier and tracking number for the customer."""

    __tablename__ = "shipments"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    carrier: Mapped[str] = mapped_column(String(60))
    tracking_number: Mapped[str] = mapped_column(String(100), default="")
    shipped_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    shipped_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def tracking_url(self) -> str | None:
        """A link to follow the parcel at a known carrier, if there is a tracking number."""
        template = TRACKING_URLS.get(self.carrier.strip().lower())
        if not template or not self.tracking_number:
            return None
        return template.format(quote(self.tracking_number, safe=""))


class Refund(Model):
    """Money given back through Stripe: by staff (with the lines and copies it covered), or
    automatically for a second payment of an order (``stray``)."""

    __tablename__ = "refunds"
    __table_args__ = (CheckConstraint("amount_cents > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    stripe_refund_id: Mapped[str] = mapped_column(String(255), unique=True)
    amount_cents: Mapped[int] = mapped_column(Integer)
    # {order line id: copies refunded}; empty for a whole-order refund of the remainder.
    lines: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    restocked: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(String(300), default="")
    # A second payment for the order, given back whole; not part of the order's refunded total.
    stray: Mapped[bool] = mapped_column(Boolean, default=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
