"""Fulfilment: the one idempotent step that turns a paid Checkout Session into a paid order.

The success page and the webhook both call ``fulfil_checkout``; whichever comes first wins
the conditional UPDATE ``state: pending_payment -> paid`` and does the work (stock ledger,
cart, ebook links, one email); every later or concurrent call finds nothing to do.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, has_request_context, url_for
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, select, update

from bookstore.cart.models import Cart, CartLine
from bookstore.catalog import stock
from bookstore.checkout import extras, gateway
from bookstore.checkout.models import DownloadLink, Order, OrderLine
from bookstore.checkout.services import move_order, order_by_session, record_event
from bookstore.checkout.states import OrderState, check_move
from bookstore.errors import NotFound, OutOfStock
from bookstore.extensions import db
from bookstore.mail import send_after_commit

DOWNLOADS_PER_LINK = 5
DOWNLOAD_DAYS = 30


@dataclass(frozen=True)
class Fulfilment:
    """What a fulfilment call found: the order, and whether this call marked it paid."""

    order: Order
    newly_paid: bool
    payment_status: str | None


def _serializer(salt: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=salt)


def order_link_token(order: Order) -> str:
    """The signed token in a guest's "view your order" link."""
    return _serializer("bookstore.order-view").dumps(order.reference)


def order_from_link_token(token: str) -> Order:
    """The order of a signed guest link; NotFound for anything forged or unknown."""
    try:
        reference = _serializer("bookstore.order-view").loads(token)
    except BadSignature:
        raise NotFound("No such order.") from None
    order = db.session.scalars(select(Order).where(Order.reference == reference)).one_or_none()
    if order is None:
        raise NotFound("No such order.")
    return order


def download_token(link: DownloadLink) -> str:
    """The signed download token of a link (derived, so the order page can show it again)."""
    return _serializer("bookstore.ebook-download").dumps(link.id)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def fulfil_checkout(session_id: str, *, now: datetime, actor: str = "stripe") -> Fulfilment:
    """Mark the order of a paid session paid, once; safe to call any number of times.

    The session is read from Stripe (the only source of truth). The order becomes paid only
    if the session is paid and its amount and currency match the order; a mismatch holds the
    order for staff (``needs_review``) and fulfils nothing.
    """
    session = gateway.retrieve_session(session_id)
    order = order_by_session(session.id)
    if order is None and session.order_id and session.order_id.isdigit():
        order = db.session.get(Order, int(session.order_id))
    if order is None or (
        session.client_reference_id and session.client_reference_id != order.reference
    ):
        raise NotFound("No order belongs to this checkout session.")
    if session.payment_status != "paid":
        return Fulfilment(order, False, session.payment_status)

    state = OrderState(order.state)
    if state in (OrderState.CANCELLED, OrderState.EXPIRED):
        # Paid after we gave up on it (another tab, a late webhook): a person must decide.
        move_order(
            order,
            state,
            OrderState.NEEDS_REVIEW,
            actor=actor,
            note=f"Payment received for a {state.value} order.",
            review_reason=f"Paid after the order was {state.value}.",
            stripe_payment_intent=session.payment_intent,
        )
        return Fulfilment(order, False, session.payment_status)
    if state is not OrderState.PENDING_PAYMENT:
        return Fulfilment(order, False, session.payment_status)

    mismatch = _mismatch(order, session)
    if mismatch:
        move_order(
            order,
            OrderState.PENDING_PAYMENT,
            OrderState.NEEDS_REVIEW,
            actor=actor,
            note=mismatch,
            review_reason=mismatch[:300],
            stripe_payment_intent=session.payment_intent,
        )
        return Fulfilment(order, False, session.payment_status)

    # The guard: of all concurrent callers, exactly one moves the order out of pending.
    won = move_order(
        order,
        OrderState.PENDING_PAYMENT,
        OrderState.PAID,
        actor=actor,
        record=False,
        paid_at=now,
        stripe_payment_intent=session.payment_intent,
        stripe_session_id=session.id,
    )
    if not won:
        return Fulfilment(order, False, session.payment_status)
    try:
        stock.commit_sale(order.id)
    except OutOfStock as exc:
        # The hold had lapsed and the copies were sold meanwhile: paid but not fulfillable.
        # "paid" is not committed yet, so this transaction's move is pending -> needs_review.
        check_move(OrderState.PENDING_PAYMENT, OrderState.NEEDS_REVIEW)
        db.session.execute(
            update(Order)
            .where(Order.id == order.id)
            .values(state=OrderState.NEEDS_REVIEW, paid_at=None, review_reason=str(exc)[:300]),
            execution_options={"synchronize_session": False},
        )
        db.session.expire(order)
        record_event(
            order, OrderState.PENDING_PAYMENT, OrderState.NEEDS_REVIEW, actor=actor, note=str(exc)
        )
        return Fulfilment(order, False, session.payment_status)
    record_event(
        order, OrderState.PENDING_PAYMENT, OrderState.PAID, actor=actor, note="Payment received."
    )
    extras.order_moved(order.id, OrderState.PAID.value, now=now)
    deliver_paid_order(order, now=now)
    return Fulfilment(order, True, session.payment_status)


