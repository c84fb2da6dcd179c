"""A shopper's saved shipping addresses."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from bookstore.dbtypes import UTCDateTime, utcnow
from bookstore.extensions import Model

ADDRESS_FIELDS = ("name", "line1", "line2", "city", "region", "postal_code", "country")


class SavedAddress(Model):
    """One address of a signed-in shopper; at most one is the default (a partial unique index)."""

    __tablename__ = "saved_addresses"
    __table_args__ = (
        Index(
            "uq_saved_addresses_one_default",
            "user_id",
            unique=True,
            sqlite_where=text("is_default"),
            postgresql_where=text("is_default"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    line1: Mapped[str] = mapped_column(String(200))
    line2: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(100))
    region: Mapped[str] = mapped_column(String(100), default="")
    postal_code: Mapped[str] = mapped_column(String(20))
    country: Mapped[str] = mapped_column(String(2))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def values(self) -> dict[str, str]:
        """The address as plain values (field name -> text)."""
        return {name: getattr(self, name) for name in ADDRESS_FIELDS}

    @property
    def one_line(self) -> str:
        parts = [self.name, self.line1, self.line2, self.city, self.region, self.postal_code]
        return ", ".join(p for p in [*parts, self.country] if p)
