"""The sales tax rates staff keep: one per country, or per state or province of it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bookstore.dbtypes import UTCDateTime, utcnow
from bookstore.extensions import Model

# Rates are whole thousandths of a percent: 6% is 6000, 8.875% is 8875.
RATE_SCALE = 100_000


class TaxRate(Model):
    """Sales tax charged on orders shipped to ``country`` (two letters) and ``region`` (a
    state's or province's code as the address gives it, normalised; "" for the whole
    country when no region's own rate is set)."""

    __tablename__ = "tax_rates"
    __table_args__ = (
        UniqueConstraint("country", "region", name="uq_tax_rates_country_region"),
        CheckConstraint("rate > 0 AND rate <= 30000", name="rate_in_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    country: Mapped[str] = mapped_column(String(2))
    region: Mapped[str] = mapped_column(String(100), default="")
    name: Mapped[str] = mapped_column(String(80))
    rate: Mapped[int] = mapped_column(Integer)
    # Whether shipping and ebooks are taxed there as well as printed books (and their wrap).
    taxes_shipping: Mapped[bool] = mapped_column(Boolean, default=True)
    taxes_ebooks: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    def __repr__(self) -> str:
        return f"<TaxRate {self.country}/{self.region or '*'} {self.rate}>"


class TaxRefund(Model):
    """Sales tax given back with a refund of an order, dated: a month's tax figures take the
    refunds made in it off the tax charged in it, as returns do."""

    __tablename__ = "tax_refunds"
    __table_args__ = (
        CheckConstraint("cents > 0", name="cents_positive"),
        # One row per refund of the order, named by the order's refunded total after it: the
        # staff refund and Stripe's webhook telling of it record the same one.
        UniqueConstraint("order_id", "refunded_to_cents", name="uq_tax_refunds_order_step"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    refunded_to_cents: Mapped[int] = mapped_column(Integer)
    cents: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
