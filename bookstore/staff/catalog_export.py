"""Exporting the catalog and orders as CSV, streamed, every cell safe for spreadsheets."""

from collections.abc import Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from bookstore.catalog.models import Book, BookContributor, ContributorRole, Edition
from bookstore.checkout.models import Order
from bookstore.extensions import db
from bookstore.money import plain_amount
from bookstore.staff.csv_format import COLUMNS, write_csv
from bookstore.tax.models import TaxRefund

ORDER_COLUMNS = [
    "reference",
    "created_at",
    "paid_at",
    "state",
    "email",
    "items",
    "subtotal",
    "discount",
    "code_discount",
    "shipping",
    "tax",
    "total",
    "refunded",
    "tax_refunded",
    "currency",
    "ship_country",
    "ship_region",
]


def catalog_rows() -> Iterator[list]:
    """One row per edition in the import format, so an export can be edited and re-imported."""
    query = (
        select(Edition)
        .join(Edition.book)
        .options(
            selectinload(Edition.book).selectinload(Book.subjects),
            selectinload(Edition.book)
            .selectinload(Book.credits)
            .selectinload(BookContributor.contributor),
            selectinload(Edition.book).selectinload(Book.series),
        )
        .order_by(Book.title, Edition.id)
        .execution_options(yield_per=2000)
    )
    for edition in db.session.scalars(query):
        book = edition.book
        yield [
            edition.isbn13,
            book.title,
            book.subtitle,
            edition.format.value,
            plain_amount(edition.price_cents),
            edition.pages or "",
            (edition.published_on or book.published_on or ""),
            edition.on_hand if edition.is_physical else "",
            "; ".join(c.contributor.name for c in book.credits if c.role is ContributorRole.AUTHOR),
            "; ".join(s.name for s in book.subjects),
            book.series.name if book.series else "",
            book.series_position or "",
            book.languages,
            book.description,
            "",  # cover: the stored cover stays; a re-import with the cell empty keeps it
        ]


def catalog_csv() -> Iterator[str]:
    return write_csv(COLUMNS, catalog_rows())


def orders_csv(query=None) -> Iterator[str]:
    """The orders of ``query`` (all when None) as CSV, newest first."""
    query = query if query is not None else select(Order).order_by(Order.created_at.desc())
    tax_refunded = (
        select(func.coalesce(func.sum(TaxRefund.cents), 0))
        .where(TaxRefund.order_id == Order.id)
        .correlate(Order)
        .scalar_subquery()
    )
    query = (
        query.options(selectinload(Order.lines))
        .add_columns(tax_refunded)
        .execution_options(yield_per=1000)
    )

    def rows():
        for order, refunded_tax in db.session.execute(query):
            yield [
                order.reference,
                order.created_at.isoformat(),
                order.paid_at.isoformat() if order.paid_at else "",
                order.state.value,
                order.email,
                sum(line.quantity for line in order.lines),
                plain_amount(order.subtotal_cents),
                plain_amount(order.discount_cents),
                plain_amount(order.promo_discount_cents),
                plain_amount(order.shipping_cents),
                plain_amount(order.tax_cents),
                plain_amount(order.total_cents),
                plain_amount(order.refunded_cents),
                plain_amount(int(refunded_tax)),
                order.currency,
                order.ship_country,
                order.ship_region,
            ]

    return write_csv(ORDER_COLUMNS, rows())
