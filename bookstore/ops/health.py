"""``GET /healthz``: can this process serve? For load balancers, called every second.

200 when the database answers (serving is possible), 503 when it does not. Redis is reported
but only degrades the answer: rate limits and the page cache fall back to memory without it, so
taking every host out of the balancer because Redis is down would turn a slowdown into an outage.
The job queue's backlog (``bookstore.jobs.stats()``) is reported too, and degrades the answer
while a due job has waited longer than ``HEALTHZ_MAX_JOB_WAIT_SECONDS``. Cheap: ``SELECT 1`` and
the queue's two counting queries on a pooled connection and one PING, each with a short
timeout; no page cache, no rate limit, no session.
"""

import time
from typing import Any

import redis
from flask import Blueprint, Flask, current_app, jsonify
from flask.wrappers import Response
from sqlalchemy import text

from bookstore.extensions import db, limiter
from bookstore.ops.version import app_version

bp = Blueprint("ops_health", __name__)

# Seconds; a balancer calls every second, so no check may hold a worker for long.
CHECK_TIMEOUT_SECONDS = 1.0


@bp.get("/healthz")
@limiter.exempt
def healthz() -> tuple[Response, int]:
    """The state of each dependency as JSON; 503 when the shop cannot serve."""
    checks: dict[str, dict[str, Any]] = {"database": _timed(check_database)}
    if current_app.config.get("REDIS_URL"):
        checks["redis"] = _timed(check_redis)
    checks["queue"] = _timed(check_queue)
    if not checks["database"]["ok"]:
        status, code = "down", 503
    elif all(check["ok"] for check in checks.values()):
        status, code = "ok", 200
    else:
        status, code = "degraded", 200
    response = jsonify(status=status, version=app_version(), checks=checks)
    response.headers["Cache-Control"] = "no-store"
    return response, code


def _timed(check) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        result: dict[str, Any] = {"ok": True, **(check() or {})}
    except Exception as exc:  # noqa: BLE001  (any failure means "not healthy", with its kind)
        current_app.logger.warning("Health check %s failed: %r", check.__name__, exc)
        result = {"ok": False, "error": type(exc).__name__}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def check_database() -> None:
    """One ``SELECT 1`` on a pooled connection, bounded by a statement timeout on PostgreSQL."""
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"SET LOCAL statement_timeout = {int(CHECK_TIMEOUT_SECONDS * 1000)}"))
        conn.execute(text("SELECT 1"))
        conn.rollback()


def check_queue() -> dict[str, Any]:
    """The job queue's backlog; not ok while a due job has waited too long (no worker keeps up).

    Jobs wait in the database, so a stuck queue slows email, not pages: it degrades the answer.
    """
    from bookstore import jobs

    try:
        figures = jobs.stats()
    finally:
        db.session.rollback()
    limit = current_app.config["HEALTHZ_MAX_JOB_WAIT_SECONDS"]
    return {"ok": figures["oldest_pending_seconds"] <= limit, **figures}


def check_redis() -> None:
    """A PING with short connect and read timeouts."""
    _redis_client(current_app._get_current_object()).ping()  # type: ignore[attr-defined]


def _redis_client(app: Flask) -> redis.Redis:
    client = app.extensions.get("ops_redis")
    if client is None:
        client = redis.Redis.from_url(
            app.config["REDIS_URL"],
            socket_timeout=CHECK_TIMEOUT_SECONDS,
            socket_connect_timeout=CHECK_TIMEOUT_SECONDS,
        )
        app.extensions["ops_redis"] = client
    return client
