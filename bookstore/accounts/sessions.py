"""How a request's session cookie becomes a user (Flask-Login's loader)."""

from flask import g
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import bindparam, exists, select

from bookstore.accounts.models import User
from bookstore.database import built_once
from bookstore.dbtypes import UTCDateTime, utcnow
from bookstore.extensions import db, login_manager

login_manager.login_view = "accounts.login"
login_manager.login_message = "Please log in to see that page."
login_manager.login_message_category = "warning"
login_manager.session_protection = "basic"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Find the user of ``"<id>:<session version>"``; an older version means logged out."""
    raw_id, _, raw_version = user_id.partition(":")
    if not (raw_id.isdigit() and raw_version.isdigit()):
        return None
    row = db.session.execute(
        _user_and_membership(), {"user_id": int(raw_id), "now": utcnow()}
    ).first()
    if row is None or row[0].session_version != int(raw_version):
        return None
    g.visitor_member_now = bool(row[1])
    return row[0]


@built_once
def _user_and_membership():
    """The user and whether they are a member now, in one query: every page's header and the
    page cache's audience (bookstore/page_cache.py) want both."""
    from bookstore.members.models import Membership  # members builds on accounts

    now = bindparam("now", type_=UTCDateTime())
    member_now = (
        exists()
        .where(Membership.user_id == User.id, Membership.starts_at <= now, Membership.ends_at > now)
        .label("member_now")
    )
    return select(User, member_now).where(User.id == bindparam("user_id"))


# A guest's cart and the orders this browser placed (so their pages stay reachable) survive
# the session rotation on login; everything else is dropped.
KEEP_ACROSS_LOGIN = ("cart_token", "checkout_orders")


def start_session(user: User, *, remember: bool = False) -> None:
    """Log ``user`` in on a fresh session (so a planted session cannot be carried over)."""
    from flask import session
    from flask_login import login_user

    kept = {key: session[key] for key in KEEP_ACROSS_LOGIN if key in session}
    session.clear()
    session.update(kept)
    # login_user fires user_logged_in, on which the cart merges the guest cart.
    login_user(user, remember=remember, fresh=True)


def end_session() -> None:
    """Log the current user out of this browser and forget everything in its session."""
    from flask import session
    from flask_login import logout_user

    logout_user()
    session.clear()


class SchemeAwareSessionInterface(SecureCookieSessionInterface):
    """Signed-cookie sessions whose cookies are all marked Secure on HTTPS requests.

    ``SESSION_COOKIE_SECURE`` forces Secure everywhere; without it, a request that arrived over
    HTTPS (``request.is_secure``, which honours X-Forwarded-Proto when TRUST_PROXY_HEADERS is
    set) still gets Secure cookies, including Flask-Login's remember cookie, which is set in an
    after-request hook that runs before the session is saved.
    """

    def get_signing_serializer(self, app):
        """Flask's, made once per secret (Flask builds it twice a request)."""
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        made = getattr(self, "_serializer", None)
        if made is None or made[0] != keys:
            made = (keys, super().get_signing_serializer(app))
            self._serializer = made
        return made[1]

    def get_cookie_secure(self, app) -> bool:
        from flask import has_request_context, request

        return bool(super().get_cookie_secure(app) or (has_request_context() and request.is_secure))

    def save_session(self, app, session, response) -> None:
        from flask import request

        super().save_session(app, session, response)
        if request.is_secure:
            _mark_cookies_secure(response)


def _mark_cookies_secure(response) -> None:
    cookies = response.headers.getlist("Set-Cookie")
    if not cookies:
        return
    response.headers.remove("Set-Cookie")
    for cookie in cookies:
        attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
        if "secure" not in attributes:
            cookie += "; Secure"
        response.headers.add("Set-Cookie", cookie)
