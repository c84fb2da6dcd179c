"""Cart reminders: one email for a cart left for ``CART_REMINDER_HOURS``, queued by the job
queue's schedule.

Who: a signed-in shopper, or a guest who gave an address at checkout and ticked the box
(``carts.reminder_email``); never an address that unsubscribed (``reminder_opt_outs``).
Once: ``carts.reminded_at`` is claimed with a conditional UPDATE, so two schedulers cannot both
queue one; a cart is reminded again only when every line in it was added after the last
reminder (a new shop, after the last one was bought). Never after buying: a paid order takes
its lines out of the cart, and the job checks again just before it sends.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from bookstore.accounts.models import User
from bookstore.alerts import tokens
from bookstore.alerts.models import ReminderOptOut
from bookstore.cart.models import Cart, CartLine
from bookstore.checkout.models import Order
from bookstore.checkout.states import OrderState
from bookstore.database import rowcount
from bookstore.digest.services import normalise_email
from bookstore.extensions import db
from bookstore.jobs import ClaimedJob, enqueue, job_handler
from bookstore.links import external_url
from bookstore.mail import send_email

REMINDER_JOB = "cart_reminder"
# Carts left longer than this past the delay are not reminded (e.g. when reminders start).
WINDOW = timedelta(days=7)


def delay(config: Any) -> timedelta | None:
    """CART_REMINDER_HOURS as a delay; None when reminders are off (0)."""
    hours = int(config.get("CART_REMINDER_HOURS") or 0)
    return timedelta(hours=hours) if hours > 0 else None


def note_checkout_consent(cart: Cart | None, email: str, agreed: bool) -> None:
    """A guest at checkout: keep the address for one reminder only if they agreed."""
    if cart is not None and cart.user_id is None:
        cart.reminder_email = email.lower() if agreed else None
        db.session.flush()


def _not_reminded_since_lines():
    # Never reminded, or every line added after the last reminder.
    earlier_line = exists().where(
        CartLine.cart_id == Cart.id, CartLine.added_at <= Cart.reminded_at
    )
    return or_(Cart.reminded_at.is_(None), ~earlier_line)


def _due(now: datetime, wait: timedelta):
    has_lines = exists().where(CartLine.cart_id == Cart.id)
    paying = exists().where(Order.cart_id == Cart.id, Order.state == OrderState.PENDING_PAYMENT)
    return and_(
        Cart.updated_at <= now - wait,
        Cart.updated_at > now - wait - WINDOW,
        or_(Cart.user_id.is_not(None), Cart.reminder_email.is_not(None)),
        has_lines,
        ~paying,
        _not_reminded_since_lines(),
    )


def queue_reminders(now: datetime) -> int:
    """Claim every cart due a reminder and queue its job; how many (flushes, never commits)."""
    wait = delay(current_app.config)
    if wait is None:
        return 0
    cart_ids = db.session.scalars(select(Cart.id).where(_due(now, wait)).order_by(Cart.id))
    queued = 0
    for cart_id in list(cart_ids):
        claimed = rowcount(
            db.session.execute(
                update(Cart)
                .where(Cart.id == cart_id, _due(now, wait))
                # Keep updated_at: the reminder is not the shopper's activity.
                .values(reminded_at=now, updated_at=Cart.updated_at)
                .execution_options(synchronize_session=False)
            )
        )
        if claimed:
            enqueue(
                REMINDER_JOB,
                {"cart_id": cart_id, "reminded_at": now.isoformat()},
                key=f"cart-reminder:{cart_id}:{now.isoformat()}",
            )
            queued += 1
    return queued


def _address(cart: Cart) -> str | None:
    if cart.user_id is not None:
        user = db.session.get(User, cart.user_id)
        return user.email if user is not None else None
    return cart.reminder_email


def opted_out(email: str) -> bool:
    """Whether this address asked for no cart reminders."""
    return bool(
        db.session.scalar(select(func.count()).where(ReminderOptOut.email == email.lower()))
    )


@job_handler(REMINDER_JOB)
def send_reminder(payload: dict, job: ClaimedJob) -> None:
    """Send one cart's reminder, unless it was bought, emptied or the address opted out."""
    cart = db.session.get(Cart, payload.get("cart_id"))
    if cart is None or not cart.lines or cart.reminded_at is None:
        return
    if cart.reminded_at.isoformat() != payload.get("reminded_at"):
        return  # a later reminder replaced this one
    paying = db.session.scalar(
        select(func.count()).where(
            Order.cart_id == cart.id, Order.state == OrderState.PENDING_PAYMENT
        )
    )
    address = _address(cart)
    if paying or not address or opted_out(address):
        return
    lines = [
        {
            "title": line.edition.book.title,
            "format": line.edition.format.label,
            "quantity": line.quantity,
        }
        for line in cart.lines
    ]
    stop_url = external_url(
        "alerts.reminders_unsubscribe",
        token=tokens.make_token(tokens.STOP_REMINDERS, {"email": address.lower()}),
    )
    db.session.rollback()  # only reads so far: no transaction stays open while we send
    send_email(
        address,
        f"You left something in your cart at {current_app.config['SHOP_NAME']}",
        "cart_reminder",
        headers={
            "List-Unsubscribe": f"<{stop_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        lines=lines,
        cart_url=external_url("cart.show"),
        unsubscribe_url=stop_url,
    )


def read_stop_token(token: str) -> str:
    """The address an unsubscribe link names (InvalidInput if it is not a good link)."""
    data = tokens.read_token(tokens.STOP_REMINDERS, token)
    return normalise_email(str(data.get("email") or ""))


def opt_out(token: str, now: datetime) -> None:
    """No more cart reminders to the link's address (twice is harmless)."""
    email = read_stop_token(token)
    if opted_out(email):
        return
    savepoint = db.session.begin_nested()
    try:
        db.session.add(ReminderOptOut(email=email, created_at=now))
        db.session.flush()
    except IntegrityError:
        savepoint.rollback()
        return
    savepoint.commit()
