"""Availability alerts (sign-up, confirm, stop) and the cart reminders' unsubscribe link."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from bookstore.accounts.confirming import register_confirmed
from bookstore.accounts.export import register_export
from bookstore.alerts import reminders, services
from bookstore.alerts.forms import AlertForm, ButtonForm, GuestAlertForm, read_edition_id
from bookstore.alerts.models import AlertKind
from bookstore.alerts.release import release_ready
from bookstore.cart.forms import safe_next
from bookstore.catalog.availability import Availability, StockState
from bookstore.catalog.book_rows import PageEdition
from bookstore.catalog.filters import availability
from bookstore.catalog.models import Edition
from bookstore.dbtypes import utcnow
from bookstore.errors import BookstoreError, InvalidInput
from bookstore.extensions import csrf, db, limiter
from bookstore.links import external_url
from bookstore.mail import send_after_commit

bp = Blueprint("alerts", __name__)

SUBSCRIBE_LIMIT = "5/minute;30/hour"
LIMIT_MESSAGE = "Too many alert requests from your network. Wait a minute, then try again."


def alert_choice(edition: Edition | PageEdition, av: Availability | None = None) -> str | None:
    """What the book page offers to wait for on this edition (no query beyond the page's),
    given its availability now when known."""
    if not edition.active or edition.out_of_print:
        return None
    if av is None:
        av = availability(edition)  # type: ignore[arg-type]  # a PageEdition reads as one
    if av.state is StockState.OUT_OF_STOCK:
        return AlertKind.BACK_IN_STOCK.value
    if av.state is StockState.PREORDER:
        sold_out = edition.is_physical and (av.available or edition.available or 0) <= 0
        return (AlertKind.BACK_IN_STOCK if sold_out else AlertKind.PUBLICATION).value
    return None


def _my_alert(edition: Edition):
    if not current_user.is_authenticated:
        return None
    return services.open_alert(current_user, edition.id)


# For every template: Jinja globals, not a context processor run for each template rendered.
bp.add_app_template_global(alert_choice, "alert_choice")
bp.add_app_template_global(_my_alert, "my_alert")
bp.add_app_template_global(AlertForm, "alert_form")


@bp.record_once
def _wire(state) -> None:
    register_export(state.app, "alerts", services.alerts_data)
    register_confirmed(state.app, services.claim_guest_alerts)


def _back(edition: Edition | None = None) -> str:
    target = safe_next(request.form.get("next"))
    if target:
        return target
    if edition is not None:
        return url_for("catalog.book", slug=edition.book.slug)
    return url_for("catalog.browse")


@bp.post("/")
@limiter.limit(SUBSCRIBE_LIMIT, error_message=LIMIT_MESSAGE)
def subscribe() -> Response | tuple[str, int] | str:
    """ "Email me when it's available": one click signed in; a guest gets a confirmation link."""
    signed_in = current_user.is_authenticated
    form = AlertForm() if signed_in else GuestAlertForm()
    try:
        edition_id = read_edition_id(request.form.get("edition_id"))
    except InvalidInput as error:
        return render_template("alerts/problem.html", message=str(error)), 400
    edition = db.session.get(Edition, edition_id)
    if edition is None:
        return render_template("alerts/problem.html", message="That book could not be found."), 404
    if not form.validate_on_submit():
        return render_template("alerts/signup.html", form=form, edition=edition), 400
    now = utcnow()
    try:
        if signed_in:
            services.subscribe_user(current_user, edition_id, now)
        else:
            alert = services.subscribe_guest(form.email.data or "", edition_id, now)
            if alert is not None:
                _send_confirmation(alert, edition)
    except BookstoreError as error:
        db.session.rollback()
        if signed_in:
            flash(str(error), "error")
            return redirect(_back(edition), 303)
        form.email.errors.append(str(error))
        return render_template("alerts/signup.html", form=form, edition=edition), 400
    db.session.commit()
    if signed_in:
        flash(
            f"We will email you once when {edition.book.title} ({edition.format.label.lower()}) "
            "can be ordered.",
            "success",
        )
        return redirect(_back(edition), 303)
    return render_template("alerts/check_inbox.html", edition=edition)


def _send_confirmation(alert, edition: Edition) -> None:
    send_after_commit(
        alert.email,
        f"Confirm your alert for {edition.book.title}",
        "stock_alert_confirm",
        confirm_url=external_url("alerts.confirm", token=services.confirmation_token(alert)),
        edition=edition,
        days=services.CONFIRM_MAX_AGE.days,
    )


@bp.get("/confirm/<token>")
def confirm(token: str) -> tuple[str, int] | str:
    """Follow a guest's confirmation link: the alert waits (or fires, if it is ready now)."""
    now = utcnow()
    try:
        alert = services.confirm(token, now)
    except BookstoreError as error:
        db.session.rollback()
        return render_template("alerts/problem.html", message=str(error)), 400
    # Copies may have come while the email was on its way: then the alert ends at once.
    release_ready([alert.edition_id], now)
    db.session.commit()
    return render_template("alerts/confirmed.html", alert=alert)


@bp.post("/<int:alert_id>/cancel")
@login_required
def cancel(alert_id: int) -> Response:
    """A signed-in reader stops one of their alerts."""
    if ButtonForm().validate_on_submit():
        try:
            services.cancel_for_user(current_user, alert_id, utcnow())
        except BookstoreError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash("Alert stopped: we will not email you about that book.", "success")
    else:
        flash("That form has expired. Please try again.", "error")
    return redirect(safe_next(request.form.get("next")) or url_for("wishlist.show"), 303)


@bp.get("/stop/<token>")
def unsubscribe(token: str) -> tuple[str, int] | str:
    """The "stop alerts" page (a GET never changes anything: link scanners follow links)."""
    try:
        waiting = services.open_alerts_for_token(token)
    except BookstoreError as error:
        return render_template("alerts/problem.html", message=str(error)), 400
    return render_template("alerts/unsubscribe.html", token=token, waiting=waiting)


@bp.post("/stop/<token>")
@csrf.exempt
def unsubscribe_now(token: str) -> tuple[str, int] | str:
    """Stop every open alert of the link's reader: RFC 8058 one-click POST or the page's button.

    No CSRF token and no login: the signed token is the authorisation."""
    try:
        stopped = services.unsubscribe(token, utcnow())
    except BookstoreError as error:
        db.session.rollback()
        return render_template("alerts/problem.html", message=str(error)), 400
    db.session.commit()
    return render_template("alerts/unsubscribed.html", stopped=stopped, what="alerts")


@bp.get("/reminders/stop/<token>")
def reminders_unsubscribe(token: str) -> tuple[str, int] | str:
    """The "no more cart reminders" page, with its one button."""
    try:
        reminders.read_stop_token(token)
    except BookstoreError as error:
        return render_template("alerts/problem.html", message=str(error)), 400
    return render_template("alerts/reminders_unsubscribe.html", token=token)


@bp.post("/reminders/stop/<token>")
@csrf.exempt
def reminders_unsubscribe_now(token: str) -> tuple[str, int] | str:
    """No more cart reminders to the link's address (one click; twice is harmless)."""
    try:
        reminders.opt_out(token, utcnow())
    except BookstoreError as error:
        db.session.rollback()
        return render_template("alerts/problem.html", message=str(error)), 400
    db.session.commit()
    return render_template("alerts/unsubscribed.html", stopped=1, what="reminders")
