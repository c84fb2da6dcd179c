"""Checkout pages: details, review, pay (303 to Stripe), success, cancel, orders, downloads."""

from __future__ import annotations

import re
from typing import cast

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required

from bookstore.accounts import services as account_services
from bookstore.accounts.models import User
from bookstore.accounts.ratelimits import (
    ACCOUNT_MESSAGE,
    IP_MESSAGE,
    account_limit,
    signup_limit,
    submitted_email,
)
from bookstore.accounts.sessions import start_session
from bookstore.cart.services import SESSION_KEY as CART_SESSION_KEY
from bookstore.cart.services import find_cart
from bookstore.checkout import addresses as checkout_addresses
from bookstore.checkout import payments, services, shipments
from bookstore.checkout.downloads import download_links_of, order_from_link_token, take_download
from bookstore.checkout.ebook_file import demo_epub
from bookstore.checkout.forms import (
    COUNTRY_NAMES,
    ActionForm,
    CheckoutDetailsForm,
    CheckoutWithAccountForm,
    PlaceOrderForm,
    address_from,
    quote_from_token,
    quote_token,
)
from bookstore.checkout.models import Order
from bookstore.checkout.states import OrderState
from bookstore.dbtypes import utcnow
from bookstore.errors import (
    BookstoreError,
    InvalidInput,
    InvalidTransition,
    NotFound,
    OutOfStock,
    PaymentServiceUnavailable,
    PromoCodeRefused,
)
from bookstore.extensions import db, limiter
from bookstore.gifts import services as gift_services
from bookstore.gifts.services import GiftChoice
from bookstore.links import external_url
from bookstore.money import format_cents
from bookstore.promotions.pricing import normalise_code

bp = Blueprint("checkout", __name__)

DETAILS_KEY = "checkout_details"
# The promotion code entered at checkout (normalised), checked again when paying.
CODE_KEY = "checkout_code"
ORDERS_KEY = "checkout_orders"
# How many of this browser's recent orders it may open without logging in.
REMEMBERED_ORDERS = 20
SESSION_ID = re.compile(r"[A-Za-z0-9_]{8,255}")


@bp.record_once
def _register_account_section(state) -> None:
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


def _shopper():
    return current_user if current_user.is_authenticated else None


def _cart():
    return find_cart(_shopper(), session.get(CART_SESSION_KEY))


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


def _shipping_labels(quote) -> dict[str, str]:
    # "Standard, arrives by Thu, Dec 17 (5 to 8 business days): $5.00" (bookstore/delivery.py).
    from bookstore.delivery import delivery_promises

    currency = current_app.config.get("CURRENCY", "USD")
    options = services.shipping_options(quote.subtotal_cents, True, current_app.config)
    promises = delivery_promises()
    labels = {}
    for method, cents in options.items():
        price = format_cents(cents, currency) if cents else "free"
        promise = promises.get(method)
        if promise is None:
            labels[method] = f"{method.title()}: {price}"
            continue
        labels[method] = (
            f"{promise.name}, arrives by {promise.arrives_by_label} ({promise.days_label}): {price}"
        )
    return labels


def _known_email() -> str:
    details = session.get(DETAILS_KEY) or {}
    if details.get("email"):
        return str(details["email"])
    return current_user.email if _shopper() is not None else ""


def _quote(
    method: str = "standard",
    gift: GiftChoice | None = None,
    *,
    email: str | None = None,
    code: str | None = None,
):
    return services.quote_cart(
        _cart(),
        shipping_method=method,
        now=utcnow(),
        config=current_app.config,
        gift=gift,
        code=session.get(CODE_KEY, "") if code is None else code,
        email=_known_email() if email is None else email,
    )


def _not_opening_an_account() -> bool:
    return "password" not in request.form


