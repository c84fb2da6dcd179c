"""Flask's context objects themselves, for code that reads them many times a request.

Each attribute read through one of Flask's proxies (``g.get(...)``, ``current_app.config``,
``request.path``) goes through Werkzeug's ``LocalProxy`` lookup: about 1.3 us here, against
0.14 us for the proxy's ``_get_current_object()``, its documented way to the object itself.
A first visit to a page made some 150 such reads, most of them in the page cache's
bookkeeping and the book cards. Code run many times a page takes the object once from these
and reads it directly; elsewhere the proxies read better. Outside a context each raises the
proxy's own ``RuntimeError``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from flask import Flask, Request, current_app, g, request, session

if TYPE_CHECKING:
    from flask.ctx import _AppCtxGlobals
    from flask.sessions import SessionMixin

# The application of the current context (``current_app``).
app: Callable[[], Flask] = current_app._get_current_object  # type: ignore[attr-defined]
# The current application context's ``g``.
app_globals: Callable[[], _AppCtxGlobals] = g._get_current_object
# The request being handled (``request``).
this_request: Callable[[], Request] = request._get_current_object  # type: ignore[attr-defined]
# The session of the request being handled (``session``).
this_session: Callable[[], SessionMixin] = session._get_current_object  # type: ignore[attr-defined]
