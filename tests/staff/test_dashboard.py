"""The dashboard's figures: revenue today and this month, the packing queue, held orders,
low stock and the daily sales chart, counted from paid_at by the shop's days.

Most tests here run the shop on UTC so the figures are easy to read; one runs it in New York.
"""

import re
from datetime import UTC, datetime

import pytest

from bookstore.catalog.models import Format
from bookstore.checkout.states import OrderState
from bookstore.extensions import db
from tests.factories import make_book
from tests.staff.helpers import make_order


@pytest.fixture
def app(make_app):
    return make_app(SHOP_TIMEZONE="UTC")


# A fixed "now", so that today, this month and the chart windows never straddle a boundary.
NOW = datetime(2025, 3, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
def frozen_now(monkeypatch):
    monkeypatch.setattr("bookstore.staff.views.utcnow", lambda: NOW)
    return NOW


@pytest.fixture
def sales(app):
    """Orders around NOW: two sold today, one earlier this month, two before, two not sold."""
    with app.app_context():
        make_order(2100, paid_at=datetime(2025, 3, 15, 9, 0, tzinfo=UTC))
        make_order(1000, paid_at=datetime(2025, 3, 15, 0, 0, tzinfo=UTC), fmt=Format.EBOOK)
        make_order(1600, state=OrderState.SHIPPED, paid_at=datetime(2025, 3, 2, tzinfo=UTC))
        make_order(
            3000, state=OrderState.REFUNDED, paid_at=datetime(2025, 2, 28, 23, 59, tzinfo=UTC)
        )
        make_order(4500, state=OrderState.SHIPPED, paid_at=datetime(2025, 1, 14, 8, tzinfo=UTC))
        make_order(9900, state=OrderState.PENDING_PAYMENT)
        make_order(1700, state=OrderState.NEEDS_REVIEW)
        db.session.commit()


def figures(page: str, heading: str) -> list[str]:
    """The lines of text under one heading of the "Sales at a glance" grid."""
    block = re.search(rf"<h2>{heading}</h2>(.*?)</div>", page, re.S).group(1)
    return [
        " ".join(re.sub(r"<[^>]+>", "", text).split())
        for text in re.findall(r"<p[^>]*>(.*?)</p>", block, re.S)
    ]


def chart_text(page: str) -> tuple[str, str, list[str]]:
    """The chart's title, its description and the label of every bar that has sales."""
    title = re.search(r'<title id="chart-title">(.*?)</title>', page).group(1)
    desc = re.search(r'<desc id="chart-desc">(.*?)</desc>', page).group(1)
    bars = re.findall(r"<rect [^>]*><title>(.*?)</title></rect>", page)
    return title, desc, [bar for bar in bars if not bar.endswith("0 orders")]


def low_stock_rows(page: str) -> list[tuple[str, ...]]:
    """(title, format, on hand, reserved, free) for each row of the low-stock table."""
    section = page.split('id="low-heading"', 1)[1]
    rows = re.findall(r"<tr><td><a [^>]*>(.*?)</a></td>(.*?)</tr>", section, re.S)
    return [(title, *re.findall(r"<td>(.*?)</td>", rest)) for title, rest in rows]


def test_revenue_counts_orders_paid_today_and_this_month(staff_client, sales, frozen_now):
    page = staff_client.get("/staff/").get_data(as_text=True)
    # Today: the paperback and the ebook; the pending order has not paid.
    assert figures(page, "Today") == ["$31.00", "2 orders"]
    # This month adds the order paid on the 2nd; February's refunded order is not counted.
    assert figures(page, "This month") == ["$47.00", "3 orders"]


def test_the_queue_counts_paid_physical_orders_and_held_ones(staff_client, sales, frozen_now):
    page = staff_client.get("/staff/").get_data(as_text=True)
    # The ebook-only order has nothing to pack; the shipped ones are gone.
    assert figures(page, "To ship")[0] == "1"
    assert figures(page, "Held for review")[0] == "1"


def test_the_chart_shows_thirty_days_or_ninety_on_request(staff_client, sales, frozen_now):
    page = staff_client.get("/staff/").get_data(as_text=True)
    assert "Daily sales, last 30 days" in page
    title, desc, bars = chart_text(page)
    assert title == "Daily sales, 2025-02-14 to 2025-03-15"
    assert desc.startswith("30 days, $77.00 in total, best day $31.00")
    assert bars == [
        "2025-02-28: $30.00, 1 order",
        "2025-03-02: $16.00, 1 order",
        "2025-03-15: $31.00, 2 orders",
    ]

    page = staff_client.get("/staff/?days=90").get_data(as_text=True)
    assert "Daily sales, last 90 days" in page
    title, desc, bars = chart_text(page)
    assert title == "Daily sales, 2024-12-16 to 2025-03-15"
    assert desc.startswith("90 days, $122.00 in total, best day $45.00")
    assert bars[0] == "2025-01-14: $45.00, 1 order"
    assert len(bars) == 4

    # Any other number of days is the 30-day view.
    assert "last 30 days" in staff_client.get("/staff/?days=7").get_data(as_text=True)


def test_low_stock_lists_editions_at_or_below_their_threshold(app, staff_client):
    with app.app_context():
        make_book("Two Left", on_hand=2)
        reserved = make_book("Mostly Reserved", on_hand=10).editions[0]
        reserved.reserved = 8
        make_book("Own Threshold", on_hand=4).editions[0].low_stock_threshold = 5
        make_book("Plenty", on_hand=4)
        make_book("Retired", on_hand=0).editions[0].active = False
        make_book("Out of Print", on_hand=0).editions[0].out_of_print = True
        make_book("Only an Ebook", formats=("ebook",))
        db.session.commit()
    page = staff_client.get("/staff/").get_data(as_text=True)
    # Fewest free copies first; the default threshold is 3.
    assert low_stock_rows(page) == [
        ("Two Left", "Paperback", "2", "0", "2"),
        ("Mostly Reserved", "Paperback", "10", "8", "2"),
        ("Own Threshold", "Paperback", "4", "0", "4"),
    ]


def test_an_empty_shop_shows_zeroes_and_nothing_running_low(staff_client, frozen_now):
    page = staff_client.get("/staff/").get_data(as_text=True)
    assert figures(page, "Today") == ["$0.00", "0 orders"]
    assert figures(page, "To ship")[0] == "0"
    assert "Nothing is running low." in page


def test_today_is_the_shops_day_not_utcs(make_app, frozen_now):
    """At 12:00 UTC on 15 March it is 08:00 in New York: an order paid at 03:00 UTC (23:00 the
    evening before, New York time) belongs to the 14th."""
    from tests.staff.helpers import log_in

    app = make_app(SHOP_TIMEZONE="America/New_York")
    with app.app_context():
        from bookstore.accounts.models import Role
        from tests.factories import make_user

        staff = make_user("ny@example.com", role=Role.STAFF)
        make_order(2100, paid_at=datetime(2025, 3, 15, 11, 0, tzinfo=UTC))
        make_order(1000, paid_at=datetime(2025, 3, 15, 3, 0, tzinfo=UTC))
        db.session.commit()
        client = app.test_client()
        log_in(client, staff)
    page = client.get("/staff/").get_data(as_text=True)
    assert figures(page, "Today") == ["$21.00", "1 order"]
    _, _, bars = chart_text(page)
    assert bars == ["2025-03-14: $10.00, 1 order", "2025-03-15: $21.00, 1 order"]


def test_sales_tax_collected_is_not_counted_as_revenue(app, staff_client, frozen_now):
    with app.app_context():
        taxed = make_order(2120, paid_at=datetime(2025, 3, 15, 9, 0, tzinfo=UTC))
        taxed.tax_cents = 120
        db.session.commit()
    page = staff_client.get("/staff/").get_data(as_text=True)
    assert figures(page, "Today") == ["$20.00", "1 order"]
    assert chart_text(page)[2] == ["2025-03-15: $20.00, 1 order"]
