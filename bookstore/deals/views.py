"""The member deals page and claiming a deal."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from bookstore.dbtypes import utcnow
from bookstore.deals import services
from bookstore.deals.forms import ClaimForm
from bookstore.errors import BookstoreError
from bookstore.extensions import db
from bookstore.members.views import current_membership

bp = Blueprint("deals", __name__)


@bp.get("/")
def index():
    """Open deals for everyone; members also see their claims and a Claim button."""
    now = utcnow()
    user = current_user if current_user.is_authenticated else None
    return render_template(
        "deals/index.html",
        deals=services.open_deals(now),
        upcoming=services.upcoming_deals(now, limit=5),
        claims=services.claims_of(user),
        status=current_membership(),
        form=ClaimForm(),
    )


@bp.post("/<int:deal_id>/claim")
@login_required
def claim(deal_id: int):
    """Claim a deal for the signed-in member."""
    form = ClaimForm()
    if not form.validate_on_submit():
        flash("Your form expired: try again.", "error")
        return redirect(url_for("deals.index"))
    try:
        deal = services.get_deal(deal_id)
        services.claim_deal(deal, current_user, utcnow())
    except BookstoreError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(f"You claimed “{deal.title}”: choose it in your cart to use it.", "success")
    return redirect(url_for("deals.index", _anchor=f"deal-{deal_id}"))
