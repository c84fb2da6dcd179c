"""A circuit breaker in front of Redis: a slow or dead Redis costs one short timeout, not every
request.

Every Redis client of the shop (the page cache, the rate limiter's storage) has short connect
and read timeouts (``REDIS_TIMEOUT_SECONDS``). When a call fails, the breaker opens: for
``REDIS_RETRY_SECONDS`` no request asks Redis anything and each serves from its fallback (the
page renders afresh; rate limits count in the database). Then one request tries Redis again;
if it answers the breaker closes. The log gets one warning a minute while Redis is failing and
one line when it is back, never a traceback per request.
"""

from __future__ import annotations

import logging
import threading
import time

from redis.backoff import NoBackoff
from redis.retry import Retry

logger = logging.getLogger("bookstore.redis")

DEFAULT_TIMEOUT_SECONDS = 0.25
DEFAULT_RETRY_SECONDS = 10.0
WARN_EVERY_SECONDS = 60.0


class CircuitBreaker:
    """Closed (ask Redis), open (do not, until ``retry_seconds`` pass), then one trial call."""

    def __init__(
        self,
        name: str,
        retry_seconds: float = DEFAULT_RETRY_SECONDS,
        warn_every: float = WARN_EVERY_SECONDS,
        clock=time.monotonic,
    ):
        self.name = name
        self.retry_seconds = retry_seconds
        self.warn_every = warn_every
        self._clock = clock
        self._lock = threading.Lock()
        self._open_until = 0.0
        self._failing = False
        self._last_warning = float("-inf")
        self._failures_since_warning = 0

    def allow(self) -> bool:
        """May this call go to Redis? While open, no; once the time is up, one caller may."""
        now = self._clock()
        with self._lock:
            if now < self._open_until:
                return False
            if self._failing:
                # The trial call: the others keep using the fallback until it has answered.
                self._open_until = now + self.retry_seconds
            return True

    @property
    def is_open(self) -> bool:
        return self._clock() < self._open_until

    def failed(self, error: BaseException) -> None:
        """A call failed: open the breaker, and warn at most once every ``warn_every`` seconds."""
        now = self._clock()
        with self._lock:
            self._open_until = now + self.retry_seconds
            self._failing = True
            self._failures_since_warning += 1
            if now - self._last_warning < self.warn_every:
                return
            count, self._failures_since_warning = self._failures_since_warning, 0
            self._last_warning = now
        logger.warning(
            "%s unavailable (%s: %s); using fallbacks, next try in %.0f s (%d failure%s since "
            "the last warning)",
            self.name,
            type(error).__name__,
            error,
            self.retry_seconds,
            count,
            "" if count == 1 else "s",
        )

    def succeeded(self) -> None:
        """A call answered: close the breaker (and say so once, if it was open)."""
        if not self._failing:
            return
        with self._lock:
            was_failing, self._failing = self._failing, False
            self._open_until = 0.0
            self._last_warning = float("-inf")
            self._failures_since_warning = 0
        if was_failing:
            logger.warning("%s answers again", self.name)

    def reset(self) -> None:
        """Closed, with no memory of failures (tests)."""
        with self._lock:
            self._open_until = 0.0
            self._failing = False
            self._last_warning = float("-inf")
            self._failures_since_warning = 0


# One per process: the page cache and the rate limiter talk to the same Redis.
redis_breaker = CircuitBreaker("Redis")


def configure(config: dict) -> None:
    """Apply ``REDIS_RETRY_SECONDS`` and pass the timeouts to every Redis client's options."""
    timeout = float(config.get("REDIS_TIMEOUT_SECONDS") or DEFAULT_TIMEOUT_SECONDS)
    redis_breaker.retry_seconds = float(config.get("REDIS_RETRY_SECONDS") or DEFAULT_RETRY_SECONDS)
    timeouts = {
        "socket_connect_timeout": timeout,
        "socket_timeout": timeout,
        # redis-py retries three times with backoff by default: one try, then the breaker.
        "retry": Retry(NoBackoff(), 0),
    }
    if "redis" in str(config.get("CACHE_TYPE", "")).lower():
        config["CACHE_OPTIONS"] = {**timeouts, **(config.get("CACHE_OPTIONS") or {})}
    if "redis" in str(config.get("RATELIMIT_STORAGE_URI", "")).split(":", 1)[0]:
        config["RATELIMIT_STORAGE_OPTIONS"] = {
            **timeouts,
            **(config.get("RATELIMIT_STORAGE_OPTIONS") or {}),
        }
