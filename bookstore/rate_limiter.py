"""Flask-Limiter, without its check before each request while no limit could come of it.

Flask-Limiter checks a request twice: before any view (application-wide, default and
blueprint limits, and meta limits) and inside each view decorated with ``limiter.limit`` (that
view's own limits). The shop sets only the second kind, so the first pass always found
nothing, yet worked out the request's exemptions and blueprints every time: 30-60 us on every
request that reached Flask (a tenth of what the request machinery costs a cold page). The pass
runs as before as soon as any limit of the first kind exists, or while the storage is down
(Flask-Limiter then checks whether it came back and applies its in-memory fallback).
"""

from flask_limiter import Limiter


class ShopLimiter(Limiter):
    """``Limiter`` skipping the before-request pass while it has nothing to check."""

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