@bp.route("/checkout", methods=["GET", "POST"])
# Making an account here counts against the same limits as the sign-up page.
@limiter.limit(
    signup_limit, methods=["POST"], error_message=IP_MESSAGE, exempt_when=_not_opening_an_account
)
@limiter.limit(
    account_limit,
    key_func=submitted_email,
    methods=["POST"],
    error_message=ACCOUNT_MESSAGE,
    exempt_when=_not_opening_an_account,
)
def start():
    """The checkout page: email, for printed books the address and shipping method (and for
    a membership bought by a visitor who is not logged in, a name and password for the new
    account), beside the order summary with its promotion code and the Pay button."""
    method = _saved_method()
    if request.form.get("shipping_method") in services.SHIPPING_METHODS:
        method = request.form["shipping_method"]
    quote = _page_quote(method, GiftChoice.from_details(session.get(DETAILS_KEY) or {}))
    if quote.is_empty:
        flash("Your cart is empty: add a book before checking out.", "info")
        return redirect(url_for("cart.show"))
    physical = quote.shipping_method != "none"
    shopper = _shopper()
    saved = session.get(DETAILS_KEY) or {}
    if not saved and shopper is not None:
        saved = {"email": current_user.email, "ship_name": current_user.name}
    saved = checkout_addresses.prefill(saved, shopper, request.args.get("address", ""))
    needs_account = quote.membership_cents is not None and shopper is None
    form_class = CheckoutWithAccountForm if needs_account else CheckoutDetailsForm
    form = form_class(
        data=saved,
        physical=physical,
        shipping_labels=_shipping_labels(quote),
        can_save_address=shopper is not None,
        wrap_label=gift_services.wrap_label(),
    )
    page = CheckoutPage(form, quote, checkout_addresses.choices(shopper) if physical else [])
    if request.method == "POST":
        action = request.form.get("action", "pay")
        typed = normalise_code(form.code.data) or (form.code.data or "").strip()
        if action == "remove_code":
            session.pop(CODE_KEY, None)
            page.code_note = "Code removed."
        elif action == "code" or (typed and typed != session.get(CODE_KEY)):
            page.code_error = _apply_code(typed, form.email.data or "", method)
            if page.code_error is None:
                page.code_note = f"Code {session[CODE_KEY]} applied."
        elif form.validate_on_submit() and (not needs_account or _open_account(form)):
            details = form.details()
            checkout_addresses.keep_if_asked(details, _shopper())
            db.session.commit()
            session[DETAILS_KEY] = details
            if not form.quote.data:
                # A details-only submission (no summary on it): review, then pay.
                return redirect(url_for("checkout.review"), 303)
            return _place_and_pay(form.quote.data, page)
        else:
            page.status = 400
        page.quote = _page_quote(method, _posted_gift(form), form.email.data or "")
        form.code.data = ""
    return page.render()


def _page_quote(method: str, gift: GiftChoice | None, email: str | None = None):
    """The quote the checkout page shows; gift wrap that is no longer offered is left out
    (paying says so)."""
    try:
        return _quote(method, gift, email=email)
    except InvalidInput:
        return _quote(method, None, email=email)


def _posted_gift(form) -> GiftChoice | None:
    """The gift options as ticked on the form just posted."""
    if not getattr(form, "physical", False) or form.gift is None:
        return None
    return GiftChoice.from_details({"gift": form.gift.form.choice()})


def _saved_method() -> str:
    saved = (session.get(DETAILS_KEY) or {}).get("shipping_method")
    return saved if saved in services.SHIPPING_METHODS else "standard"


def _apply_code(typed: str, email: str, method: str) -> str | None:
    """Check the code against the cart now and keep it for the checkout; or say why not."""
    if not typed:
        return "Enter a promotion code."
    problem = _quote(method, email=email, code=typed).code.problem
    if problem is None:
        session[CODE_KEY] = normalise_code(typed)
    return problem


class CheckoutPage:
    """The checkout page as rendered: the form, the quote the summary shows (signed for the
    Pay button) and what the promotion code field says."""

    def __init__(self, form, quote, saved_addresses):
        self.form, self.quote = form, quote
        self.saved_addresses = saved_addresses
        self.code_error: str | None = None
        self.code_note = ""
        self.alert = ""
        self.status = 200

    def render(self):
        self.form.quote.data = quote_token(self.quote)
        page = render_template(
            "checkout/start.html",
            form=self.form,
            quote=self.quote,
            code_error=self.code_error or self.quote.code.problem,
            code_note=self.code_note,
            alert=self.alert,
            saved_addresses=self.saved_addresses,
        )
        return page, self.status


def _open_account(form) -> bool:
    """Create the account a membership needs and log in with it (the cart comes along)."""
    try:
        user = account_services.sign_up(
            name=form.account_name.data, email=form.email.data, password=form.password.data
        )
    except BookstoreError as error:
        db.session.rollback()
        taken = isinstance(error, account_services.EmailUnavailable)
        (form.email if taken else form.password).errors.append(str(error))
        return False
    db.session.commit()
    if user is None:
        form.email.errors.append(
            "We could not create an account with this address. If it is yours, log in "
            "(your cart is kept) or use another address."
        )
        return False
    start_session(user)
    flash(f"Welcome, {user.name}! Your account is ready.", "success")
    return True


