"""Flask-Login, finding a guest without working out what only a signed-in visitor needs.

On every request that asks for ``current_user``, Flask-Login checks the session's protection
(a SHA-512 of the visitor's address and browser), the session's user id, the remember-me
cookie and the ``Authorization`` header. A visitor whose session is empty -- every first
visit, and every guest whose browser keeps no cookie -- can have none of them: the check found
nothing to protect, there is no user id, and without the cookie or the header (and the shop has
no request loader) the answer is the anonymous user. That answer is given at once, with the
same signal sent and the same session read (so ``Vary: Cookie`` stays as it was).
"""

from flask import has_request_context
from flask_login import LoginManager, current_user
from flask_login.config import AUTH_HEADER_NAME, COOKIE_NAME
from flask_login.signals import user_accessed

from bookstore import contexts


def visitor():
    """``current_user`` itself: the signed-in user or the anonymous user (None outside a
    request). Flask-Login keeps it in ``g`` once loaded; each read through the
    ``current_user`` proxy looks it up there again (3 us, see ``bookstore.contexts``)."""
    if has_request_context():
        user = contexts.app_globals().get("_login_user")
        if user is not None:
            return user
    return current_user._get_current_object()


class ShopLoginManager(LoginManager):
    """``LoginManager`` answering an empty session's request with the anonymous user at once."""

    def _load_user(self):
        visit = contexts.this_session()
        if (
            visit.get("_user_id") is None  # read as Flask-Login reads it: the session was used
            and not visit
            and self._user_callback is not None
            and self._request_callback is None
        ):
            app = contexts.app()
            config = app.config
            asked = contexts.this_request()
            if (
                config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME) not in asked.cookies
                and config.get("AUTH_HEADER_NAME", AUTH_HEADER_NAME) not in asked.headers
            ):
                user_accessed.send(app)
                return self._update_request_context_with_user()
        return super()._load_user()
