"""How a request's session cookie becomes a user (Flask-Login's loader)."""

import copy
import functools
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from flask import g
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature
from sqlalchemy import BindParameter, ColumnElement, Select, bindparam, inspect, select
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.util import identity_key

from bookstore import contexts, page_cache
from bookstore.accounts.models import User
from bookstore.dbtypes import UTCDateTime, utcnow
from bookstore.driver_sql import DriverSelect
from bookstore.extensions import db, login_manager
from bookstore.login_manager import visitor
from bookstore.signing import SignedValues

login_manager.login_view = "accounts.login"
login_manager.login_message = "Please log in to see that page."
login_manager.login_message_category = "warning"
login_manager.session_protection = "basic"


# What other features ask about the signed-in visitor on nearly every page (are they a member
# now, how many copies their cart holds), read in the user's own query: see read_with_user.
FactBuilder = Callable[[ColumnElement[int], BindParameter[datetime]], ColumnElement[Any]]
_FACTS: dict[str, FactBuilder] = {}
_FACTS_KEY = "visitor_facts"  # on g: (the user they were read with, their values)


def read_with_user(name: str):
    """Decorate a function building a SQL expression about one user (a correlated EXISTS or
    scalar subquery), given the ``users.id`` column and the request's time as ``now``: it is
    read in the query that loads the signed-in user, and ``visitor_facts()[name]`` is its value.

    Every signed-in page wants these; a query of its own costs more than the subquery does.
    """

    def decorate(build: FactBuilder) -> FactBuilder:
        _FACTS[name] = build
        return build

    return decorate


def visitor_facts() -> Mapping[str, Any] | None:
    """The values registered with ``read_with_user``, as read with this request's user at its
    start; None when the user was not loaded from the session (a guest, or the request that
    signed them in)."""
    found = contexts.app_globals().get(_FACTS_KEY)
    if found is None or found[0] is not visitor():
        return None  # read for the user this request started with, who is no longer signed in
    facts: Mapping[str, Any] = found[1]
    return facts


def fact_on_public_page(name: str) -> Any | None:
    """``visitor_facts()[name]`` while a cached public page is served (``page_cache``): such a
    page changes nothing of the visitor's, so what was read at the request's start still
    holds. None elsewhere, where the caller asks the database."""
    facts = visitor_facts()
    if facts is None or not page_cache.serving_cached_page():
        return None
    return facts[name]


def has_none_on_public_page(name: str) -> bool:
    """Does the fact ``name`` (an EXISTS read with the user) say the visitor has none, on a
    cached public page? Most readers have saved nothing and reviewed nothing: their pages
    then need no query for those parts."""
    value = fact_on_public_page(name)
    return value is not None and not value


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Find the user of ``"<id>:<session version>"``; an older version means logged out."""
    raw_id, _, raw_version = user_id.partition(":")
    if not (raw_id.isdigit() and raw_version.isdigit()):
        return None
    names = tuple(_FACTS)
    connection = db.session.connection()
    query = _driver_user_query(names, connection.dialect)
    row = query.first(connection, {"user_id": int(raw_id), "now": utcnow()})
    if row is None or row[_VERSION_AT] != int(raw_version):
        return None
    user = _as_user(row)
    setattr(g, _FACTS_KEY, (user, dict(zip(names, row[len(_USER_ATTRIBUTES) :], strict=True))))
    return user


# The user's columns, as the ORM's attribute names.
_USER_ATTRIBUTES = tuple(attribute.key for attribute in inspect(User).column_attrs)
_USER_CLASS = inspect(User).class_manager
_ID_AT = _USER_ATTRIBUTES.index("id")
_VERSION_AT = _USER_ATTRIBUTES.index("session_version")


@functools.cache  # once per database and set of facts
def _driver_user_query(names: tuple[str, ...], dialect: Dialect) -> DriverSelect:
    """``_user_query`` on the driver's connection (``bookstore.driver_sql``): SQLAlchemy's
    execution of it cost a signed-in page-cache hit more than the rest of the user's loading."""
    return DriverSelect.compile(_user_query(names), dialect)


