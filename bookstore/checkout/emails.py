"""The emails an order sends: confirmation, shipped, refunded.

Each is rendered now and queued in the current transaction (``send_after_commit``): it goes
out after the commit, through the job queue, and never for a change that is rolled back.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from bookstore.catalog.models import Edition
from bookstore.checkout.downloads import DOWNLOAD_DAYS, download_links_of, order_link_token
from bookstore.checkout.models import Order, Shipment
from bookstore.checkout.order_parts import OrderParts
from bookstore.extensions import db
from bookstore.links import external_url
from bookstore.mail import send_after_commit


def order_url(order: Order) -> str:
    """The order's page, for its buyer, without logging in (a signed link)."""
    return external_url("checkout.guest_order", token=order_link_token(order))


def queue_confirmation(order: Order, parts: OrderParts | None = None) -> None:
    """The order confirmation, with links to its ebooks (``parts``: the order's, if read)."""
    # Each line shows its book's cover: the editions and books in one query, held while the
    # email renders (the session keeps only what something refers to).
    editions = _editions_with_books(order)
    downloads = [
        (line, external_url("checkout.download", token=token))
        for line, _link, token in download_links_of(order)
    ]
    send_after_commit(
        order.email,
        f"Order confirmed: {order.short_reference}",
        "order_confirmation",
        order=order,
        order_url=order_url(order),
        downloads=downloads,
        download_days=DOWNLOAD_DAYS,
        # Its text and HTML parts both ask what the order adds: read once.
        **(parts or OrderParts.read(order)).template_helpers(),
    )
    del editions


def _editions_with_books(order: Order) -> list[Edition]:
    ids = {line.edition_id for line in order.lines if line.edition_id is not None}
    if not ids:
        return []
    query = select(Edition).where(Edition.id.in_(ids)).options(joinedload(Edition.book))
    return list(db.session.scalars(query).unique())


def queue_shipped(order: Order, shipment: Shipment) -> None:
    """The parcel is on its way: carrier and tracking."""
    send_after_commit(
        order.email,
        f"Your order {order.short_reference} is on its way",
        "order_shipped",
        order=order,
        carrier=shipment.carrier,
        tracking=shipment.tracking_number,
        tracking_url=shipment.tracking_url,
        order_url=order_url(order),
    )


def queue_refunded(order: Order, amount_cents: int) -> None:
    """Money given back: how much, and what the order has been refunded in all."""
    send_after_commit(
        order.email,
        f"Refund for your order {order.short_reference}",
        "order_refunded",
        order=order,
        amount_cents=amount_cents,
        order_url=order_url(order),
    )
