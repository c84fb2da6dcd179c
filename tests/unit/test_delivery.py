"""Delivery dates: business days in the shop's zone, weekends, US holidays and the cut-off."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bookstore.delivery import (
    add_business_days,
    arrives_by,
    business_day_rule,
    delivery_promises,
    dispatch_day,
    parse_day_range,
    promise_changes_at,
)

NEW_YORK = ZoneInfo("America/New_York")
US = business_day_rule("US")
WEEKENDS_ONLY = business_day_rule("")


def at(year, month, day, hour, minute=0, zone=NEW_YORK) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=zone)


def test_weekends_and_federal_holidays_are_not_business_days():
    assert US(date(2026, 12, 4))  # a Friday
    assert not US(date(2026, 12, 5))  # Saturday
    assert not US(date(2026, 12, 6))  # Sunday
    assert not US(date(2026, 12, 25))  # Christmas, a Friday
    assert not US(date(2026, 11, 26))  # Thanksgiving
    assert WEEKENDS_ONLY(date(2026, 12, 25))


def test_an_order_before_the_cutoff_leaves_the_same_day():
    assert dispatch_day(at(2026, 12, 7, 13, 59), 14, US) == date(2026, 12, 7)


def test_an_order_after_the_cutoff_leaves_the_next_business_day():
    assert dispatch_day(at(2026, 12, 7, 14, 0), 14, US) == date(2026, 12, 8)
    # Friday afternoon: Monday.
    assert dispatch_day(at(2026, 12, 4, 15), 14, US) == date(2026, 12, 7)


def test_a_weekend_order_leaves_on_monday_whatever_the_hour():
    assert dispatch_day(at(2026, 12, 5, 9), 14, US) == date(2026, 12, 7)


def test_business_days_skip_weekends():
    # Monday Dec 7 + 8 business days: Tue..Fri (4), Mon..Thu (4) -> Thursday Dec 17.
    assert add_business_days(date(2026, 12, 7), 8, US) == date(2026, 12, 17)
    assert add_business_days(date(2026, 12, 7), 0, US) == date(2026, 12, 7)


def test_standard_shipping_arrives_by_the_last_day_of_its_range():
    promise = delivery_promises(
        at(2026, 12, 7, 10),
        {"SHOP_TIMEZONE": "America/New_York", "SHIPPING_CUTOFF_HOUR": 14},
    )
    assert promise["standard"].arrives_by == date(2026, 12, 17)
    assert promise["standard"].arrives_by_label == "Thu, Dec 17"
    assert promise["standard"].days_label == "5 to 8 business days"
    assert promise["express"].arrives_by == date(2026, 12, 10)


def test_christmas_pushes_a_delivery_a_day_later_and_weekends_only_does_not():
    # Monday Dec 21, before the cut-off: 3 business days are Tue 22, Wed 23, Thu 24.
    assert arrives_by(
        at(2026, 12, 21, 9), 3, zone=NEW_YORK, cutoff_hour=14, is_business_day=US
    ) == date(2026, 12, 24)
    # 4 business days: Friday 25 is Christmas, so Monday 28 (Tuesday with weekends only: no).
    assert arrives_by(
        at(2026, 12, 21, 9), 4, zone=NEW_YORK, cutoff_hour=14, is_business_day=US
    ) == date(2026, 12, 28)
    assert arrives_by(
        at(2026, 12, 21, 9), 4, zone=NEW_YORK, cutoff_hour=14, is_business_day=WEEKENDS_ONLY
    ) == date(2026, 12, 25)


def test_the_day_and_hour_are_the_shops_not_utc():
    # 03:00 UTC on Tuesday is still Monday 22:00 in New York: past the cut-off, so it
    # leaves Tuesday; read in UTC it would be Tuesday before the cut-off, leaving Tuesday too,
    # but 18:30 UTC on Monday is 13:30 in New York: before the cut-off, it leaves Monday.
    monday_evening = datetime(2026, 12, 8, 3, 0, tzinfo=UTC)
    assert arrives_by(monday_evening, 2, zone=NEW_YORK, cutoff_hour=14, is_business_day=US) == date(
        2026, 12, 10
    )
    monday_lunch = datetime(2026, 12, 7, 18, 30, tzinfo=UTC)
    assert arrives_by(monday_lunch, 2, zone=NEW_YORK, cutoff_hour=14, is_business_day=US) == date(
        2026, 12, 9
    )
    # In Tokyo 18:30 UTC Monday is already Tuesday 03:30: it leaves Tuesday.
    assert arrives_by(
        monday_lunch, 2, zone=ZoneInfo("Asia/Tokyo"), cutoff_hour=14, is_business_day=US
    ) == date(2026, 12, 10)


def test_a_promise_holds_until_the_cutoff_then_until_midnight():
    before = promise_changes_at(at(2026, 12, 7, 10), zone=NEW_YORK, cutoff_hour=14)
    assert before == at(2026, 12, 7, 14).astimezone(UTC)
    after = promise_changes_at(at(2026, 12, 7, 15), zone=NEW_YORK, cutoff_hour=14)
    assert after == at(2026, 12, 8, 0).astimezone(UTC)


@pytest.mark.parametrize(("raw", "expected"), [("5-8", (5, 8)), ("3", (3, 3)), (" 2-3 ", (2, 3))])
def test_day_ranges_are_read_from_settings(raw, expected):
    assert parse_day_range(raw) == expected


@pytest.mark.parametrize("raw", ["8-5", "soon", "-1", ""])
def test_nonsense_day_ranges_are_refused(raw):
    with pytest.raises(ValueError, match="not a range of business days"):
        parse_day_range(raw)
