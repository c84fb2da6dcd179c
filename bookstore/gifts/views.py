"""Gift pages: give a year of membership, claim one, and the gift receipt (no prices)."""

from __future__ import annotations

from typing import cast

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user

from bookstore.accounts import services as account_services
from bookstore.accounts.models import User
from bookstore.accounts.ratelimits import IP_MESSAGE, signup_limit
from bookstore.accounts.sessions import start_session
from bookstore.cart.services import SESSION_KEY as CART_SESSION_KEY
from bookstore.cart.services import find_cart, open_cart
from bookstore.checkout.services import order_by_reference
from bookstore.dbtypes import utcnow
from bookstore.errors import BookstoreError, InvalidInput, NotFound
from bookstore.extensions import db, limiter
from bookstore.gifts import memberships, services
from bookstore.gifts.forms import ClaimForm, ClaimWithNewAccountForm, GiftMembershipForm

bp = Blueprint("gifts", __name__)


def _order_gift_membership(order):
    return memberships.of_order(order.id)


# For every template: Jinja globals, not a context processor run for each template rendered.
bp.add_app_template_global(services.gift_of, "order_gift")
bp.add_app_template_global(_order_gift_membership, "order_gift_membership")
bp.add_app_template_global(services.gift_receipt_token, "gift_receipt_token")
bp.add_app_template_global(utcnow, "gift_now")


def _shopper() -> User | None:
    if current_user.is_authenticated:
        return cast(User, current_user._get_current_object())
    return None


@bp.route("/gifts/membership", methods=["GET", "POST"])
def give_membership():
    """Give a year of membership: the recipient's email goes in the cart with the year."""
    form = GiftMembershipForm()
    if form.validate_on_submit():
        user = _shopper()
        cart = open_cart(user, None if user else session.get(CART_SESSION_KEY))
        try:
            memberships.put_in_cart(
                cart,
                email=form.recipient_email.data,
                name=form.recipient_name.data,
                message=form.message.data,
                buyer=user,
            )
        except InvalidInput as error:
            db.session.rollback()
            form.recipient_email.errors = [*form.recipient_email.errors, str(error)]
        else:
            db.session.commit()
            if user is None:
                session[CART_SESSION_KEY] = cart.token
            flash(
                f"A year of membership for {cart.gift_email} is in your cart. "
                "They get an email to claim it once you have paid.",
                "success",
            )
            return redirect(url_for("cart.show"), 303)
    status = 400 if form.errors else 200
    return render_template(
        "gifts/give_membership.html",
        form=form,
        price_cents=current_app.config["MEMBERSHIP_PRICE_CENTS"],
        claim_days=memberships.claim_days(),
    ), status


@bp.post("/gifts/membership/remove")
def remove_membership():
    """Take the gift membership out of the cart."""
    if not ClaimForm().validate_on_submit():
        flash("Your form expired: try again.", "error")
        return redirect(url_for("cart.show"), 303)
    cart = find_cart(_shopper(), session.get(CART_SESSION_KEY))
    if cart is not None and cart.gift_email:
        memberships.take_out_of_cart(cart)
        db.session.commit()
        flash("The gift membership is no longer in your cart.", "success")
    return redirect(url_for("cart.show"), 303)


def _not_opening_an_account() -> bool:
    return "password" not in request.form


@bp.route("/gifts/claim/<token>", methods=["GET", "POST"])
@limiter.limit(
    signup_limit, methods=["POST"], error_message=IP_MESSAGE, exempt_when=_not_opening_an_account
)
def claim(token: str):
    """A gift membership's link: claim it into the signed-in account or a new one."""
    now = utcnow()
    try:
        gift = memberships.gift_by_token(token)
    except NotFound as error:
        return render_template("gifts/claim_problem.html", message=str(error)), 404
    try:
        memberships.check_claimable(gift, now=now)
    except InvalidInput as error:
        return render_template("gifts/claim_problem.html", message=str(error), gift=gift), 410
    user = _shopper()
    claim_form = ClaimForm(prefix="claim")
    account_form = ClaimWithNewAccountForm(prefix="account")
    status = 200
    if request.method == "POST":
        if user is not None and claim_form.validate_on_submit():
            return _claim(token, user, now)
        if user is None and account_form.validate_on_submit():
            created = _new_account(account_form, gift.recipient_email)
            if created is not None:
                return _claim(token, created, now, new_account=True)
        if not (claim_form.errors or account_form.errors):
            flash("Your form expired: try again.", "error")
        status = 400
    return render_template(
        "gifts/claim.html",
        gift=gift,
        token=token,
        claim_form=claim_form,
        account_form=account_form,
        is_buyer=user is not None and user.id == gift.buyer_id,
    ), status


def _new_account(form: ClaimWithNewAccountForm, email: str) -> User | None:
    try:
        user = account_services.sign_up(
            name=form.name.data, email=email, password=form.password.data
        )
    except BookstoreError as error:
        db.session.rollback()
        form.password.errors = [*form.password.errors, str(error)]
        return None
    if user is None:
        db.session.rollback()
        form.name.errors = [
            *form.name.errors,
            f"There is already an account for {email}: log in to claim your gift.",
        ]
        return None
    return user


def _claim(token: str, user: User, now, *, new_account: bool = False):
    try:
        memberships.claim(token, user, now=now)
    except BookstoreError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("gifts.claim", token=token), 303)
    db.session.commit()
    if new_account:
        start_session(user)
    flash("Your year of membership has started. Welcome!", "success")
    return redirect(url_for("members.membership"), 303)


@bp.get("/gift-receipt/<token>")
def receipt(token: str):
    """A gift receipt: what was sent and the message, without prices."""
    try:
        order = order_by_reference(services.reference_from_receipt_token(token))
    except NotFound:
        abort(404)
    gift = services.gift_of(order)
    if gift is None or not order.state.is_paid_like:
        abort(404)
    return render_template("gifts/receipt.html", order=order, gift=gift)
