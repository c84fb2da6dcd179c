"""The checkout page: details beside the order summary (promotion code, signed quote, Pay),
and the review page for details given without the summary. Routes on ``views.bp``."""

from __future__ import annotations

from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from bookstore.accounts import services as account_services
from bookstore.accounts.ratelimits import (
    ACCOUNT_MESSAGE,
    IP_MESSAGE,
    account_limit,
    signup_limit,
    submitted_email,
)
from bookstore.accounts.sessions import start_session
from bookstore.alerts.reminders import note_checkout_consent
from bookstore.cart.views import note_cart_count
from bookstore.checkout import addresses as checkout_addresses
from bookstore.checkout import payments, services
from bookstore.checkout.forms import (
    COUNTRY_NAMES,
    CheckoutDetailsForm,
    CheckoutWithAccountForm,
    PlaceOrderForm,
    address_from,
    country_phrase,
    home_place,
    parcel_place,
    quote_from_token,
    quote_token,
)
from bookstore.checkout.views import (
    CODE_KEY,
    DETAILS_KEY,
    _cart,
    _pay,
    _remember,
    _shopper,
    bp,
)
from bookstore.dbtypes import utcnow
from bookstore.errors import (
    BookstoreError,
    InvalidInput,
    OutOfStock,
    PromoCodeRefused,
)
from bookstore.extensions import db, limiter
from bookstore.gifts import services as gift_services
from bookstore.gifts.services import GiftChoice
from bookstore.money import format_cents
from bookstore.promotions.pricing import normalise_code
from bookstore.shipping import services as shipping
from bookstore.tax.services import Place, any_rates

# The cart page says tax may follow at checkout, where the shop charges any, and that
# shipping abroad is priced there, where it differs.
bp.add_app_template_global(any_rates, "sales_tax_charged")


@bp.app_template_global("home_if_abroad_priced")
def _home_if_abroad_priced() -> str:
    """The shop's own country's name when shipping abroad costs otherwise, else ""."""
    if not shipping.any_rates():
        return ""
    return country_phrase(shipping.home_country(current_app.config))


def _shipping_labels(quote) -> dict[str, str]:
    """Each method that goes where the parcel goes, with its price and delivery date (abroad,
    where staff gave the days): "Standard, arrives by Thu, Dec 17 (5 to 8 business days):
    $5.00" (bookstore/delivery.py), "Standard to Canada, arrives by ...: $14.00"."""
    from bookstore.delivery import delivery_promises

    currency = current_app.config.get("CURRENCY", "USD")
    tariff = quote.tariff
    options = services.shipping_options(
        quote.subtotal_cents, True, current_app.config, tariff=tariff, copies=quote.copies or 1
    )
    abroad = country_phrase(tariff.country) if tariff and tariff.country else ""
    if not abroad:
        promises = delivery_promises()
    else:  # the days staff gave for that country, if any
        promises = delivery_promises(days=dict(tariff.days)) if tariff and tariff.days else {}
    where = f" to {abroad}" if abroad else ""
    labels = {}
    for method, cents in options.items():
        price = format_cents(cents, currency) if cents else "free"
        promise = promises.get(method)
        if promise is None:
            labels[method] = f"{method.title()}{where}: {price}"
            continue
        labels[method] = (
            f"{promise.name}{where}, arrives by {promise.arrives_by_label} "
            f"({promise.days_label}): {price}"
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
    places: Places | None = None,
):
    """The cart's quote; its sales tax is for ``places`` (by default those given)."""
    parcel, home = _places(session.get(DETAILS_KEY) or {}) if places is None else places
    return services.quote_cart(
        _cart(),
        shipping_method=method,
        now=utcnow(),
        config=current_app.config,
        gift=gift,
        code=session.get(CODE_KEY, "") if code is None else code,
        email=_known_email() if email is None else email,
        ship_to=parcel,
        lives_in=home,
    )


# Where the parcel goes and where an ebook buyer lives, as far as known: their sales tax.
Places = tuple[Place | None, Place | None]


