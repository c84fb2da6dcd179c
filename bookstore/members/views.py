"""The membership page, the account section and ``is_member`` for every template."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, session, url_for
from flask_login import current_user
from sqlalchemy import ColumnElement, exists

from bookstore import page_cache
from bookstore.accounts.closing import register_closure
from bookstore.accounts.export import register_export
from bookstore.accounts.sessions import read_with_user, visitor_facts
from bookstore.cart.services import SESSION_KEY as CART_SESSION_KEY
from bookstore.cart.services import open_cart, set_membership
from bookstore.dbtypes import utcnow
from bookstore.extensions import db
from bookstore.login_manager import visitor
from bookstore.members import services
from bookstore.members.forms import JoinForm
from bookstore.members.models import Membership
from bookstore.members.purchase import membership_of_order
from bookstore.members.services import MembershipStatus, membership_status
from bookstore.shoptime import format_shop_time

bp = Blueprint("members", __name__)


def current_membership() -> MembershipStatus:
    """The signed-in visitor's membership status, looked up once per request."""
    if "membership_status" not in g:
        visiting = visitor()
        user = visiting if getattr(visiting, "is_authenticated", False) else None
        g.membership_status = membership_status(user, utcnow())
    status: MembershipStatus = g.membership_status
    return status


@read_with_user("member_now")
def _member_now(user_id, now) -> ColumnElement[bool]:
    """Is the user a member at ``now``: asked with the user, for every page's audience."""
    return exists().where(
        Membership.user_id == user_id, Membership.starts_at <= now, Membership.ends_at > now
    )


@page_cache.member_test
def visitor_is_member() -> bool:
    """Is the signed-in visitor a member now? Read with the user (``accounts.sessions``), so it
    costs no query of its own."""
    if not getattr(visitor(), "is_authenticated", False):
        return False
    facts = visitor_facts()
    if facts is not None:
        return bool(facts["member_now"])
    return current_membership().is_member


class _LazyFlag:
    """A boolean worked out each time a template asks."""

    def __init__(self, compute):
        self._compute = compute

    def __bool__(self) -> bool:
        return bool(self._compute())

    def __eq__(self, other) -> bool:
        return bool(self) == other

    def __hash__(self) -> int:
        return hash(bool(self))


def _order_membership(order):
    return membership_of_order(order.id)


# For every template: Jinja globals, not a context processor run for each template rendered.
# ``is_member`` is lazy: pages that never ask (and anonymous visitors) cost no query.
bp.add_app_template_global(_LazyFlag(visitor_is_member), "is_member")  # type: ignore[arg-type]
bp.add_app_template_global(current_membership, "current_membership")
bp.add_app_template_global(_order_membership, "order_membership")


def _membership_ends(user) -> list[str]:
    """Closing the account ends a membership there and then: say so before it happens."""
    end = membership_status(user, utcnow()).ends_at
    if end is None:
        return []
    return [
        f"Your membership, paid until {format_shop_time(end, '%B %-d, %Y')}, ends with your "
        "account, and the member deals with it."
    ]


@bp.record_once
def _wire(state) -> None:
    register_closure(state.app, warns=_membership_ends)
    register_export(state.app, "memberships", services.memberships_data)


@bp.get("/membership")
def membership():
    """What members get, what it costs, and the visitor's own status."""
    return render_template(
        "members/membership.html",
        status=current_membership(),
        price_cents=current_app.config["MEMBERSHIP_PRICE_CENTS"],
    )


@bp.post("/membership/join")
def join():
    """Put a year of membership in the visitor's cart; it is paid for at checkout."""
    return _change_cart(True, "A year of membership is in your cart.")


@bp.post("/membership/leave-cart")
def leave_cart():
    """Take the membership out of the cart."""
    return _change_cart(False, "The membership is no longer in your cart.")


def _change_cart(wanted: bool, message: str):
    if not JoinForm().validate_on_submit():
        flash("Your form expired: try again.", "error")
        return redirect(url_for("members.membership"), 303)
    user = current_user._get_current_object() if current_user.is_authenticated else None
    cart = open_cart(user, None if user else session.get(CART_SESSION_KEY))
    set_membership(cart, wanted)
    db.session.commit()
    if user is None:
        session[CART_SESSION_KEY] = cart.token
    flash(message, "success")
    return redirect(url_for("cart.show"), 303)