@bp.get("/checkout/review")
def review():
    """Every amount, computed by the server, and the Pay button (for details given without
    the summary's signed quote)."""
    details = session.get(DETAILS_KEY)
    if not details:
        return redirect(url_for("checkout.start"))
    gift = GiftChoice.from_details(details)
    try:
        quote = _quote(details.get("shipping_method", "standard"), gift)
    except InvalidInput as error:
        flash(str(error), "error")
        return redirect(url_for("checkout.start"))
    if quote.is_empty:
        flash("Your cart is empty: add a book before checking out.", "info")
        return redirect(url_for("cart.show"))
    if quote.shipping_method != "none" and address_from(details) is None:
        return redirect(url_for("checkout.start"))
    form = PlaceOrderForm(quote=quote_token(quote))
    return render_template(
        "checkout/review.html",
        quote=quote,
        details=details,
        form=form,
        country_name=COUNTRY_NAMES.get(details.get("ship_country", ""), ""),
        gift=gift,
    )


@bp.post("/checkout/place")
def place():
    """Pay from the review page (see ``_place_and_pay``)."""
    details = session.get(DETAILS_KEY)
    form = PlaceOrderForm()
    if not details or not form.validate_on_submit():
        flash("Please check your details before paying.", "error")
        return redirect(url_for("checkout.start"), 303)
    return _place_and_pay(form.quote.data, None)


def _place_and_pay(token: str, page: CheckoutPage | None):
    """Create the order and hold its copies (committed), then open its Stripe session and go
    there. The charge is exactly the total the shopper saw: if anything changed since (a
    price, the shipping method, the code), they see the new amounts instead."""
    details = session[DETAILS_KEY]
    reviewed = quote_from_token(token)
    now = utcnow()
    cart = _cart()
    method = details.get("shipping_method", "standard")
    code = session.get(CODE_KEY, "")
    gift = GiftChoice.from_details(details)
    try:
        quote = services.quote_cart(
            cart,
            shipping_method=method,
            now=now,
            config=current_app.config,
            gift=gift,
            code=code,
            email=details["email"],
        )
    except InvalidInput as error:
        if page is None:
            flash(str(error), "error")
            return redirect(url_for("checkout.start"), 303)
        page.alert, page.status = str(error), 400
        return page.render()
    if quote.code.problem:
        return _refused(quote.code.problem, page, quote)
    if reviewed is None or reviewed.fingerprint != quote.fingerprint:
        return _changed(page, quote)
    try:
        # Earlier unpaid checkouts of this cart are closed at Stripe and cancelled first
        # (which also gives back a code's use they held).
        payments.supersede_pending(cart, now=now, actor=_shopper())
        order = services.place_order(
            cart,
            user=_shopper(),
            email=details["email"],
            shipping_method=method,
            address=address_from(details),
            now=now,
            config=current_app.config,
            gift=gift,
            code=code,
        )
    except OutOfStock as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("cart.show"), 303)
    except PromoCodeRefused as error:
        db.session.rollback()
        return _refused(str(error), page, quote)
    except InvalidInput as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("checkout.start"), 303)
    if (order.total_cents, order.currency) != (reviewed.total_cents, reviewed.currency):
        db.session.rollback()
        return _changed(page, quote)
    _remember(order)
    return _pay(order, utcnow())


def _refused(message: str, page: CheckoutPage | None, quote):
    """The code cannot be used (any more): nothing is charged until the shopper removes it."""
    if page is None:
        flash(message, "error")
        return redirect(url_for("checkout.start"), 303)
    page.quote, page.code_error, page.status = quote, message, 409
    return page.render()


def _changed(page: CheckoutPage | None = None, quote=None):
    if page is None:
        flash("Your order changed since you reviewed it: please check the new amounts.", "error")
        return redirect(url_for("checkout.review"), 303)
    page.quote, page.status = quote, 409
    page.alert = (
        f"Your order changed since you reviewed it: the total is now "
        f"{format_cents(quote.total_cents, quote.currency)} (your shipping or gift choices, "
        "or our prices, changed it). Check the summary and press Pay again."
    )
    return page.render()


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
    try:
        order = payments.confirm_session(session_id, now=utcnow(), actor="customer").order
    except PaymentServiceUnavailable:
        db.session.rollback()
        confirming = True
    except NotFound:
        db.session.rollback()
        abort(404)
    if order is None or not _owns(order):
        abort(404)
    db.session.refresh(order)
    if order.state is not OrderState.PENDING_PAYMENT:
        session.pop(DETAILS_KEY, None)
        session.pop(CODE_KEY, None)
    return render_template(
        "checkout/success.html",
        order=order,
        confirming=confirming,
        downloads=download_links_of(order) if order.state.is_paid_like else [],
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


# "Buy again" registers its route on ``bp`` when imported.
from bookstore.checkout import reorder_views  # noqa: E402, F401
