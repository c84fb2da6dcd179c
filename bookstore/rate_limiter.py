"""Flask-Limiter, without its work on requests where no limit could come of it.

Flask-Limiter checks a request twice: before any view (application-wide, default and
blueprint limits, and meta limits) and inside each view decorated with ``limiter.limit`` (that
view's own limits). The shop sets only the second kind, so the first pass always found
nothing, yet worked out the request's exemptions and blueprints every time: 30-60 us on every
request that reached Flask (a tenth of what the request machinery costs a cold page). The pass
runs as before as soon as any limit of the first kind exists, or while the storage is down
(Flask-Limiter then checks whether it came back and applies its in-memory fallback).

After the view, Flask-Limiter adds its headers and makes the deductions of the limits it
checked, and at teardown it forgets them: both read the request's limiter state, which only a
check makes. A request no limit was checked on (a page, not a form) skips both hooks.
"""

from functools import partial

from flask import Flask
from flask.globals import request_ctx
from flask_limiter import Limiter

# Where Flask-Limiter keeps a request's state (its ``context``), on Flask's request context.
_STATE = "_limiter_request_context"


class ShopLimiter(Limiter):
    """``Limiter`` skipping its hooks while they have nothing to do."""

    def init_app(self, app: Flask) -> None:
        """Flask-Limiter's, with its after-request and teardown hooks run only on requests
        whose limits it checked (``_checked_here``)."""
        super().init_app(app)
        inject = getattr(Limiter, "_Limiter__inject_headers", None)
        release = getattr(self, "_Limiter__release_context", None)
        after = app.after_request_funcs.get(None, [])
        for index, hook in enumerate(after):
            if isinstance(hook, partial) and hook.func is inject and hook.args == (self,):
                after[index] = partial(self._after_checked_request, hook)
        teardown = app.teardown_request_funcs.get(None, [])
        for index, hook in enumerate(teardown):
            if release is not None and hook == release:
                teardown[index] = partial(self._after_checked_request, hook)

    def _after_checked_request(self, hook, value):
        """``hook(value)`` when a limit was checked in this request, else ``value`` as it is."""
        state = getattr(request_ctx, _STATE, None)
        if state is None or self not in state:
            return value
        return hook(value)

    def _check_request_limit(
        self, callable_name: str | None = None, in_middleware: bool = True
    ) -> None:
        if in_middleware and not self.limits_before_views():
            return
        super()._check_request_limit(callable_name=callable_name, in_middleware=in_middleware)

    def limits_before_views(self) -> bool:
        """Could the before-request pass find a limit (or must it look after the storage)?"""
        manager = self.limit_manager
        try:
            return bool(
                manager._application_limits
                or manager._default_limits
                or manager._blueprint_limits
                or self._meta_limits
                or self._storage_dead
            )
        except AttributeError:  # a Flask-Limiter that keeps these elsewhere: always check
            return True
