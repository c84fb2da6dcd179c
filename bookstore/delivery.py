"""Delivery dates: "Arrives by Tue, Dec 15" for each shipping method.

Counted in business days in the shop's time zone: weekends never count, nor the holidays of
``SHIPPING_HOLIDAYS`` (a country code for the ``holidays`` library, default ``US``: the
federal holidays; empty for weekends only). An order placed on a business day before
``SHIPPING_CUTOFF_HOUR`` (shop time) leaves that day, any later one on the next business day;
a method taking "5-8" business days then arrives by the 8th business day after that.

The pure functions take every input explicitly; ``delivery_promises`` reads the app's settings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays as holiday_calendars
from flask import Flask, current_app

from bookstore.shoptime import zone_named

DATE_FORMAT = "%a, %b %-d"  # Tue, Dec 15
METHOD_NAMES = {"standard": "Standard", "express": "Express"}
DEFAULT_DAYS = {"standard": "5-8", "express": "2-3"}

BusinessDay = Callable[[date], bool]


@dataclass(frozen=True)
class DeliveryPromise:
    """One shipping method's promise for an order placed now."""

    method: str
    name: str
    min_days: int
    max_days: int
    arrives_by: date

    @property
    def arrives_by_label(self) -> str:
        """``Tue, Dec 15``."""
        return self.arrives_by.strftime(DATE_FORMAT)

    @property
    def days_label(self) -> str:
        """``5 to 8 business days`` (or ``2 business days`` when the range is one day)."""
        if self.min_days == self.max_days:
            return f"{self.max_days} business day{'s' if self.max_days != 1 else ''}"
        return f"{self.min_days} to {self.max_days} business days"


def parse_day_range(raw: str) -> tuple[int, int]:
    """``"5-8"`` -> (5, 8), ``"3"`` -> (3, 3); ValueError for anything else."""
    low, _, high = str(raw).strip().partition("-")
    try:
        first, last = int(low), int(high or low)
    except ValueError:
        raise ValueError(f"not a range of business days: {raw!r}") from None
    if first < 0 or last < first:
        raise ValueError(f"not a range of business days: {raw!r}")
    return first, last


@lru_cache(maxsize=8)
def _calendar(country: str):
    return holiday_calendars.country_holidays(country) if country else None


def business_day_rule(country: str = "US") -> BusinessDay:
    """A test for business days: not Saturday or Sunday, not a holiday of ``country``."""
    calendar = _calendar(country.strip().upper())

    def is_business_day(day: date) -> bool:
        return day.weekday() < 5 and (calendar is None or day not in calendar)

    return is_business_day


def next_business_day(day: date, is_business_day: BusinessDay) -> date:
    """The first business day after ``day``."""
    day += timedelta(days=1)
    while not is_business_day(day):
        day += timedelta(days=1)
    return day


def dispatch_day(local_now: datetime, cutoff_hour: int, is_business_day: BusinessDay) -> date:
    """The day an order placed at ``local_now`` (shop time) leaves the warehouse."""
    today = local_now.date()
    if is_business_day(today) and local_now.hour < cutoff_hour:
        return today
    return next_business_day(today, is_business_day)


def add_business_days(start: date, days: int, is_business_day: BusinessDay) -> date:
    """The ``days``-th business day after ``start`` (``start`` itself for 0)."""
    day = start
    for _ in range(days):
        day = next_business_day(day, is_business_day)
    return day


def arrives_by(
    now: datetime,
    max_days: int,
    *,
    zone: ZoneInfo,
    cutoff_hour: int,
    is_business_day: BusinessDay,
) -> date:
    """The latest day an order placed at ``now`` (aware) arrives, ``max_days`` in transit."""
    local_now = now.astimezone(zone)
    leaves = dispatch_day(local_now, cutoff_hour, is_business_day)
    return add_business_days(leaves, max_days, is_business_day)


def promise_changes_at(now: datetime, *, zone: ZoneInfo, cutoff_hour: int) -> datetime:
    """The next moment (UTC) any promise can change: today's cut-off, else the next midnight."""
    local_now = now.astimezone(zone)
    cutoff = datetime.combine(local_now.date(), time(cutoff_hour), tzinfo=zone)
    if local_now < cutoff:
        return cutoff.astimezone(UTC)
    midnight = datetime.combine(local_now.date() + timedelta(days=1), time(0), tzinfo=zone)
    return midnight.astimezone(UTC)


