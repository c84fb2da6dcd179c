"""Cart: kept in the database, found by a cookie token for guests or by the user."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bookstore.catalog.models import Edition
from bookstore.dbtypes import UTCDateTime, utcnow
from bookstore.extensions import Model


class Cart(Model):
    __tablename__ = "carts"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Random, URL-safe; the guest's signed cookie carries it.
    token: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, index=True
    )
    # A year of membership (bookstore.members), priced from MEMBERSHIP_PRICE_CENTS at checkout.
    membership: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # A year of membership given to someone else (bookstore.gifts): "" for none.
    gift_email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    gift_name: Mapped[str] = mapped_column(String(120), default="", server_default="")
    gift_message: Mapped[str] = mapped_column(String(500), default="", server_default="")
    # A guest's address for one cart reminder, given with consent at checkout (bookstore.alerts).
    reminder_email: Mapped[str | None] = mapped_column(String(254))
    # When the reminder went; a new one only for lines all added after it.
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    lines: Mapped[list[CartLine]] = relationship(
        back_populates="cart", order_by="CartLine.id", cascade="all, delete-orphan"
    )


class CartLine(Model):
    __tablename__ = "cart_lines"
    __table_args__ = (
        UniqueConstraint("cart_id", "edition_id", name="uq_cart_lines_cart_id_edition_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cart_id: Mapped[int] = mapped_column(ForeignKey("carts.id", ondelete="CASCADE"), index=True)
    edition_id: Mapped[int] = mapped_column(
        ForeignKey("editions.id", ondelete="CASCADE"), index=True
    )
    quantity: Mapped[int] = mapped_column(Integer)
    # The price when the line was added, so the cart can say when it has changed.
    price_seen_cents: Mapped[int] = mapped_column(Integer)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    cart: Mapped[Cart] = relationship(back_populates="lines")
    edition: Mapped[Edition] = relationship()
