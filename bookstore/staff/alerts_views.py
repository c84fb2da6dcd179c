"""Staff screens for availability alerts and cart reminders: who waits for what, and stopping
the alerts of an edition that will not come back."""

from __future__ import annotations

from datetime import timedelta

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, select

from bookstore.alerts import services
from bookstore.alerts.models import ReminderOptOut
from bookstore.cart.models import Cart
from bookstore.catalog.models import Edition
from bookstore.dbtypes import utcnow
from bookstore.extensions import db
from bookstore.staff.audit import record
from bookstore.staff.forms import ConfirmForm
from bookstore.staff.views import bp

RECENT = timedelta(days=30)


@bp.context_processor
def _alert_counts() -> dict:
    # The edition and book screens show how many readers wait for an edition.
    return {
        "alerts_waiting": lambda edition_id: services.waiting_counts([edition_id]).get(
            edition_id, 0
        )
    }


@bp.get("/alerts")
def alerts():
    """Editions readers wait for (most first), and the cart reminders of the last 30 days."""
    since = utcnow() - RECENT
    reminded = db.session.scalar(
        select(func.count()).select_from(Cart).where(Cart.reminded_at >= since)
    )
    opted_out = db.session.scalar(select(func.count()).select_from(ReminderOptOut))
    return render_template(
        "staff/alerts.html",
        rows=services.summary_by_edition(since),
        reminded=reminded or 0,
        opted_out=opted_out or 0,
        form=ConfirmForm(),
    )


@bp.post("/editions/<int:edition_id>/alerts/stop")
def stop_edition_alerts(edition_id: int):
    """Stop every open alert of an edition (nobody is emailed)."""
    edition = db.get_or_404(Edition, edition_id)
    if ConfirmForm().validate_on_submit():
        stopped = services.cancel_for_edition(edition.id, utcnow())
        record(
            current_user,
            "alerts.stop",
            edition,
            after={"stopped": stopped},
            summary=f"Stopped {stopped} alert(s) for {edition.book.title} ({edition.format.value})",
        )
        db.session.commit()
        flash(f"Stopped {stopped} alert(s): nobody will be emailed about it.", "success")
    else:
        flash("That form has expired. Please try again.", "error")
    return redirect(url_for("staff.alerts"), 303)
