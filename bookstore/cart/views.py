"""The cart page and its forms (blueprint ``cart`` at /cart).

Every POST redirects back (303) with a message, or answers JSON when the page's script asks
for it (``Accept: application/json``). A refused change rolls back: the cart stays as it was.
"""

from __future__ import annotations

from typing import Any, cast

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    g,
    has_request_context,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import ColumnElement
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.routing import BuildError

from bookstore import page_cache
from bookstore.accounts.export import register_export
from bookstore.accounts.models import User
from bookstore.accounts.sessions import fact_on_public_page, read_with_user
from bookstore.cart import forms, services
from bookstore.cart.add_form import add_form_part, edition_offer
from bookstore.cart.models import Cart
from bookstore.cart.pricing import price_cart
from bookstore.cart.rules import edition_label
from bookstore.cart.services import SESSION_KEY
from bookstore.cart.signals import connect_login_merge
from bookstore.catalog.book_html import register_edition_part
from bookstore.catalog.filters import cover_url
from bookstore.catalog.models import Book
from bookstore.dbtypes import utcnow
from bookstore.errors import BookstoreError
from bookstore.extensions import db
from bookstore.money import format_cents

bp = Blueprint("cart", __name__)
bp.record_once(lambda state: connect_login_merge(cast(Flask, state.app)))
bp.record_once(lambda state: register_export(cast(Flask, state.app), "cart", services.cart_data))
# The book page shows each edition's add-to-cart form first under its price.
bp.record_once(lambda state: register_edition_part(cast(Flask, state.app), add_form_part, order=10))


def _visitor() -> User | None:
    """The logged-in user, or ``None`` for a guest."""
    if not current_user.is_authenticated:
        return None
    return cast(User, current_user._get_current_object())


def _token() -> str | None:
    return session.get(SESSION_KEY) if _visitor() is None else None


def _max_per_line() -> int:
    return int(current_app.config["CART_MAX_PER_LINE"])


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def _back() -> str:
    values = request.form.getlist("next")
    target = forms.safe_next(values[0]) if len(values) == 1 else None
    return target or url_for("cart.show")


def _refused(error: BookstoreError) -> ResponseReturnValue:
    db.session.rollback()
    if _wants_json():
        return jsonify(ok=False, error=str(error)), 400
    flash(str(error), "error")
    return redirect(_back(), 303)


def _done(
    message: str, cart: Cart | None, edition_id: int | None = None, **extra: object
) -> ResponseReturnValue:
    if not _wants_json():
        flash(message, "success")
        return redirect(_back(), 303)
    pricing = price_cart(cart, today=utcnow().date(), config=current_app.config)
    currency = current_app.config.get("CURRENCY", "USD")
    line = pricing.line_for(edition_id) if edition_id is not None else None
    return jsonify(
        ok=True,
        message=message,
        edition_id=edition_id,
        quantity=line.quantity if line else 0,
        line_total=format_cents(line.line_total_cents, currency) if line else None,
        subtotal=format_cents(pricing.subtotal_cents, currency),
        shipping=format_cents(pricing.shipping_cents, currency),
        total=format_cents(pricing.total_cents, currency),
        subtotal_cents=pricing.subtotal_cents,
        shipping_cents=pricing.shipping_cents,
        total_cents=pricing.total_cents,
        item_count=pricing.item_count,
        **extra,
    )


def _copies(quantity: int, label: str) -> str:
    return f"{quantity} × {label}" if quantity > 1 else label


@bp.get("")
def show() -> ResponseReturnValue:
    user, token = _visitor(), _token()
    cart = services.find_cart(user, token)
    pricing = services.review_cart(cart, today=utcnow().date(), config=current_app.config)
    note_cart_count(pricing.item_count)  # as settled: quantities now what can be bought
    # Rendered before the commit, from the rows just read (a commit would expire them all).
    page = render_template(
        "cart/show.html",
        pricing=pricing,
        cart=cart,
        free_shipping_from=current_app.config.get("FREE_SHIPPING_OVER_CENTS"),
    )
    db.session.commit()
    if cart is None and token:
        session.pop(SESSION_KEY, None)  # purged or merged: stop asking for it
    return page


