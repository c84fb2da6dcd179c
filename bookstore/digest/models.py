"""Digest subscribers (double opt-in) and the record of each weekly delivery."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bookstore.dbtypes import UTCDateTime, str_enum, utcnow
from bookstore.extensions import db


class SubscriberStatus(enum.StrEnum):
    PENDING = "pending"  # signed up, confirmation link not followed yet: never emailed a digest
    CONFIRMED = "confirmed"
    UNSUBSCRIBED = "unsubscribed"


class DeliveryState(enum.StrEnum):
    SENDING = "sending"  # claimed; if the sender crashed here, the copy is never sent again
    SENT = "sent"


def new_token() -> str:
    """A random, URL-safe token for one-click unsubscribe links."""
    return secrets.token_urlsafe(32)


class Subscriber(db.Model):
    __tablename__ = "digest_subscribers"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased, so one row per address.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    status: Mapped[SubscriberStatus] = mapped_column(
        str_enum(SubscriberStatus, "subscriber_status"),
        default=SubscriberStatus.PENDING,
        index=True,
    )
    unsubscribe_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmation_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<Subscriber {self.id} {self.status}>"


class DigestDelivery(db.Model):
    """One subscriber's copy of one week's digest: claimed before sending, so at most once."""

    __tablename__ = "digest_deliveries"
    __table_args__ = (
        UniqueConstraint("subscriber_id", "week", name="uq_digest_deliveries_subscriber_id_week"),
        CheckConstraint("length(week) = 8", name="week_format"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(
        ForeignKey("digest_subscribers.id", ondelete="CASCADE")
    )
    # ISO week, 'YYYY-Www'.
    week: Mapped[str] = mapped_column(String(8), index=True)
    state: Mapped[DeliveryState] = mapped_column(
        str_enum(DeliveryState, "delivery_state"), default=DeliveryState.SENDING
    )
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    subscriber: Mapped[Subscriber] = relationship()
