"""Column types shared by the models."""

import enum
from datetime import UTC, date, datetime

from sqlalchemy import DateTime, Enum, String, type_coerce
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def raw_date(column):
    """A date column read as the database gives it, for plain-row reads of many dates (book
    cards, the book page): SQLite's text is then parsed by ``read_date``, in C, instead of by
    SQLAlchemy's regular expression (about 10 us a value)."""
    return type_coerce(column, String)


def read_date(value: date | str | None) -> date | None:
    """A ``raw_date`` value as a date (PostgreSQL gives one already)."""
    return date.fromisoformat(value) if isinstance(value, str) else value


class UTCDateTime(TypeDecorator):
    """A timestamp that is always timezone-aware UTC in Python, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC times")
        value = value.astimezone(UTC)
        # SQLite keeps text: store naive UTC so comparisons sort correctly.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def str_enum(cls: type[enum.Enum], name: str) -> Enum:
    """An enum column stored as a short string with a CHECK, the same on SQLite and PostgreSQL."""
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )
