"""Sign-up, login, logout, password reset and the account page."""

from __future__ import annotations

import json

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from bookstore.accounts import closing, confirming, services
from bookstore.accounts.export import account_data
from bookstore.accounts.forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    CloseAccountForm,
    ConfirmForm,
    LoginForm,
    ResetPasswordForm,
    ResetRequestForm,
    SignupForm,
)
from bookstore.accounts.passwords import MAX_LENGTH
from bookstore.accounts.ratelimits import (
    ACCOUNT_MESSAGE,
    IP_MESSAGE,
    account_limit,
    ip_limit,
    signup_limit,
    submitted_email,
)
from bookstore.accounts.redirects import safe_next
from bookstore.accounts.sections import account_sections
from bookstore.accounts.sessions import SchemeAwareSessionInterface, end_session, start_session
from bookstore.accounts.tokens import reset_max_age, user_for_reset_token
from bookstore.dbtypes import utcnow
from bookstore.errors import BookstoreError, NotFound
from bookstore.extensions import db, limiter
from bookstore.shoptime import shop_today
from bookstore.slugs import make_slug

bp = Blueprint("accounts", __name__)

LOGIN_FAILED = "That email and password do not match an account. Check both and try again."
RESET_SENT = (
    "If an account uses that address, we have sent it a link to choose a new password. "
    "It works for {minutes} minutes. Check your spam folder if it does not arrive."
)


@bp.record_once
def _install_session_interface(state) -> None:
    state.app.session_interface = SchemeAwareSessionInterface()


