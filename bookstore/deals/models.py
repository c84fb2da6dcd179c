"""Member-only deals and the claims members make on them."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
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

from bookstore.accounts.models import User
from bookstore.catalog.models import Book, Edition, Format, Subject
from bookstore.dbtypes import UTCDateTime, str_enum, utcnow
from bookstore.deals.pricing import DealTerms, offer_label
from bookstore.extensions import Model, db


class DealKind(enum.StrEnum):
    PERCENT_OFF = "percent_off"  # value in basis points: 1500 is 15 %
    AMOUNT_OFF = "amount_off"  # value in cents, off the eligible lines once per order
    FIXED_PRICE = "fixed_price"  # value in cents: each eligible copy costs at most this

    @property
    def label(self) -> str:
        return {
            "percent_off": "Percent off",
            "amount_off": "Amount off",
            "fixed_price": "Fixed price",
        }[self.value]


class DealScope(enum.StrEnum):
    EDITIONS = "editions"
    BOOKS = "books"
    SUBJECTS = "subjects"
    FORMATS = "formats"
    ORDER = "order"


class ClaimState(enum.StrEnum):
    CLAIMED = "claimed"  # the member holds it, unused
    APPLIED = "applied"  # attached to an order awaiting payment
    REDEEMED = "redeemed"  # the order was paid: used up
    RELEASED = "released"  # the order was cancelled or expired: usable again

    @property
    def is_usable(self) -> bool:
        return self in (ClaimState.CLAIMED, ClaimState.RELEASED)


deal_editions = Table(
    "deal_editions",
    db.metadata,
    Column("deal_id", ForeignKey("deals.id", ondelete="CASCADE"), primary_key=True),
    Column("edition_id", ForeignKey("editions.id", ondelete="CASCADE"), primary_key=True),
)

deal_books = Table(
    "deal_books",
    db.metadata,
    Column("deal_id", ForeignKey("deals.id", ondelete="CASCADE"), primary_key=True),
    Column("book_id", ForeignKey("books.id", ondelete="CASCADE"), primary_key=True),
)

deal_subjects = Table(
    "deal_subjects",
    db.metadata,
    Column("deal_id", ForeignKey("deals.id", ondelete="CASCADE"), primary_key=True),
    Column("subject_id", ForeignKey("subjects.id", ondelete="CASCADE"), primary_key=True),
)


class DealFormat(Model):
    """A format a formats-scoped deal applies to."""

    __tablename__ = "deal_formats"

    deal_id: Mapped[int] = mapped_column(
        ForeignKey("deals.id", ondelete="CASCADE"), primary_key=True
    )
    format: Mapped[Format] = mapped_column(str_enum(Format, "deal_format"), primary_key=True)


class Deal(Model):
    """A member-only offer, open from ``starts_at`` until (not including) ``ends_at``."""

    __tablename__ = "deals"
    __table_args__ = (
        CheckConstraint("value > 0", name="value_positive"),
        CheckConstraint("kind <> 'percent_off' OR value <= 10000", name="percent_at_most_hundred"),
        CheckConstraint("min_order_cents >= 0", name="min_order_not_negative"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("total_claims IS NULL OR total_claims > 0", name="total_claims_positive"),
        # Backs the conditional UPDATE in claim_deal: a limited deal is never over-claimed.
        CheckConstraint("remaining_claims >= 0", name="remaining_not_negative"),
        CheckConstraint("remaining_claims <= total_claims", name="remaining_within_total"),
        CheckConstraint(
            "(total_claims IS NULL) = (remaining_claims IS NULL)", name="limited_has_remaining"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(220), unique=True)
    description: Mapped[str] = mapped_column(String(500), default="")
    kind: Mapped[DealKind] = mapped_column(str_enum(DealKind, "deal_kind"))
    # Basis points for percent_off, cents otherwise.
    value: Mapped[int] = mapped_column(Integer)
    scope: Mapped[DealScope] = mapped_column(str_enum(DealScope, "deal_scope"))
    min_order_cents: Mapped[int] = mapped_column(Integer, default=0)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # None: unlimited. Otherwise remaining_claims counts down with one conditional UPDATE.
    total_claims: Mapped[int | None] = mapped_column(Integer)
    remaining_claims: Mapped[int | None] = mapped_column(Integer)
    stacks_with_others: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    editions: Mapped[list[Edition]] = relationship(secondary=deal_editions)
    books: Mapped[list[Book]] = relationship(secondary=deal_books)
    subjects: Mapped[list[Subject]] = relationship(secondary=deal_subjects)
    format_rows: Mapped[list[DealFormat]] = relationship(cascade="all, delete-orphan")

    @property
    def formats(self) -> list[Format]:
        return [row.format for row in self.format_rows]

    @property
    def is_limited(self) -> bool:
        return self.total_claims is not None

    def is_open(self, now: datetime) -> bool:
        """True inside the deal's time window."""
        return self.starts_at <= now < self.ends_at

    @property
    def offer_label(self) -> str:
        return offer_label(self.kind.value, self.value)

    def terms(self) -> DealTerms:
        """The plain values that pricing works with."""
        return DealTerms(
            id=self.id,
            title=self.title,
            kind=self.kind.value,
            value=self.value,
            scope=self.scope.value,
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            min_order_cents=self.min_order_cents,
            stacks_with_others=self.stacks_with_others,
            edition_ids=frozenset(e.id for e in self.editions),
            book_ids=frozenset(b.id for b in self.books),
            subject_ids=frozenset(s.id for s in self.subjects),
            formats=frozenset(f.value for f in self.formats),
        )

    def __repr__(self) -> str:
        return f"<Deal {self.slug}>"


class DealClaim(Model):
    """A member's claim on a deal: one per (deal, member), enforced by the database."""

    __tablename__ = "deal_claims"
    __table_args__ = (
        UniqueConstraint("deal_id", "user_id", name="uq_deal_claims_deal_id_user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    state: Mapped[ClaimState] = mapped_column(
        str_enum(ClaimState, "claim_state"), default=ClaimState.CLAIMED
    )
    # The order the claim is applied to or was redeemed on.
    order_id: Mapped[int | None] = mapped_column(
        ForeignKey("orders.id", ondelete="SET NULL"), index=True
    )
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    redeemed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    deal: Mapped[Deal] = relationship()
    user: Mapped[User] = relationship()


class CartDealChoice(Model):
    """A claimed deal the member chose to use on the cart's next order."""

    __tablename__ = "cart_deal_choices"

    cart_id: Mapped[int] = mapped_column(
        ForeignKey("carts.id", ondelete="CASCADE"), primary_key=True
    )
    claim_id: Mapped[int] = mapped_column(
        ForeignKey("deal_claims.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    chosen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    claim: Mapped[DealClaim] = relationship()


class OrderLineDiscount(Model):
    """What a deal took off one order line, computed by the server when the order was placed."""

    __tablename__ = "order_line_discounts"
    __table_args__ = (CheckConstraint("discount_cents > 0", name="discount_positive"),)

    order_line_id: Mapped[int] = mapped_column(
        ForeignKey("order_lines.id", ondelete="CASCADE"), primary_key=True
    )
    deal_id: Mapped[int] = mapped_column(
        ForeignKey("deals.id", ondelete="RESTRICT"), primary_key=True, index=True
    )
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    discount_cents: Mapped[int] = mapped_column(Integer)
