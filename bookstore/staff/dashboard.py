"""Figures for the staff dashboard: orders and revenue, shipping queue, low stock, daily sales."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from sqlalchemy import func, select

from bookstore.catalog.models import Edition, Format
from bookstore.checkout.models import Order, OrderLine
from bookstore.checkout.states import OrderState
from bookstore.extensions import db
from bookstore.inventory.availability import free_copies_sql
from bookstore.staff.charts import DaySales

# Orders that brought money in (refunds are shown separately, not subtracted per day).
SOLD_STATES = (
    OrderState.PAID,
    OrderState.SHIPPED,
    OrderState.PARTIALLY_REFUNDED,
    OrderState.REFUNDED,
)


@dataclass(frozen=True)
class Totals:
    orders: int
    revenue_cents: int


@dataclass(frozen=True)
class Dashboard:
    today: Totals
    month: Totals
    awaiting_shipment: int
    needs_review: int
    low_stock: list[Edition]
    daily: list[DaySales]


def _midnight(day: date, zone: tzinfo = UTC) -> datetime:
    """The start of ``day`` in ``zone`` (the shop's: its days are the ones staff count)."""
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


# Sales tax is the state's money, collected on its behalf: revenue leaves it out.
_REVENUE = Order.total_cents - Order.tax_cents


def _totals(since: datetime, until: datetime) -> Totals:
    count, revenue = db.session.execute(
        select(func.count(Order.id), func.coalesce(func.sum(_REVENUE), 0)).where(
            Order.state.in_(SOLD_STATES), Order.paid_at >= since, Order.paid_at < until
        )
    ).one()
    return Totals(orders=count, revenue_cents=int(revenue))


def awaiting_shipment_query():
    """Paid orders with at least one physical line: the packing queue, oldest first."""
    physical = select(OrderLine.id).where(
        OrderLine.order_id == Order.id, OrderLine.format != Format.EBOOK
    )
    return (
        select(Order)
        .where(Order.state == OrderState.PAID, physical.exists())
        .order_by(Order.paid_at, Order.id)
    )


def low_stock_query(default_threshold: int):
    """Active physical editions whose free copies are at or below their threshold."""
    threshold = func.coalesce(Edition.low_stock_threshold, default_threshold)
    return (
        select(Edition)
        .where(
            Edition.active.is_(True),
            Edition.out_of_print.is_(False),
            Edition.format != Format.EBOOK,
            free_copies_sql() <= threshold,
        )
        .order_by(free_copies_sql(), Edition.id)
    )


def daily_sales(today: date, days: int, zone: tzinfo = UTC) -> list[DaySales]:
    """Revenue and orders per day of ``zone`` for the last ``days`` days, zero-filled."""
    start = today - timedelta(days=days - 1)
    rows = db.session.execute(
        select(Order.paid_at, _REVENUE).where(
            Order.state.in_(SOLD_STATES),
            Order.paid_at >= _midnight(start, zone),
            Order.paid_at < _midnight(today + timedelta(days=1), zone),
        )
    ).all()
    revenue = {start + timedelta(days=i): [0, 0] for i in range(days)}
    for paid_at, total in rows:
        if paid_at is None:  # never: the WHERE compares paid_at, so NULLs are left out
            continue
        bucket = revenue.get(paid_at.astimezone(zone).date())
        if bucket is not None:
            bucket[0] += total
            bucket[1] += 1
    return [DaySales(day, cents, count) for day, (cents, count) in sorted(revenue.items())]


def build_dashboard(
    now: datetime, *, days: int, low_stock_threshold: int, zone: tzinfo = UTC
) -> Dashboard:
    """Everything the dashboard shows, in a handful of queries; days are days of ``zone``."""
    today = now.astimezone(zone).date()
    month_start = today.replace(day=1)
    tomorrow = _midnight(today + timedelta(days=1), zone)
    waiting = db.session.scalar(
        awaiting_shipment_query().order_by(None).with_only_columns(func.count(Order.id))
    )
    review = db.session.scalar(
        select(func.count(Order.id)).where(Order.state == OrderState.NEEDS_REVIEW)
    )
    return Dashboard(
        today=_totals(_midnight(today, zone), tomorrow),
        month=_totals(_midnight(month_start, zone), tomorrow),
        awaiting_shipment=waiting or 0,
        needs_review=review or 0,
        low_stock=list(db.session.scalars(low_stock_query(low_stock_threshold).limit(20))),
        daily=daily_sales(today, days, zone),
    )
