"""The membership page, the account section and ``is_member`` for every template."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, url_for
from flask_login import current_user, login_required

from bookstore.dbtypes import utcnow
from bookstore.members.forms import JoinForm
from bookstore.members.purchase import start_membership_order
from bookstore.members.services import membership_status

bp = Blueprint("members", __name__)


def current_membership():
    """The signed-in visitor's membership status, looked up once per request."""
    if "membership_status" not in g:
        user = current_user if getattr(current_user, "is_authenticated", False) else None
        g.membership_status = membership_status(user, utcnow())
    return g.membership_status


@bp.app_context_processor
def _membership_globals() -> dict:
    # Lazy: pages that never ask (and anonymous visitors) cost no query.
    return {
        "is_member": _LazyFlag(lambda: current_membership().is_member),
        "current_membership": current_membership,
    }


class _LazyFlag:
    """A boolean worked out on first use in a template."""

    def __init__(self, compute):
        self._compute = compute

    def __bool__(self) -> bool:
        return bool(self._compute())

    def __eq__(self, other) -> bool:
        return bool(self) == other

    def __hash__(self) -> int:
        return hash(bool(self))


@bp.get("/membership")
def membership():
    """What members get, what it costs, and the visitor's own status."""
    return render_template(
        "members/membership.html",
        status=current_membership(),
        price_cents=current_app.config["MEMBERSHIP_PRICE_CENTS"],
    )


@bp.post("/membership/join")
@login_required
def join():
    """Buy (or renew) a year of membership: an order paid on Stripe's page like any other."""
    from bookstore.checkout.views import _pay, _remember

    form = JoinForm()
    if not form.validate_on_submit():
        flash("Your form expired: try again.", "error")
        return redirect(url_for("members.membership"), 303)
    now = utcnow()
    order = start_membership_order(current_user, now=now, config=current_app.config)
    _remember(order)
    return _pay(order, now)
