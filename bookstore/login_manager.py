"""Flask-Login, finding a guest without working out what only a signed-in visitor needs.

On every request that asks for ``current_user``, Flask-Login checks the session's protection
(a SHA-512 of the visitor's address and browser), the session's user id, the remember-me
cookie and the ``Authorization`` header. A visitor whose session is empty -- every first
visit, and every guest whose browser keeps no cookie -- can have none of them: the check found
nothing to protect, there is no user id, and without the cookie or the header (and the shop has
no request loader) the answer is the anonymous user. That answer is given at once, with the
same signal sent and the same session read (so ``Vary: Cookie`` stays as it was).
"""

from flask import current_app, request, session
from flask_login import LoginManager
from flask_login.config import AUTH_HEADER_NAME, COOKIE_NAME
from flask_login.signals import user_accessed


class ShopLoginManager(LoginManager):
    """``LoginManager`` answering an empty session's request with the anonymous user at once."""

    def _load_user(self):
        if (
            session.get("_user_id") is None  # read as Flask-Login reads it: the session was used
            and not session
            and self._user_callback is not None
            and self._request_callback is None
        ):
            config = current_app.config
            if (
                config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME) not in request.cookies
                and config.get("AUTH_HEADER_NAME", AUTH_HEADER_NAME) not in request.headers
            ):
                user_accessed.send(current_app._get_current_object())  # type: ignore[attr-defined]
                return self._update_request_context_with_user()
        return super()._load_user()