@bp.post("/add")
def add() -> ResponseReturnValue:
    try:
        edition_id, quantity = forms.read_line_change(request.form, max_per_line=_max_per_line())
        cart, line = services.add_to_visitor_cart(
            _visitor(), _token(), edition_id, quantity, max_per_line=_max_per_line()
        )
    except BookstoreError as error:
        return _refused(error)
    message = f"Added {_copies(quantity, edition_label(line.edition))} to your cart."
    # For the page's cart panel (static/js/site.js): what was added, with its cover.
    added = {"title": line.edition.book.title, "format": line.edition.format.label}
    if _wants_json():
        added["cover_url"] = cover_url(line.edition.book, "small")
    guest_token = cart.token if cart.user_id is None else None  # read before the commit
    db.session.commit()
    if guest_token is not None:
        session[SESSION_KEY] = guest_token
    return _done(message, cart, edition_id, added=added)


@bp.post("/update")
def update() -> ResponseReturnValue:
    try:
        edition_id, quantity = forms.read_line_change(request.form, max_per_line=_max_per_line())
        cart = services.visitor_cart(_visitor(), _token())
        line = services.set_quantity(cart, edition_id, quantity, max_per_line=_max_per_line())
    except BookstoreError as error:
        return _refused(error)
    message = f"{edition_label(line.edition)}: quantity {quantity}."
    db.session.commit()
    return _done(message, cart, edition_id)


@bp.post("/remove")
def remove() -> ResponseReturnValue:
    try:
        edition_id = forms.read_edition(request.form)
        cart = services.visitor_cart(_visitor(), _token())
        edition = services.remove_line(cart, edition_id)
    except BookstoreError as error:
        return _refused(error)
    message = f"Removed {edition_label(edition)} from your cart."
    db.session.commit()
    return _done(message, cart, edition_id)


@bp.post("/empty")
def empty() -> ResponseReturnValue:
    try:
        forms.read_nothing(request.form)
        cart = services.visitor_cart(_visitor(), _token())
        services.empty_cart(cart)
    except BookstoreError as error:
        return _refused(error)
    db.session.commit()
    return _done("Your cart is now empty.", cart)


@bp.app_context_processor
def cart_template_helpers() -> dict[str, Any]:
    """``cart_count`` for the header. The same functions for every page are Jinja globals
    (below), not worked out for each template rendered."""
    return {"cart_count": _cart_count()}


@read_with_user("cart_count")
def _user_cart_count(user_id: ColumnElement[int], _now: object) -> ColumnElement[int]:
    """The signed-in visitor's count for the header, read with the user."""
    return services.user_cart_count(user_id)


def note_cart_count(count: int) -> None:
    """The visitor's cart count as this request read it with the cart's lines (a GET that
    changes the cart no further): the header shows it without asking again."""
    g.cart_count_read = (_count_key(), count)


def _count_key() -> tuple[int | None, str | None]:
    user = _visitor()
    return (user.id, None) if user is not None else (None, _token())


# A guest with nothing in their session but a CSRF token has no cart.
@page_cache.per_visitor("cart-count", guest=lambda _app, _session: 0)
def _cart_count() -> int:
    if not has_request_context():
        return 0
    known = fact_on_public_page("cart_count")
    if known is not None:
        return int(known)
    # Once per request and visitor (the layout's parts, a page and its emails all ask).
    key = _count_key()
    kept = g.get("cart_count_read")
    if kept is not None and kept[0] == key:
        return int(kept[1])
    # One query at most; none for a guest without a cart token.
    try:
        count = services.cart_item_count(_visitor(), _token())
    except SQLAlchemyError:
        # The header count must never stop a page (an error page above all) from rendering.
        db.session.rollback()
        current_app.logger.warning("Cart count unavailable", exc_info=True)
        return 0
    g.cart_count_read = (key, count)
    return count


def _book_url(book: Book) -> str | None:
    try:
        return url_for("catalog.book", slug=book.slug)
    except BuildError:
        return None


# ``cart_offer(edition)`` for the add form, and ``cart_book_url(book)`` (``None`` until the
# catalog's book page exists).
bp.add_app_template_global(edition_offer, "cart_offer")
bp.add_app_template_global(_book_url, "cart_book_url")
