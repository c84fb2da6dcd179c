"""Gift options of an order, the staff's gift settings, and gift memberships to claim."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bookstore.dbtypes import UTCDateTime, utcnow
from bookstore.extensions import Model


class GiftSettings(Model):
    """The staff's gift settings: one row (id 1); until it exists the defaults apply."""

    __tablename__ = "gift_settings"
    __table_args__ = (CheckConstraint("wrap_cents >= 0", name="wrap_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    wrap_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    wrap_cents: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class OrderGift(Model):
    """An order sent as a gift: the message for the packing slip, wrapping (at the price of
    the day) and who gets the gift receipt."""

    __tablename__ = "order_gifts"
    __table_args__ = (CheckConstraint("wrap_cents >= 0", name="wrap_not_negative"),)

    order_id: Mapped[int] = mapped_column(
        ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True
    )
    from_name: Mapped[str] = mapped_column(String(120), default="")
    message: Mapped[str] = mapped_column(String(500), default="")
    wrap: Mapped[bool] = mapped_column(Boolean, default=False)
    # What the wrapping cost in this order (0 without wrapping).
    wrap_cents: Mapped[int] = mapped_column(Integer, default=0)
    # The recipient's address for the gift receipt (sent when the parcel ships); "" for none.
    receipt_email: Mapped[str] = mapped_column(String(254), default="")


class GiftMembership(Model):
    """A year of membership bought for someone else, claimed through an emailed link.

    The link's token is random and only its hash is kept; the claim is one conditional
    UPDATE (``claimed_at IS NULL AND expires_at > now``), so a link works once.
    """

    __tablename__ = "gift_memberships"
    __table_args__ = (CheckConstraint("price_cents >= 0", name="price_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    buyer_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    buyer_email: Mapped[str] = mapped_column(String(254))
    recipient_email: Mapped[str] = mapped_column(String(254), index=True)
    recipient_name: Mapped[str] = mapped_column(String(120), default="")
    message: Mapped[str] = mapped_column(String(500), default="")
    price_cents: Mapped[int] = mapped_column(Integer)
    # Set when the order is paid (and anew when staff resend the link).
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when the order is refunded before the gift was claimed.
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    membership_id: Mapped[int | None] = mapped_column(
        ForeignKey("memberships.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def state(self, now: datetime) -> str:
        """awaiting payment, sent, claimed, expired or cancelled (for pages and staff)."""
        if self.claimed_at is not None:
            return "claimed"
        if self.voided_at is not None:
            return "cancelled"
        if self.token_hash is None or self.expires_at is None:
            return "awaiting payment"
        if self.expires_at <= now:
            return "expired"
        return "sent"
