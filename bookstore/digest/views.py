"""Weekly digest: sign-up (double opt-in), confirmation and one-click unsubscribe."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from bookstore.dbtypes import utcnow
from bookstore.digest import services
from bookstore.digest.forms import SignupForm
from bookstore.digest.services import confirmation_token
from bookstore.errors import BookstoreError
from bookstore.extensions import csrf, db, limiter
from bookstore.links import external_url
from bookstore.mail import send_after_commit

bp = Blueprint("digest", __name__)

SUBSCRIBE_LIMIT = "5/minute;30/hour"
LIMIT_MESSAGE = "Too many sign-ups from your network. Wait a minute, then try again."


# templates/digest/_account_digest.html (included by the account page) asks for this: a Jinja
# global, not a context processor run for each template rendered.
bp.add_app_template_global(services.subscription_of, "digest_subscription_of")


@bp.get("/")
def signup():
    """The sign-up page (the same form pages include as a partial)."""
    return render_template("digest/signup.html", form=SignupForm())


@bp.post("/subscribe")
@limiter.limit(SUBSCRIBE_LIMIT, error_message=LIMIT_MESSAGE)
def subscribe():
    """Sign up; the answer is the same whether or not the address was already subscribed."""
    form = SignupForm()
    if form.validate_on_submit():
        try:
            subscriber = services.subscribe(form.email.data, utcnow())
        except BookstoreError as error:
            db.session.rollback()
            form.email.errors.append(str(error))
        else:
            if subscriber is not None:
                link = external_url("digest.confirm", token=confirmation_token(subscriber))
                send_after_commit(
                    subscriber.email,
                    f"Confirm your {current_app.config['SHOP_NAME']} weekly digest",
                    "digest_confirm",
                    confirm_url=link,
                    days=services.CONFIRM_MAX_AGE.days,
                )
            db.session.commit()
            return render_template("digest/check_inbox.html")
    return render_template("digest/signup.html", form=form), 400


@bp.get("/confirm/<token>")
def confirm(token: str):
    """Follow the confirmation link: the address is subscribed from now on."""
    try:
        subscriber = services.confirm(token, utcnow())
    except BookstoreError as error:
        db.session.rollback()
        return render_template("digest/link_problem.html", message=str(error)), 400
    db.session.commit()
    return render_template("digest/confirmed.html", subscriber=subscriber)


@bp.get("/unsubscribe/<token>")
def unsubscribe(token: str):
    """Show the unsubscribe button (a GET never unsubscribes: link scanners follow links)."""
    try:
        subscriber = services.subscriber_by_unsubscribe_token(token)
    except BookstoreError as error:
        return render_template("digest/link_problem.html", message=str(error)), 404
    return render_template("digest/unsubscribe.html", subscriber=subscriber, token=token)


@bp.post("/unsubscribe/<token>")
@csrf.exempt
def unsubscribe_now(token: str):
    """Unsubscribe: RFC 8058 one-click POST from mail clients, or the page's button.

    No CSRF token and no login: the secret token in the URL is the authorisation, and the
    worst a forged request can do is unsubscribe someone.
    """
    try:
        subscriber = services.unsubscribe(token, utcnow())
    except BookstoreError as error:
        db.session.rollback()
        return render_template("digest/link_problem.html", message=str(error)), 404
    db.session.commit()
    return render_template("digest/unsubscribed.html", subscriber=subscriber)