def _places(details: dict) -> Places:
    return parcel_place(details), home_place(details)


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
    shopper = _shopper()
    saved = session.get(DETAILS_KEY) or {}
    if not saved and shopper is not None:
        saved = {"email": current_user.email, "ship_name": current_user.name}
    saved = checkout_addresses.prefill(saved, shopper, request.args.get("address", ""))
    gift = GiftChoice.from_details(session.get(DETAILS_KEY) or {})
    quote = _page_quote(method, gift, places=_places(saved))
    if request.method == "GET":
        note_cart_count(quote.pricing.stored_count)
    if quote.is_empty:
        flash("Your cart is empty: add a book before checking out.", "info")
        return redirect(url_for("cart.show"))
    physical = quote.shipping_method != "none"
    asks_home = _asks_home(quote)
    if asks_home and saved.get("tax_country"):
        saved = {**saved, "ship_country": saved["tax_country"], "ship_region": saved["tax_region"]}
    needs_account = quote.membership_cents is not None and shopper is None
    form_class = CheckoutWithAccountForm if needs_account else CheckoutDetailsForm
    form = form_class(
        data=saved,
        physical=physical,
        # Any method is accepted from the form (the quote says when one does not go there);
        # the page offers only those that do (``CheckoutPage.render``).
        shipping_labels={m: m.title() for m in services.SHIPPING_METHODS}
        | (_shipping_labels(quote) if physical else {}),
        can_save_address=shopper is not None,
        wrap_label=gift_services.wrap_label(),
        asks_home=asks_home,
    )
    page = CheckoutPage(form, quote, checkout_addresses.choices(shopper) if physical else [])
    page.places = _places(saved)
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
            if _shopper() is None:
                note_checkout_consent(_cart(), form.email.data, bool(form.cart_reminder.data))
            db.session.commit()
            session[DETAILS_KEY] = details
            if not form.quote.data:
                # A details-only submission (no summary on it): review, then pay.
                return redirect(url_for("checkout.review"), 303)
            return _place_and_pay(form.quote.data, page)
        else:
            page.status = 400
        page.places = _typed_places(form)
        page.quote = _page_quote(method, _posted_gift(form), form.email.data or "", page.places)
        form.code.data = ""
    return page.render()


def _page_quote(
    method: str, gift: GiftChoice | None, email: str | None = None, places: Places = (None, None)
):
    """The quote the checkout page shows, with the sales tax of the ``places`` on the form;
    gift wrap that is no longer offered is left out (paying says so)."""
    try:
        return _quote(method, gift, email=email, places=places)
    except InvalidInput:
        return _quote(method, None, email=email, places=places)


def _posted_gift(form) -> GiftChoice | None:
    """The gift options as ticked on the form just posted."""
    if not getattr(form, "physical", False) or form.gift is None:
        return None
    return GiftChoice.from_details({"gift": form.gift.form.choice()})


def _asks_home(quote) -> bool:
    """Ebooks alone, where the shop taxes ebooks somewhere: the buyer says where they live."""
    if quote.shipping_method != "none" or all(p.edition.is_physical for p in quote.lines):
        return False
    return any_rates(on_ebooks=True)


