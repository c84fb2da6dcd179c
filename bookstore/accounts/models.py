"""Accounts: users and their roles."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Enum, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bookstore.dbtypes import UTCDateTime, utcnow
from bookstore.extensions import db


class Role(enum.StrEnum):
    CUSTOMER = "customer"
    STAFF = "staff"
    ADMIN = "admin"


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased; unique, so one account per address.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(
        Enum(
            Role,
            name="user_role",
            native_enum=False,
            create_constraint=True,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=Role.CUSTOMER,
    )
    # Bumped on logout and password change: sessions carrying an older value end.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the reader proved they read ``email`` (bookstore.accounts.confirming); NULL until
    # then, and again after a change of address.
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.STAFF, Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def get_id(self) -> str:
        # Flask-Login stores this in the session; the version makes old sessions invalid.
        return f"{self.id}:{self.session_version}"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"
