"""A hold: copies of one edition kept for one checkout until a time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bookstore.dbtypes import UTCDateTime, utcnow
from bookstore.extensions import Model


class StockHold(Model):
    """Copies of a physical edition held for an unpaid checkout (counted in ``reserved``)."""

    __tablename__ = "stock_holds"
    __table_args__ = (
        UniqueConstraint("order_id", "edition_id", name="uq_stock_holds_order_id_edition_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The checkout the copies are held for (an order id; the string FK keeps this package
    # free of checkout's models).
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    # The cart that checkout came from: its own hold counts as free to that cart.
    cart_id: Mapped[int | None] = mapped_column(
        ForeignKey("carts.id", ondelete="SET NULL"), index=True
    )
    edition_id: Mapped[int] = mapped_column(
        ForeignKey("editions.id", ondelete="CASCADE"), index=True
    )
    quantity: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