@functools.cache  # built once for the facts registered (see bookstore.database.built_once)
def _user_query(names: tuple[str, ...]) -> Select[Any]:
    """The user's columns and these facts of ``read_with_user``, as plain columns: the ORM's
    own load of one user cost twice the query (SQLite, 110 us of 170)."""
    now = bindparam("now", type_=UTCDateTime())
    user_id = User.__table__.c.id
    facts = [_FACTS[name](user_id, now).label(name) for name in names]
    columns = [getattr(User, key) for key in _USER_ATTRIBUTES]
    return select(*columns, *facts).where(user_id == bindparam("user_id"))


def _as_user(row: tuple[Any, ...]) -> User:
    """The user of a plain row, in the request's session as if the ORM had loaded it."""
    session = db.session()
    if session.identity_map:  # usually empty: the user is the request's first load
        known = session.identity_map.get(identity_key(User, row[_ID_AT]))
        if isinstance(known, User):
            return known
    # Its values go straight into the new instance's dict, as the ORM fills a loaded row's:
    # the constructor's assignments fire an attribute event each, for a change to write.
    user = _USER_CLASS.new_instance()
    user.__dict__.update(zip(_USER_ATTRIBUTES, row, strict=False))  # the row's first columns
    make_transient_to_detached(user)  # its values are the row's: nothing to write
    session.add(user)
    return user


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


# Values a session may hold that no request can change in place.
_PLAIN = frozenset({str, int, bool, float, type(None)})


class SchemeAwareSessionInterface(SecureCookieSessionInterface):
    """Signed-cookie sessions whose cookies are all marked Secure on HTTPS requests.

    ``SESSION_COOKIE_SECURE`` forces Secure everywhere; without it, a request that arrived over
    HTTPS (``request.is_secure``, which honours X-Forwarded-Proto when TRUST_PROXY_HEADERS is
    set) still gets Secure cookies, including Flask-Login's remember cookie, which is set in an
    after-request hook that runs before the session is saved.
    """

    # Cookies whose signature was checked, with when they were signed (see load_cookie).
    COOKIES_KEPT = 5000

    def get_signing_serializer(self, app):
        """Flask's, made once per secret (Flask builds it twice a request), leaving a small
        session uncompressed (``bookstore.signing``)."""
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        made = getattr(self, "_serializer", None)
        if made is None or made[0] != keys:
            serializer = None
            if app.secret_key:
                serializer = SignedValues(
                    [*keys[1], app.secret_key],  # as Flask's: the current key last
                    salt=self.salt,
                    serializer=self.serializer,
                    signer_kwargs={
                        "key_derivation": self.key_derivation,
                        "digest_method": self.digest_method,
                    },
                )
            made = (keys, serializer)
            self._serializer = made
            self._verified: dict[str, tuple[int, dict]] = {}
        return made[1]

    def open_session(self, app, request):
        """As Flask's, through ``load_cookie``."""
        if self.get_signing_serializer(app) is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        data = self.load_cookie(app, value) if value else None
        return self.session_class(data or {})

    def load_cookie(self, app, value: str) -> dict | None:
        """The session in a cookie's ``value``; None when its signature is wrong or too old.

        A browser sends the same cookie until the session changes, and checking the signature
        and unpacking the value cost a tenth of a signed-in reader's cached page: a cookie
        checked once is remembered (the value itself, so only that exact cookie matches), with
        the time it was signed, so it still expires as Flask's would.
        """
        serializer = self.get_signing_serializer(app)
        max_age = int(app.permanent_session_lifetime.total_seconds())
        kept = self._verified.get(value)
        if kept is None:
            try:
                data, signed = serializer.loads(value, max_age=max_age, return_timestamp=True)
            except BadSignature:
                return None
            if not isinstance(data, dict):
                return None
            if len(self._verified) >= self.COOKIES_KEPT:
                self._verified.clear()
            kept = self._verified[value] = (int(signed.timestamp()), data)
        if int(time.time()) - kept[0] > max_age:  # as itsdangerous counts the age
            return None
        # A copy: a request may change what its session holds (a list of orders) in place.
        # Most sessions hold only plain values (a user id, a CSRF token), whose copy is the
        # dict's own: a tenth of what deepcopy takes to find that out.
        data = kept[1]
        if all(type(value) in _PLAIN for value in data.values()):
            return dict(data)
        return copy.deepcopy(data)

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
