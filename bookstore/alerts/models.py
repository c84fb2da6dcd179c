"""Availability alerts, and the addresses that want no cart reminders."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bookstore.catalog.models import Edition
from bookstore.dbtypes import UTCDateTime, str_enum, utcnow
from bookstore.extensions import Model


class AlertKind(enum.StrEnum):
    # Asked on a sold-out edition (a preorder with no copies left included): fires when copies
    # are free to order again.
    BACK_IN_STOCK = "back_in_stock"
    # Asked on a preorder: fires when the publication date has come and it can ship.
    PUBLICATION = "publication"


class AlertState(enum.StrEnum):
    PENDING = "pending"  # a guest's, until the confirmation link is followed
    WAITING = "waiting"
    SENT = "sent"  # the one email is queued: the alert has ended
    CANCELLED = "cancelled"


OPEN_STATES = (AlertState.PENDING, AlertState.WAITING)
_OPEN = text("state IN ('pending', 'waiting')")


class StockAlert(Model):
    """One reader (a user, or a guest's address) waiting to hear about one edition."""

    __tablename__ = "stock_alerts"
    __table_args__ = (
        # One open alert per edition and reader: a second sign-up finds the first.
        Index(
            "uq_stock_alerts_open_user",
            "edition_id",
            "user_id",
            unique=True,
            sqlite_where=_OPEN,
            postgresql_where=_OPEN,
        ),
        Index(
            "uq_stock_alerts_open_email",
            "edition_id",
            "email",
            unique=True,
            sqlite_where=_OPEN,
            postgresql_where=_OPEN,
        ),
        Index("ix_stock_alerts_edition_id_state", "edition_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id", ondelete="CASCADE"))
    # A signed-in reader's alert goes to their address at the time it fires.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # A guest's address (lower-cased); None for a user's alert.
    email: Mapped[str | None] = mapped_column(String(254))
    kind: Mapped[AlertKind] = mapped_column(str_enum(AlertKind, "alert_kind"))
    state: Mapped[AlertState] = mapped_column(
        str_enum(AlertState, "alert_state"), default=AlertState.WAITING
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmation_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    edition: Mapped[Edition] = relationship()


class ReminderOptOut(Model):
    """An address that asked for no more cart reminders (one click in a reminder)."""

    __tablename__ = "reminder_opt_outs"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
