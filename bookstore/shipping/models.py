"""What staff charge to post an order's printed books to another country."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bookstore.dbtypes import UTCDateTime, utcnow
from bookstore.extensions import Model


class ShippingRate(Model):
    """Shipping to ``country`` (two letters), or to every country abroad that has no rate of
    its own (``country`` ""). The shop's own country is priced by the SHIPPING_* settings."""

    __tablename__ = "shipping_rates"
    __table_args__ = (
        CheckConstraint(
            "standard_cents >= 0 AND extra_copy_cents >= 0 AND "
            "(express_cents IS NULL OR express_cents >= 0) AND "
            "(free_over_cents IS NULL OR free_over_cents >= 0)",
            name="amounts_not_negative",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    country: Mapped[str] = mapped_column(String(2), unique=True)
    # Standard shipping for the first printed copy, and for each copy after it.
    standard_cents: Mapped[int] = mapped_column(Integer)
    extra_copy_cents: Mapped[int] = mapped_column(Integer, default=0)
    # Express for the first copy (each copy after it adds extra_copy_cents); None: not offered.
    express_cents: Mapped[int | None] = mapped_column(Integer)
    # Books worth this much or more ship free by standard shipping; None: never free.
    free_over_cents: Mapped[int | None] = mapped_column(Integer)
    # Business days in transit ("7-12"), for the delivery date checkout promises; "": none.
    standard_days: Mapped[str] = mapped_column(String(7), default="")
    express_days: Mapped[str] = mapped_column(String(7), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    def __repr__(self) -> str:
        return f"<ShippingRate {self.country or '*'} {self.standard_cents}>"
