"""The wishlist page, "Save for later" (books and cart lines) and "Move to cart"."""

from __future__ import annotations

from typing import Any, cast

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from markupsafe import Markup
from werkzeug.wrappers import Response

from bookstore import page_cache
from bookstore.accounts.export import register_export
from bookstore.accounts.sessions import has_none_on_public_page, read_with_user
from bookstore.alerts import services as alert_services
from bookstore.alerts.forms import ButtonForm, read_edition_id
from bookstore.cart.forms import safe_next
from bookstore.cart.rules import edition_label
from bookstore.catalog.book_html import register_edition_part
from bookstore.errors import BookstoreError
from bookstore.extensions import db
from bookstore.login_manager import visitor
from bookstore.wishlist import services
from bookstore.wishlist.edition_actions import ReaderForms, edition_actions_part

bp = Blueprint("wishlist", __name__)
# The book page shows each edition's Save for later and alert buttons after its cart form.
bp.record_once(
    lambda state: register_edition_part(
        cast(Flask, state.app), edition_actions_part(edition_reader_actions), order=20
    )
)
bp.record_once(
    lambda state: register_export(cast(Flask, state.app), "wishlist", services.wishlist_data)
)


@bp.app_context_processor
def _wishlist_helpers() -> dict[str, Any]:
    saved: dict[str, set[int]] = {}

    def is_saved(edition_id: int) -> bool:
        # Signed-in pages only (never cached): one query per page, however many editions.
        if not current_user.is_authenticated:
            return False
        if "ids" not in saved:
            saved["ids"] = services.saved_edition_ids(current_user)
        return edition_id in saved["ids"]

    return {"wishlist_has": is_saved}


@read_with_user("has_saved")
def _has_saved(user_id, _now):
    """Whether the reader saved anything, read with them (see edition_reader_actions)."""
    return services.saved_any(user_id)


@page_cache.visitor_part("edition-actions")
def edition_reader_actions(places: list[tuple]) -> list[Markup]:
    """A signed-in reader's Save for later and alert state for each (edition id, alert
    choice, label) place on a page: two queries whatever the number of editions."""
    user = visitor()
    if not user.is_authenticated:
        return [Markup() for _ in places]
    saved = (
        set()
        if has_none_on_public_page("has_saved")
        else services.saved_among(user, [place[0] for place in places])
    )
    alerts = alert_services.open_alert_ids(user, [place[0] for place in places if place[1]])
    forms = ReaderForms.of_page()
    html = (
        forms.actions(eid, choice, what, eid in saved, alerts.get(eid))
        for eid, choice, what in places
    )
    return [Markup(part) for part in html]  # noqa: S704  (ReaderForms escapes what it writes)


@bp.get("")
@login_required
def show() -> str:
    """The reader's wishlist: price, availability, Move to cart; and their open alerts."""
    return render_template(
        "wishlist/show.html",
        items=services.items_of(current_user),
        alerts=alert_services.alerts_of(current_user),
        form=ButtonForm(),
    )


def _edition_id() -> int:
    return read_edition_id(request.form.get("edition_id"))


def _back(default: str) -> Response:
    return redirect(safe_next(request.form.get("next")) or default, 303)


def _checked(action) -> Response | None:
    """Run ``action`` (edition id -> message) for a valid form; flash the outcome."""
    if not ButtonForm().validate_on_submit():
        flash("That form has expired. Please try again.", "error")
        return None
    try:
        message = action(_edition_id())
    except BookstoreError as error:
        db.session.rollback()
        flash(str(error), "error")
        return None
    db.session.commit()
    flash(message, "success")
    return None


@bp.post("/add")
@login_required
def add() -> Response:
    """ "Save for later" on a book page."""
    _checked(
        lambda eid: f"Saved {edition_label(services.save(current_user, eid))} to your wishlist."
    )
    return _back(url_for("wishlist.show"))


@bp.post("/remove")
@login_required
def remove() -> Response:
    """Take a book off the wishlist."""

    def action(eid: int) -> str:
        services.remove(current_user, eid)
        return "Removed from your wishlist."

    _checked(action)
    return _back(url_for("wishlist.show"))


@bp.post("/move-to-cart")
@login_required
def move_to_cart() -> Response:
    """One copy into the cart, off the wishlist."""
    max_per_line = int(current_app.config["CART_MAX_PER_LINE"])

    def action(eid: int) -> str:
        line = services.move_to_cart(current_user, eid, max_per_line=max_per_line)
        return f"Moved {edition_label(line.edition)} to your cart."

    _checked(action)
    return _back(url_for("wishlist.show"))


@bp.post("/save-cart-line")
@login_required
def save_cart_line() -> Response:
    """ "Save for later" on a cart line: out of the cart, onto the wishlist."""

    def action(eid: int) -> str:
        edition = services.save_cart_line(current_user, eid)
        return f"Saved {edition_label(edition)} for later: it is on your wishlist."

    _checked(action)
    return _back(url_for("cart.show"))