def promises(
    now: datetime,
    methods: Iterable[tuple[str, str]],
    *,
    zone: ZoneInfo,
    cutoff_hour: int,
    is_business_day: BusinessDay,
) -> list[DeliveryPromise]:
    """A promise for each ``(method, "min-max")`` pair, for an order placed at ``now``."""
    found = []
    for method, days in methods:
        low, high = parse_day_range(days)
        found.append(
            DeliveryPromise(
                method=method,
                name=METHOD_NAMES.get(method, method.title()),
                min_days=low,
                max_days=high,
                arrives_by=arrives_by(
                    now,
                    high,
                    zone=zone,
                    cutoff_hour=cutoff_hour,
                    is_business_day=is_business_day,
                ),
            )
        )
    return found


# -- The app's settings -------------------------------------------------------------------------


def _settings(config) -> dict:
    return {
        "zone": zone_named(config.get("SHOP_TIMEZONE")),
        "cutoff_hour": int(config.get("SHIPPING_CUTOFF_HOUR", 14)),
        "is_business_day": business_day_rule(config.get("SHIPPING_HOLIDAYS", "US") or ""),
    }


def _methods(config) -> list[tuple[str, str]]:
    return [
        ("standard", config.get("SHIPPING_STANDARD_DAYS") or DEFAULT_DAYS["standard"]),
        ("express", config.get("SHIPPING_EXPRESS_DAYS") or DEFAULT_DAYS["express"]),
    ]


def delivery_promises(
    now: datetime | None = None, config=None, *, days: dict[str, str] | None = None
) -> dict[str, DeliveryPromise]:
    """Each shipping method's promise for an order placed now, by method: in transit as the
    settings say, or as ``days`` says ({"standard": "7-12"}: a parcel abroad)."""
    config = config if config is not None else current_app.config
    now = now or datetime.now(UTC)
    methods = _methods(config) if days is None else list(days.items())
    found = promises(now, methods, **_settings(config))
    return {promise.method: promise for promise in found}


def cutoff_label(config=None) -> str:
    """``2 PM ET``-style wording of the same-day cut-off, in the shop's zone."""
    config = config if config is not None else current_app.config
    settings = _settings(config)
    today = datetime.now(settings["zone"]).date()
    moment = datetime.combine(today, time(settings["cutoff_hour"]), tzinfo=settings["zone"])
    return moment.strftime("%-I %p %Z")


@dataclass(frozen=True)
class PageDelivery:
    """What a page says about delivery: each method's promise and the cut-off's wording,
    worked out at ``since`` and true until ``until`` (the next cut-off or midnight)."""

    promises: dict[str, DeliveryPromise]
    cutoff: str
    since: datetime
    until: datetime


def page_delivery() -> PageDelivery:
    """The promises and the cut-off for a page. They change only at the cut-off and at
    midnight, and working them out walks the holiday calendar, so the app keeps them until
    then; a cached page showing them is kept no longer."""
    from bookstore import page_cache

    now = datetime.now(UTC)
    kept: PageDelivery | None = current_app.extensions.get("page_delivery")
    if kept is None or not kept.since <= now < kept.until:
        settings = _settings(current_app.config)
        until = promise_changes_at(now, zone=settings["zone"], cutoff_hour=settings["cutoff_hour"])
        kept = PageDelivery(delivery_promises(now), cutoff_label(), now, until)
        current_app.extensions["page_delivery"] = kept
    page_cache.keep_until(kept.until)
    return kept


def check_settings(config) -> None:
    """Refuse day ranges or a cut-off hour that make no sense, naming the setting."""
    for name in ("SHIPPING_STANDARD_DAYS", "SHIPPING_EXPRESS_DAYS"):
        try:
            parse_day_range(config.get(name) or "0")
        except ValueError:
            raise RuntimeError(f"{name} must look like 5-8, not {config.get(name)!r}") from None
    if not 0 <= int(config.get("SHIPPING_CUTOFF_HOUR", 14)) <= 23:
        raise RuntimeError("SHIPPING_CUTOFF_HOUR must be an hour from 0 to 23")
    country = (config.get("SHIPPING_HOLIDAYS") or "").strip()
    if country:
        try:
            _calendar(country.upper())
        except NotImplementedError:
            raise RuntimeError(f"SHIPPING_HOLIDAYS {country!r} is not a known country") from None


def init_app(app: Flask) -> None:
    """Check the settings (pages ask ``page_delivery``; checkout, ``delivery_promises``)."""
    check_settings(app.config)
