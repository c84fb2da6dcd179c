"""The shop's clock: times are stored in UTC, shown and entered in the shop's time zone.

The zone is ``SHOP_TIMEZONE`` (default America/New_York: the publisher is in Vermont).
Templates use the ``shop_time`` filter (``{{ order.created_at|shop_time('%b %-d, %Y') }}``);
forms that take a date and time read it with ``from_shop_time``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask, current_app

DEFAULT_TIMEZONE = "America/New_York"


def zone_named(name: str | None) -> ZoneInfo:
    """The ZoneInfo for ``name``; RuntimeError naming the setting for an unknown zone."""
    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        raise RuntimeError(f"SHOP_TIMEZONE {name!r} is not a known time zone") from None


def shop_zone() -> ZoneInfo:
    """The shop's time zone, from the app's settings."""
    return zone_named(current_app.config.get("SHOP_TIMEZONE"))


def to_shop_time(moment: datetime) -> datetime:
    """A stored (UTC) time as the shop's local time; naive values are taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(shop_zone())


def from_shop_time(local: datetime) -> datetime:
    """A time entered in the shop's zone (naive, or aware) as an aware UTC time to store."""
    if local.tzinfo is None:
        local = local.replace(tzinfo=shop_zone())
    return local.astimezone(UTC)


def shop_today(now: datetime | None = None) -> date:
    """Today's date where the shop is."""
    return to_shop_time(now or datetime.now(UTC)).date()


def format_shop_time(moment: datetime | None, fmt: str = "%b %-d, %Y %-I:%M %p %Z") -> str:
    """A stored time formatted in the shop's zone (empty for None)."""
    if moment is None:
        return ""
    return to_shop_time(moment).strftime(fmt)


def init_app(app: Flask) -> None:
    """Check the configured zone now, and give templates the ``shop_time`` filter."""
    zone_named(app.config.get("SHOP_TIMEZONE"))
    app.jinja_env.filters["shop_time"] = format_shop_time
