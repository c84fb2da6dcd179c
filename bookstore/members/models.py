"""Membership terms: one row per purchase or grant, so the history is kept."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bookstore.accounts.models import User
from bookstore.dbtypes import UTCDateTime, utcnow
from bookstore.extensions import db


class MembershipSource(enum.StrEnum):
    PURCHASE = "purchase"
    GRANT = "grant"


class Membership(db.Model):
    """A term of membership: the user is a member while ``starts_at <= now < ends_at``."""

    __tablename__ = "memberships"
    __table_args__ = (CheckConstraint("ends_at >= starts_at", name="ends_not_before_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    source: Mapped[MembershipSource] = mapped_column(
        Enum(
            MembershipSource,
            name="membership_source",
            native_enum=False,
            create_constraint=True,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    reason: Mapped[str] = mapped_column(String(500), default="")
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The paid order that bought this term (None for grants).
    order_id: Mapped[int | None] = mapped_column(
        ForeignKey("orders.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when staff end the term early; ends_at then holds the time it ended.
    ended_early_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str] = mapped_column(String(500), default="")
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    granted_by: Mapped[User | None] = relationship(foreign_keys=[granted_by_id])

    def is_active(self, now: datetime) -> bool:
        """True while ``now`` falls inside the term."""
        return self.starts_at <= now < self.ends_at

    def __repr__(self) -> str:
        return (
            f"<Membership user={self.user_id} {self.starts_at:%Y-%m-%d}..{self.ends_at:%Y-%m-%d}>"
        )


class OrderMembership(db.Model):
    """An order that buys a year of membership; paying it starts or extends the term."""

    __tablename__ = "order_memberships"
    __table_args__ = (CheckConstraint("price_cents >= 0", name="price_not_negative"),)

    order_id: Mapped[int] = mapped_column(
        ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    price_cents: Mapped[int]
    # The term the payment bought, once paid.
    membership_id: Mapped[int | None] = mapped_column(
        ForeignKey("memberships.id", ondelete="SET NULL")
    )
