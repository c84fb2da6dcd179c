"""The "Buy again" button of an order (account orders and the order page)."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, session, url_for

from bookstore.cart.services import SESSION_KEY as CART_SESSION_KEY
from bookstore.cart.services import open_cart
from bookstore.checkout.buy_again import buy_again
from bookstore.checkout.forms import ActionForm
from bookstore.checkout.views import _owned_order, _shopper, bp
from bookstore.extensions import db


@bp.post("/account/orders/<reference>/buy-again")
def buy_again_view(reference: str):
    """Put the order's editions that are still sold in the cart, and say what was not."""
    order = _owned_order(reference)
    if not ActionForm().validate_on_submit():
        abort(400)
    user = _shopper()
    cart = open_cart(user, None if user else session.get(CART_SESSION_KEY))
    result = buy_again(order, cart, max_per_line=int(current_app.config["CART_MAX_PER_LINE"]))
    db.session.commit()
    if user is None:
        session[CART_SESSION_KEY] = cart.token
    if result.added:
        flash(f"Added to your cart: {', '.join(result.added)}.", "success")
    for reason in result.refused:
        flash(reason, "error")
    if not result.added and not result.refused:
        flash("This order had no books to buy again.", "info")
    return redirect(url_for("cart.show"), 303)