def _limited(view):
    """Login-style limits: per client IP and per submitted email address, on POST only."""
    view = limiter.limit(
        account_limit, key_func=submitted_email, methods=["POST"], error_message=ACCOUNT_MESSAGE
    )(view)
    return limiter.limit(ip_limit, methods=["POST"], error_message=IP_MESSAGE)(view)


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(signup_limit, methods=["POST"], error_message=IP_MESSAGE)
# Per address too: a taken address emails its owner, which must not become a mail bomb.
@limiter.limit(
    account_limit, key_func=submitted_email, methods=["POST"], error_message=ACCOUNT_MESSAGE
)
def signup():
    """Create an account and log in at once; a taken address gets a neutral answer."""
    if current_user.is_authenticated:
        return redirect(url_for("accounts.account"))
    form = SignupForm()
    if form.validate_on_submit():
        try:
            user = services.sign_up(
                name=form.name.data, email=form.email.data, password=form.password.data
            )
        except BookstoreError as error:
            db.session.rollback()
            field = form.email if isinstance(error, services.EmailUnavailable) else form.password
            field.errors.append(str(error))
        else:
            db.session.commit()
            if user is None:
                flash(services.SIGNUP_REFUSED, "warning")
                return redirect(url_for("accounts.login"))
            start_session(user)
            flash(f"Welcome, {user.name}! Your account is ready.", "success")
            return redirect(safe_next(request.args.get("next")) or url_for("accounts.account"))
    return render_template("accounts/signup.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@_limited
def login():
    """Log in with email and password; the same answer for a wrong email or password."""
    form = LoginForm()
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(safe_next(request.args.get("next")) or url_for("accounts.account"))
        form.next.data = safe_next(request.args.get("next")) or ""
    if form.validate_on_submit():
        password = form.password.data
        # No password longer than the maximum was ever accepted, so none can match.
        if len(password) <= MAX_LENGTH:
            user = services.authenticate(form.email.data, password)
        else:
            user = None
        if user is None:
            form.password.errors.append(LOGIN_FAILED)
        else:
            services.record_login(user)
            # A confirmed address gathers what was kept by it since (orders as a guest).
            joined = confirming.joined(user) if user.email_confirmed_at else []
            db.session.commit()
            start_session(user, remember=bool(form.remember.data))
            flash(f"Welcome back, {user.name}.", "success")
            for said in joined:
                flash(said, "info")
            return redirect(safe_next(form.next.data) or url_for("accounts.account"))
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    """Log out here and end every other session of this user."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    if current_user.is_authenticated:
        services.end_all_sessions(current_user._get_current_object())
        db.session.commit()
    end_session()
    flash("You are logged out, on this device and every other.", "success")
    return redirect(url_for("pages.home"))


@bp.route("/")
@login_required
def account():
    """The account page: details, and the sections other features add (membership, orders)."""
    user = current_user._get_current_object()
    return render_template(
        "accounts/account.html", user=user, sections=account_sections(current_app, user)
    )


@bp.get("/confirm/<token>")
def confirm_email(token: str):
    """The link from a confirmation email: the address is the reader's; what was kept by it
    joins the account."""
    try:
        user, joined = confirming.confirm_email(token[:1000])
    except BookstoreError as error:
        db.session.rollback()
        return render_template("accounts/confirm_failed.html", message=str(error)), 400
    db.session.commit()
    flash(f"Thank you: {user.email} is confirmed.", "success")
    for said in joined:
        flash(said, "info")
    if current_user.is_authenticated and current_user.id == user.id:
        return redirect(url_for("accounts.account"))
    return redirect(url_for("accounts.login", next=url_for("accounts.account")))


@bp.post("/confirm")
@login_required
@limiter.limit(ip_limit, methods=["POST"], error_message=IP_MESSAGE)
def send_confirmation():
    """Send the reader a new link to confirm their address."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    user = current_user._get_current_object()
    if user.email_confirmed_at is not None:
        flash(f"{user.email} is already confirmed.", "info")
    else:
        confirming.send_confirmation(user)
        db.session.commit()
        flash(f"We sent a link to {user.email}: open it to confirm the address.", "success")
    return redirect(url_for("accounts.account"))


@bp.route("/reset", methods=["GET", "POST"])
@_limited
def reset_request():
    """Ask for a reset link; the answer never says whether the address has an account."""
    form = ResetRequestForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        db.session.commit()
        flash(RESET_SENT.format(minutes=reset_max_age() // 60), "info")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_request.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(ip_limit, methods=["POST"], error_message=IP_MESSAGE)
def reset(token: str):
    """Choose a new password with an emailed token."""
    form = ResetPasswordForm()
    if request.method == "GET" and not user_for_reset_token(token):
        flash("That reset link has expired or was already used. Ask for a new one.", "warning")
        return redirect(url_for("accounts.reset_request"))
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.password.data)
        except services.InvalidResetLink as error:
            db.session.rollback()
            flash(str(error), "warning")
            return redirect(url_for("accounts.reset_request"))
        except BookstoreError as error:
            db.session.rollback()
            form.password.errors.append(str(error))
        else:
            db.session.commit()
            end_session()
            flash("Your password is changed. Log in with the new one.", "success")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/reset.html", form=form, token=token)


@bp.route("/password", methods=["GET", "POST"])
@login_required
@limiter.limit(ip_limit, methods=["POST"], error_message=IP_MESSAGE)
def change_password():
    """Change the password; every other session of this user ends, this one goes on."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            services.change_password(user, form.current_password.data, form.password.data)
        except BookstoreError as error:
            db.session.rollback()
            field = form.current_password if isinstance(error, services.WrongPassword) else None
            (field or form.password).errors.append(str(error))
        else:
            db.session.commit()
            # The session version moved on: log this browser in again with the new one.
            remember = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
            remember = remember in request.cookies
            start_session(user, remember=remember)
            flash("Your password is changed. Other devices have been logged out.", "success")
            return redirect(url_for("accounts.account"))
    return render_template("accounts/change_password.html", form=form)


@bp.route("/email", methods=["GET", "POST"])
@login_required
@limiter.limit(ip_limit, methods=["POST"], error_message=IP_MESSAGE)
def change_email():
    """Change the email address, confirmed with the password."""
    form = ChangeEmailForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            services.change_email(user, form.password.data, form.email.data)
        except BookstoreError as error:
            db.session.rollback()
            field = form.password if isinstance(error, services.WrongPassword) else form.email
            field.errors.append(str(error))
        else:
            db.session.commit()
            flash(f"Your email address is now {user.email}.", "success")
            return redirect(url_for("accounts.account"))
    return render_template("accounts/change_email.html", form=form)


@bp.get("/data")
@login_required
def data():
    """Download a copy of everything the shop keeps about the account, as one JSON file."""
    now = utcnow()
    body = json.dumps(
        account_data(current_user._get_current_object(), now), indent=2, ensure_ascii=False
    )
    name = f"{make_slug(current_app.config['SHOP_NAME'])}-account-{shop_today(now)}.json"
    return Response(
        body + "\n",
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.route("/close", methods=["GET", "POST"])
@login_required
@limiter.limit(ip_limit, methods=["POST"], error_message=IP_MESSAGE)
def close():
    """Close the account, confirmed with the password, once nothing stands in the way."""
    user = current_user._get_current_object()
    form = CloseAccountForm()
    if form.validate_on_submit():
        try:
            email = closing.close_account(user, password=form.password.data)
        except NotFound as error:  # closed meanwhile, in another tab or by staff
            db.session.rollback()
            end_session()
            flash(str(error), "info")
            return redirect(url_for("pages.home"), 303)
        except closing.AccountCannotClose:
            db.session.rollback()  # the page lists what stands in the way
        except BookstoreError as error:
            db.session.rollback()
            form.password.errors.append(str(error))
        else:
            db.session.commit()
            end_session()
            flash(f"Your account is closed. We have sent a note to {email}.", "success")
            return redirect(url_for("pages.home"), 303)
    return render_template(
        "accounts/close.html",
        form=form,
        stops=closing.closure_stops(user),
        warnings=closing.closure_warnings(user),
    )