def _typed_places(form) -> Places:
    """Where the parcel goes (or the ebook buyer lives) as typed on the form just posted."""
    if form.physical:
        typed = {name: getattr(form, name).data for name in ("ship_line1", "ship_country")}
        return parcel_place({**typed, "ship_region": form.ship_region.data}), None
    if form.asks_home:
        typed = {"tax_country": form.ship_country.data, "tax_region": form.ship_region.data}
        return None, home_place(typed)
    return None, None


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
        # Where the books go, once given: it decides the sales tax.
        self.places: Places = (None, None)
        self.code_error: str | None = None
        self.code_note = ""
        self.alert = ""
        self.status = 200

    def render(self):
        self.form.quote.data = quote_token(self.quote)
        if self.form.physical and self.quote.tariff is not None:
            self._offer_methods()
        page = render_template(
            "checkout/start.html",
            form=self.form,
            quote=self.quote,
            code_error=self.code_error or self.quote.code.problem,
            code_note=self.code_note,
            alert=self.alert,
            saved_addresses=self.saved_addresses,
            tax_note=self._tax_note(),
        )
        return page, self.status

    def _offer_methods(self) -> None:
        """The shipping methods that go where the summary's parcel goes, the quoted one
        chosen when the shopper's choice does not go there."""
        labels = _shipping_labels(self.quote)
        field = self.form.shipping_method
        field.choices = [SelectChoice(value, text) for value, text in labels.items()]
        if field.data not in labels:
            field.data = self.quote.shipping_method

    def _tax_note(self) -> str:
        """Before an address is given, say that sales tax may follow (where the shop has any)."""
        parcel, home = self.places
        if self.form.asks_home:
            return "" if home is not None else "Added for where you live, where due"
        if parcel is not None:
            return ""
        if self.quote.shipping_method == "none":
            return ""
        return "Added for your address, where due" if any_rates() else ""


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
    note_cart_count(quote.pricing.stored_count)
    if quote.is_empty:
        flash("Your cart is empty: add a book before checking out.", "info")
        return redirect(url_for("cart.show"))
    if quote.shipping_method != "none" and address_from(details) is None:
        return redirect(url_for("checkout.start"))
    if details.get("shipping_method") == "express" and quote.shipping_method == "standard":
        country = country_phrase(quote.tariff.country) if quote.tariff else "your address"
        flash(f"Express shipping does not go to {country}: the order ships by standard.", "info")
    form = PlaceOrderForm(quote=quote_token(quote))
    return render_template(
        "checkout/review.html",
        quote=quote,
        details=details,
        form=form,
        country_name=COUNTRY_NAMES.get(details.get("ship_country", ""), ""),
        country_names=COUNTRY_NAMES,
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
    if page is not None:
        page.places = _places(details)
    try:
        quote = services.quote_cart(
            cart,
            shipping_method=method,
            now=now,
            config=current_app.config,
            gift=gift,
            code=code,
            email=details["email"],
            ship_to=parcel_place(details),
            lives_in=home_place(details),
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
        return _changed(page, quote, reviewed)
    try:
        # Earlier unpaid checkouts of this cart are closed at Stripe and cancelled first
        # (which also gives back a code's use they held).
        replaced = payments.supersede_pending(cart, now=now, actor=_shopper())
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
            # Nothing was committed since the quote was made unless earlier checkouts were
            # replaced: then what they gave back is priced anew.
            quote=None if replaced else quote,
            lives_in=home_place(details),
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


def _changed(page: CheckoutPage | None = None, quote=None, reviewed=None):
    if page is None:
        flash("Your order changed since you reviewed it: please check the new amounts.", "error")
        return redirect(url_for("checkout.review"), 303)
    page.quote, page.status = quote, 409
    total = format_cents(quote.total_cents, quote.currency)
    abroad = quote.tariff.country if quote.tariff is not None else ""
    country = country_phrase(abroad)
    fee = format_cents(quote.shipping_cents, quote.currency) if quote.shipping_cents else "free"
    chosen = (session.get(DETAILS_KEY) or {}).get("shipping_method")
    if chosen == "express" and quote.shipping_method == "standard":
        page.alert = (
            f"Express shipping does not go to {country or 'your address'}: the order ships by "
            f"standard shipping ({fee}), and the total is now {total}. Check the summary and "
            "press Pay again."
        )
        return page.render()
    if reviewed is not None and reviewed.total_cents == quote.total_cents - quote.tax_cents:
        # What the summary showed, with only the tax of the address just given added.
        tax = format_cents(quote.tax_cents, quote.currency)
        where = "your address" if quote.shipping_method != "none" else "where you live"
        page.alert = (
            f"{quote.tax.label} for {where} adds {tax}: the total is now {total}. "
            "Check the summary and press Pay again."
        )
        return page.render()
    if abroad:
        page.alert = (
            f"Your order changed: shipping to {country} is {fee} by {quote.shipping_method} "
            f"shipping, and the total is now {total}. Check the summary and press Pay again."
        )
        return page.render()
    page.alert = (
        f"Your order changed since you reviewed it: the total is now {total} (your "
        "address's sales tax, your shipping or gift choices, or our prices, changed it). "
        "Check the summary and press Pay again."
    )
    return page.render()
