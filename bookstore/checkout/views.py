"""Checkout pages: pay (303 to Stripe), success, cancel, orders, downloads; the details page
and review are in ``page_views``."""

from __future__ import annotations

import re
from typing import cast

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required

from bookstore.accounts.models import User
from bookstore.cart.services import SESSION_KEY as CART_SESSION_KEY
from bookstore.cart.services import find_cart
from bookstore.checkout import payments, reader_account, services, shipments
from bookstore.checkout.downloads import download_links_of, order_from_link_token, take_download
from bookstore.checkout.ebook_file import demo_epub
from bookstore.checkout.forms import (
    COUNTRY_NAMES,
    ActionForm,
)
from bookstore.checkout.models import Order
from bookstore.checkout.order_parts import OrderParts
from bookstore.checkout.states import OrderState
from bookstore.dbtypes import utcnow
from bookstore.errors import (
    InvalidInput,
    InvalidTransition,
    NotFound,
    OutOfStock,
    PaymentServiceUnavailable,
)
from bookstore.extensions import db
from bookstore.links import external_url

bp = Blueprint("checkout", __name__)

DETAILS_KEY = "checkout_details"
# The promotion code entered at checkout (normalised), checked again when paying.
CODE_KEY = "checkout_code"
ORDERS_KEY = "checkout_orders"
# How many of this browser's recent orders it may open without logging in.
REMEMBERED_ORDERS = 20
SESSION_ID = re.compile(r"[A-Za-z0-9_]{8,255}")


@bp.record_once
def _wire_into_accounts(state) -> None:
    try:
        from bookstore.accounts.sections import register_account_section
    except ImportError:  # pragma: no cover - the accounts feature is always there in the shop
        return
    register_account_section(
        state.app,
        "checkout/_account_orders.html",
        lambda user: {"recent_orders": services.orders_of(cast(User, user), limit=5)},
        order=20,
    )
    reader_account.register(state.app)


def _shopper():
    return current_user if current_user.is_authenticated else None


def _cart():
    """The visitor's cart, found once per request (again if they log in meanwhile)."""
    shopper, token = _shopper(), session.get(CART_SESSION_KEY)
    visitor = (shopper.id if shopper is not None else None, token)
    kept = g.get("checkout_cart")
    if kept is None or kept[0] != visitor:
        kept = g.checkout_cart = (visitor, find_cart(shopper, token))
    return kept[1]


def _remember(order: Order) -> None:
    refs = [r for r in session.get(ORDERS_KEY, []) if r != order.reference]
    session[ORDERS_KEY] = [*refs, order.reference][-REMEMBERED_ORDERS:]


def _owns(order: Order) -> bool:
    """The browser that placed the order, or its logged-in owner."""
    if order.reference in session.get(ORDERS_KEY, []):
        return True
    return current_user.is_authenticated and order.user_id == current_user.id


def _owned_order(reference: str) -> Order:
    try:
        order = services.order_by_reference(reference)
    except NotFound:
        abort(404)
    if not _owns(order):
        abort(404)
    return order


@bp.post("/checkout/orders/<reference>/pay")
def retry(reference: str):
    """Pay for a pending order again (after the payment service was down, or from another
    tab): its earlier session is closed at Stripe before a new one opens."""
    order = _owned_order(reference)
    if not ActionForm().validate_on_submit():
        abort(400)
    return _pay(order, utcnow())


def _pay(order: Order, now):
    """Open the order's Stripe session (committing around the call) and go there."""
    reference = order.reference
    try:
        step = payments.open_payment(
            order,
            now=now,
            success_url=external_url("checkout.success") + "?session_id={CHECKOUT_SESSION_ID}",
            cancel_url=external_url("checkout.cancel", reference=reference),
            config=current_app.config,
        )
    except PaymentServiceUnavailable:
        # The order stays pending with its copies held: committed, retryable.
        db.session.rollback()
        return _unavailable(order)
    except OutOfStock as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("cart.show"), 303)
    except InvalidInput as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("checkout.order", reference=reference), 303)
    except InvalidTransition:
        db.session.rollback()
        return redirect(url_for("checkout.order", reference=reference), 303)
    if step.kind == "stripe" and step.url:
        return redirect(step.url, 303)
    session.pop(DETAILS_KEY, None)
    session.pop(CODE_KEY, None)
    return redirect(url_for("checkout.order", reference=reference), 303)


