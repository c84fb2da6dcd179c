"""Promotion codes and the uses shoppers make of them."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bookstore.catalog.models import Edition, Format, Subject
from bookstore.checkout.models import Order
from bookstore.dbtypes import UTCDateTime, str_enum, utcnow
from bookstore.deals.pricing import offer_label
from bookstore.extensions import Model, db


class CodeKind(enum.StrEnum):
    PERCENT_OFF = "percent_off"  # value in basis points: 1000 is 10 %
    AMOUNT_OFF = "amount_off"  # value in cents, off the covered books once per order

    @property
    def label(self) -> str:
        return {"percent_off": "Percent off", "amount_off": "Amount off"}[self.value]


class CodeScope(enum.StrEnum):
    ALL = "all"
    SUBJECTS = "subjects"
    FORMATS = "formats"
    EDITIONS = "editions"

    @property
    def label(self) -> str:
        return {
            "all": "Every book",
            "subjects": "Books on given subjects",
            "formats": "Given formats",
            "editions": "Given editions",
        }[self.value]


class UseLimit(enum.StrEnum):
    """How often one shopper may use a code."""

    NONE = "none"  # no limit per shopper (only the total)
    CUSTOMER = "customer"  # once per account: the shopper must be logged in
    EMAIL = "email"  # once per receipt email address (guests too)

    @property
    def label(self) -> str:
        return {
            "none": "No limit per shopper",
            "customer": "Once per customer account",
            "email": "Once per email address",
        }[self.value]


class UseState(enum.StrEnum):
    RESERVED = "reserved"  # on an order waiting for payment
    REDEEMED = "redeemed"  # the order was paid: used
    RELEASED = "released"  # the order was cancelled or expired unpaid: the use came back


promo_code_editions = Table(
    "promo_code_editions",
    db.metadata,
    Column("promo_code_id", ForeignKey("promo_codes.id", ondelete="CASCADE"), primary_key=True),
    Column("edition_id", ForeignKey("editions.id", ondelete="CASCADE"), primary_key=True),
)

promo_code_subjects = Table(
    "promo_code_subjects",
    db.metadata,
    Column("promo_code_id", ForeignKey("promo_codes.id", ondelete="CASCADE"), primary_key=True),
    Column("subject_id", ForeignKey("subjects.id", ondelete="CASCADE"), primary_key=True),
)


class PromoCodeFormat(Model):
    """A format a formats-scoped code applies to."""

    __tablename__ = "promo_code_formats"

    promo_code_id: Mapped[int] = mapped_column(
        ForeignKey("promo_codes.id", ondelete="CASCADE"), primary_key=True
    )
    format: Mapped[Format] = mapped_column(str_enum(Format, "promo_code_format"), primary_key=True)


class PromoCode(Model):
    """A code shoppers type at checkout, valid from ``starts_at`` until (not including)
    ``ends_at``; ``code`` is stored upper-case, without spaces."""

    __tablename__ = "promo_codes"
    __table_args__ = (
        CheckConstraint("value > 0", name="value_positive"),
        CheckConstraint("kind <> 'percent_off' OR value <= 10000", name="percent_at_most_hundred"),
        CheckConstraint("min_order_cents >= 0", name="min_order_not_negative"),
        CheckConstraint("ends_at IS NULL OR ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("total_uses IS NULL OR total_uses > 0", name="total_uses_positive"),
        # Backs the conditional UPDATE in reserve_use: a limited code is never over-used.
        CheckConstraint("remaining_uses >= 0", name="remaining_not_negative"),
        CheckConstraint("remaining_uses <= total_uses", name="remaining_within_total"),
        CheckConstraint(
            "(total_uses IS NULL) = (remaining_uses IS NULL)", name="limited_has_remaining"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    description: Mapped[str] = mapped_column(String(300), default="")
    kind: Mapped[CodeKind] = mapped_column(str_enum(CodeKind, "promo_code_kind"))
    # Basis points for percent_off, cents for amount_off.
    value: Mapped[int] = mapped_column(Integer)
    scope: Mapped[CodeScope] = mapped_column(str_enum(CodeScope, "promo_code_scope"))
    min_order_cents: Mapped[int] = mapped_column(Integer, default=0)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # None: unlimited. Otherwise remaining_uses counts down (reserved or redeemed uses).
    total_uses: Mapped[int | None] = mapped_column(Integer)
    remaining_uses: Mapped[int | None] = mapped_column(Integer)
    use_limit: Mapped[UseLimit] = mapped_column(
        str_enum(UseLimit, "promo_use_limit"), default=UseLimit.NONE
    )
    first_order_only: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    editions: Mapped[list[Edition]] = relationship(secondary=promo_code_editions)
    subjects: Mapped[list[Subject]] = relationship(secondary=promo_code_subjects)
    format_rows: Mapped[list[PromoCodeFormat]] = relationship(cascade="all, delete-orphan")

    @property
    def formats(self) -> list[Format]:
        return [row.format for row in self.format_rows]

    @property
    def is_limited(self) -> bool:
        return self.total_uses is not None

    @property
    def offer_label(self) -> str:
        return offer_label(self.kind.value, self.value)

    def status(self, now: datetime) -> str:
        """Active, Disabled, Upcoming, Ended or Used up, for staff lists."""
        if not self.active:
            return "Disabled"
        if now < self.starts_at:
            return "Upcoming"
        if self.ends_at is not None and now >= self.ends_at:
            return "Ended"
        if self.remaining_uses == 0:
            return "Used up"
        return "Active"

    def __repr__(self) -> str:
        return f"<PromoCode {self.code}>"


class PromoCodeUse(Model):
    """One use of a code on one order. ``shopper_key`` is unique per code while the use
    counts ("user:<id>", "email:<address>", or "order:<id>" for codes without a per-shopper
    limit); a released use sets it to NULL, which frees the shopper to use the code again."""

    __tablename__ = "promo_code_uses"
    __table_args__ = (
        UniqueConstraint(
            "promo_code_id", "shopper_key", name="uq_promo_code_uses_promo_code_id_shopper_key"
        ),
        UniqueConstraint("order_id", name="uq_promo_code_uses_order_id"),
        CheckConstraint("discount_cents >= 0", name="discount_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    promo_code_id: Mapped[int] = mapped_column(
        ForeignKey("promo_codes.id", ondelete="RESTRICT"), index=True
    )
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    shopper_key: Mapped[str | None] = mapped_column(String(280))
    email: Mapped[str] = mapped_column(String(254))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    state: Mapped[UseState] = mapped_column(
        str_enum(UseState, "promo_use_state"), default=UseState.RESERVED
    )
    discount_cents: Mapped[int] = mapped_column(Integer)
    # {order line id: cents off that line}, for Stripe's line items and refunds.
    line_discounts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    reserved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    redeemed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    promo_code: Mapped[PromoCode] = relationship()
    order: Mapped[Order] = relationship()