def deliver_paid_order(order: Order, *, now: datetime) -> None:
    """What a paid order gets, once: its cart emptied of what it bought, links to its ebooks
    and the confirmation email. Called when the payment is accepted (here, or by staff
    accepting an order held for review)."""
    _empty_cart(order)
    links = _create_download_links(order, now=now)
    _send_confirmation(order, links)


def _mismatch(order: Order, session: gateway.CheckoutSession) -> str:
    if session.amount_total != order.total_cents or (session.currency or "") != order.currency:
        return (
            f"Stripe charged {session.amount_total} {session.currency} but the order is "
            f"{order.total_cents} {order.currency}."
        )
    return ""


def _empty_cart(order: Order) -> None:
    """Remove what the order bought from the cart it came from (later additions stay)."""
    if order.cart_id is None:
        return
    bought = [line.edition_id for line in order.lines if line.edition_id is not None]
    db.session.execute(
        delete(CartLine).where(CartLine.cart_id == order.cart_id, CartLine.edition_id.in_(bought)),
        execution_options={"synchronize_session": False},
    )
    if extras.buys_membership(order):
        db.session.execute(
            update(Cart).where(Cart.id == order.cart_id).values(membership=False),
            execution_options={"synchronize_session": False},
        )


def _create_download_links(order: Order, *, now: datetime) -> list[tuple[OrderLine, str]]:
    links = []
    for line in order.lines:
        if line.format.is_physical:
            continue
        link = DownloadLink(
            order_id=order.id,
            order_line_id=line.id,
            # A random placeholder until the id (which the token signs) exists.
            token_hash=secrets.token_hex(32),
            downloads_left=int(current_app.config.get("DOWNLOADS_PER_LINK", DOWNLOADS_PER_LINK)),
            expires_at=now + timedelta(days=DOWNLOAD_DAYS),
        )
        db.session.add(link)
        db.session.flush()
        token = download_token(link)
        link.token_hash = _token_hash(token)
        links.append((line, token))
    db.session.flush()
    return links


def download_links_of(order: Order) -> list[tuple[OrderLine, DownloadLink, str]]:
    """Each ebook line of a paid order with its link and token (for the order page)."""
    return [(link.line, link, download_token(link)) for link in order.download_links]


def _external_url(endpoint: str, **values) -> str:
    """An absolute URL, also from the CLI (``flask checkout expire-stale`` fulfils too)."""
    if has_request_context() or current_app.config.get("SERVER_NAME"):
        return url_for(endpoint, _external=True, **values)
    base = current_app.config.get("SHOP_BASE_URL") or "http://127.0.0.1:5000"
    with current_app.test_request_context(base_url=base):
        return url_for(endpoint, _external=True, **values)


def _send_confirmation(order: Order, links: list[tuple[OrderLine, str]]) -> None:
    order_url = _external_url("checkout.guest_order", token=order_link_token(order))
    downloads = [(line, _external_url("checkout.download", token=token)) for line, token in links]
    send_after_commit(
        order.email,
        f"Order confirmed: {order.reference[:8]}",
        "order_confirmation",
        order=order,
        order_url=order_url,
        downloads=downloads,
        download_days=DOWNLOAD_DAYS,
    )


def take_download(token: str, *, now: datetime) -> OrderLine:
    """Count one download of a signed link and return its line.

    NotFound for a forged, unknown, expired or used-up link (one conditional UPDATE, so two
    simultaneous downloads cannot both take the last one).
    """
    try:
        link_id = _serializer("bookstore.ebook-download").loads(token)
    except BadSignature:
        raise NotFound("This download link is not valid.") from None
    link = db.session.get(DownloadLink, link_id) if isinstance(link_id, int) else None
    if link is None or not hmac.compare_digest(link.token_hash, _token_hash(token)):
        raise NotFound("This download link is not valid.")
    if link.order.state not in (
        OrderState.PAID,
        OrderState.SHIPPED,
        OrderState.PARTIALLY_REFUNDED,
    ):
        raise NotFound("This download is no longer available.")
    result = db.session.execute(
        update(DownloadLink)
        .where(
            DownloadLink.id == link.id,
            DownloadLink.downloads_left > 0,
            DownloadLink.expires_at > now,
        )
        .values(downloads_left=DownloadLink.downloads_left - 1),
        execution_options={"synchronize_session": False},
    )
    if result.rowcount != 1:
        raise NotFound("This download link has expired or has been used up.")
    db.session.expire(link, ["downloads_left"])
    return link.line
