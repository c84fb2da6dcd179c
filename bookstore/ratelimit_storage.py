"""Rate-limit counters that hold across every worker and host even when Redis is down.

``RATELIMIT_STORAGE_URI`` is ``shop+redis://...`` when ``REDIS_URL`` is set: counters live in
Redis, behind the circuit breaker (``bookstore.redis_breaker``) and short timeouts. While Redis
fails, the same fixed windows are counted in the database (table ``rate_limit_counters``, one
row per key and window, one atomic upsert per hit), which every worker and host shares: the
login, reset and sign-up limits never turn into per-process limits. Only if the database fails
too do the counters fall back to this process's memory.

Flask-Limiter's own in-memory fallback is off with this storage: it never raises.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import time

from flask import current_app, has_app_context
from limits.storage import MemoryStorage, RedisStorage, Storage
from sqlalchemy import Float, Integer, String, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from bookstore.extensions import Model, db
from bookstore.redis_breaker import redis_breaker

logger = logging.getLogger("bookstore.ratelimit")

SCHEME_PREFIX = "shop+"
MAX_KEY_CHARS = 200
PURGE_EVERY = 500  # hits: delete windows that ended more than an hour ago

_UPSERT = text(
    "INSERT INTO rate_limit_counters (name, hits, expires_at) VALUES (:name, :amount, :expires) "
    "ON CONFLICT (name) DO UPDATE SET "
    "hits = CASE WHEN rate_limit_counters.expires_at <= :now THEN :amount "
    "ELSE rate_limit_counters.hits + :amount END, "
    "expires_at = CASE WHEN rate_limit_counters.expires_at <= :now THEN :expires "
    "ELSE rate_limit_counters.expires_at END "
    "RETURNING hits"
)


class RateLimitCounter(Model):
    """One fixed window of one rate limit, counted here while Redis is unavailable."""

    __tablename__ = "rate_limit_counters"

    name: Mapped[str] = mapped_column(String(MAX_KEY_CHARS + 10), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer)
    # Seconds since the epoch, as the limits library counts them.
    expires_at: Mapped[float] = mapped_column(Float, index=True)


def _row_name(key: str) -> str:
    if len(key) <= MAX_KEY_CHARS:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


class DatabaseCounters:
    """Fixed-window counters in ``rate_limit_counters``, each hit in its own short transaction."""

    def __init__(self) -> None:
        self._hits = itertools.count(1)

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        now = time.time()
        with db.engine.begin() as conn:
            count = conn.execute(
                _UPSERT,
                {"name": _row_name(key), "amount": amount, "expires": now + expiry, "now": now},
            ).scalar_one()
            if next(self._hits) % PURGE_EVERY == 0:
                conn.execute(
                    text("DELETE FROM rate_limit_counters WHERE expires_at < :before"),
                    {"before": now - 3600},
                )
        return int(count)

    def _row(self, key: str):
        with db.engine.connect() as conn:
            return conn.execute(
                text("SELECT hits, expires_at FROM rate_limit_counters WHERE name = :name"),
                {"name": _row_name(key)},
            ).first()

    def get(self, key: str) -> int:
        row = self._row(key)
        return int(row.hits) if row is not None and row.expires_at > time.time() else 0

    def get_expiry(self, key: str) -> float:
        row = self._row(key)
        now = time.time()
        return float(row.expires_at) if row is not None and row.expires_at > now else now

    def clear(self, key: str) -> None:
        with db.engine.begin() as conn:
            conn.execute(
                text("DELETE FROM rate_limit_counters WHERE name = :name"),
                {"name": _row_name(key)},
            )


class ResilientRedisStorage(Storage):
    """Redis first; the database while the breaker is open; memory if both fail."""

    STORAGE_SCHEME = ["shop+redis", "shop+rediss", "shop+redis+unix"]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions)
        self.redis = RedisStorage(uri.removeprefix(SCHEME_PREFIX), **options)
        self.database = DatabaseCounters()
        self.memory = MemoryStorage()

    @property
    def base_exceptions(self):
        return ()  # nothing escapes: every failure is answered by a fallback

    def _call(self, name: str, *args):
        if redis_breaker.allow():
            try:
                result = getattr(self.redis, name)(*args)
            except Exception as error:  # noqa: BLE001  (redis, socket or wrapped errors alike)
                redis_breaker.failed(error)
            else:
                redis_breaker.succeeded()
                return result
        if has_app_context():
            try:
                return getattr(self.database, name)(*args)
            except SQLAlchemyError:
                current_app.logger.warning(
                    "Rate-limit counters: Redis and the database both failed; counting in "
                    "this process's memory"
                )
        return getattr(self.memory, name)(*args)

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        return self._call("incr", key, expiry, amount)

    def get(self, key: str) -> int:
        return self._call("get", key)

    def get_expiry(self, key: str) -> float:
        return self._call("get_expiry", key)

    def clear(self, key: str) -> None:
        self._call("clear", key)

    def check(self) -> bool:
        return True  # a fallback always answers

    def reset(self) -> int | None:
        try:
            return self.redis.reset()
        except Exception as error:  # noqa: BLE001
            redis_breaker.failed(error)
            return None