def _unavailable(order: Order):
    page = render_template("checkout/unavailable.html", order=order, form=ActionForm())
    return page, 503, {"Retry-After": "60"}


@bp.get("/checkout/success")
def success():
    """Back from Stripe: settle the order (if the webhook has not already) and show it."""
    session_id = request.args.get("session_id", "")
    if not SESSION_ID.fullmatch(session_id):
        abort(404)
    # Found by the session it was last paying with, or -- for an earlier session of the
    # order, paid in another tab -- by what Stripe knows of the session.
    order = services.order_by_session(session_id)
    confirming = False
    if order is None or order.stripe_payment_intent is None:
        try:
            order = payments.confirm_session(session_id, now=utcnow(), actor="customer").order
        except PaymentServiceUnavailable:
            db.session.rollback()
            confirming = True
        except NotFound:
            db.session.rollback()
            abort(404)
    # Otherwise its webhook came first and settled the order: Stripe has nothing to add.
    if order is None or not _owns(order):
        abort(404)
    # Read in this request (after any commit or rollback, which expire it): no refresh.
    if order.state is not OrderState.PENDING_PAYMENT:
        session.pop(DETAILS_KEY, None)
        session.pop(CODE_KEY, None)
    return render_template(
        "checkout/success.html",
        order=order,
        confirming=confirming,
        downloads=download_links_of(order) if order.state.is_paid_like else [],
        **OrderParts.read(order).template_helpers(),
    )


@bp.get("/checkout/cancel/<reference>")
def cancel(reference: str):
    """The shopper left Stripe's page: close the session, cancel the order, keep the cart."""
    order = _owned_order(reference)
    outcome = payments.cancel_checkout(order, now=utcnow(), actor=_shopper())
    if outcome in ("paid", "processing"):
        # Paid meanwhile (another tab): show the order instead.
        return redirect(url_for("checkout.order", reference=reference))
    if outcome == "cancelled":
        flash("Checkout cancelled: nothing was charged and your cart is as you left it.", "info")
    return redirect(url_for("cart.show"))


@bp.get("/account/orders")
@login_required
def orders():
    """The logged-in user's orders."""
    return render_template("checkout/orders.html", orders=services.orders_of(current_user))


@bp.get("/account/orders/<reference>")
def order(reference: str):
    """One order, for its owner (else 404)."""
    found = _owned_order(reference)
    return _order_page(found)


@bp.get("/orders/<token>")
def guest_order(token: str):
    """One order, opened through the signed link in its confirmation email."""
    try:
        found = order_from_link_token(token)
    except NotFound:
        abort(404)
    return _order_page(found)


def _order_page(found: Order):
    return render_template(
        "checkout/order.html",
        order=found,
        downloads=download_links_of(found) if found.state.is_paid_like else [],
        retry_form=ActionForm(),
        shipment=shipments.shipment_of(found),
        country_name=COUNTRY_NAMES.get(found.ship_country, found.ship_country),
        **OrderParts.read(found).template_helpers(),
    )


@bp.get("/downloads/<token>")
def download(token: str):
    """An ebook download through its signed link (limited number and days)."""
    try:
        line = take_download(token, now=utcnow())
    except NotFound as error:
        db.session.rollback()
        abort(404, description=str(error))
    name, data = demo_epub(
        title=line.title,
        isbn13=line.isbn13,
        reference=line.order.reference,
        shop=current_app.config["SHOP_NAME"],
    )
    db.session.commit()
    return Response(
        data,
        mimetype="application/epub+zip",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


# The checkout page and "Buy again" register their routes on ``bp`` when imported.
from bookstore.checkout import page_views, reorder_views  # noqa: E402, F401
