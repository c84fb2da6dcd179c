"""The audit log: who changed what in the back office, with the before and after."""

from __future__ import annotations

from datetime import datetime

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

from bookstore.accounts.models import User
from bookstore.catalog.models import Edition
from bookstore.dbtypes import UTCDateTime, utcnow
from bookstore.extensions import db


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # A dotted verb such as "edition.update" or "order.refund".
    action: Mapped[str] = mapped_column(String(60), index=True)
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(String(300), default="")
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    actor: Mapped[User | None] = relationship()


class Shipment(db.Model):
    """How and when an order's parcel left: carrier and tracking number for the customer."""

    __tablename__ = "shipments"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    carrier: Mapped[str] = mapped_column(String(60))
    tracking_number: Mapped[str] = mapped_column(String(100), default="")
    shipped_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    shipped_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Refund(db.Model):
    """A refund made by staff through Stripe, with the lines (and copies) it covered."""

    __tablename__ = "refunds"
    __table_args__ = (CheckConstraint("amount_cents > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    stripe_refund_id: Mapped[str] = mapped_column(String(255), unique=True)
    amount_cents: Mapped[int] = mapped_column(Integer)
    # {order line id: copies refunded}; empty for a whole-order refund of the remainder.
    lines: Mapped[dict] = mapped_column(JSON, default=dict)
    restocked: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(String(300), default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StockBatch(db.Model):
    """A delivery received or a stock count, recorded at once as entries of the stock ledger."""

    __tablename__ = "stock_batches"
    __table_args__ = (CheckConstraint("kind IN ('delivery', 'count')", name="kind_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # "delivery": copies received; "count": copies counted on the shelves.
    kind: Mapped[str] = mapped_column(String(10))
    supplier: Mapped[str] = mapped_column(String(200), default="")
    # The supplier's delivery note or invoice number, or the count's own label.
    reference: Mapped[str] = mapped_column(String(100), default="")
    note: Mapped[str] = mapped_column(String(500), default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    actor: Mapped[User | None] = relationship()
    lines: Mapped[list[StockBatchLine]] = relationship(
        back_populates="batch", order_by="StockBatchLine.id", cascade="all, delete-orphan"
    )

    @property
    def copies(self) -> int:
        return sum(line.quantity for line in self.lines)


class StockBatchLine(db.Model):
    """One edition of a batch: copies received or counted, and the ledger entry it made."""

    __tablename__ = "stock_batch_lines"
    __table_args__ = (
        UniqueConstraint("batch_id", "edition_id", name="uq_stock_batch_lines_batch_edition"),
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("stock_batches.id", ondelete="CASCADE"), index=True
    )
    edition_id: Mapped[int] = mapped_column(
        ForeignKey("editions.id", ondelete="CASCADE"), index=True
    )
    # Copies received (a delivery) or counted (a count).
    quantity: Mapped[int] = mapped_column(Integer)
    # The change in copies on hand: the quantity for a delivery, counted minus expected for a
    # count (zero when the shelf matched, and then no ledger entry is written).
    delta: Mapped[int] = mapped_column(Integer)
    movement_id: Mapped[int | None] = mapped_column(
        ForeignKey("stock_movements.id", ondelete="SET NULL")
    )

    batch: Mapped[StockBatch] = relationship(back_populates="lines")
    edition: Mapped[Edition] = relationship()
