"""GET /healthz: 200 while the shop can serve, 503 when it cannot, cheap for a balancer."""

import pytest

from bookstore.extensions import limiter
from bookstore.ops.version import app_version
from tests.ops.helpers import DEAD_REDIS


def test_healthy_shop_answers_200_with_the_database_and_the_version(make_app):
    response = make_app(REDIS_URL=None).test_client().get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["version"] == app_version() != "unknown"
    # No Redis configured: nothing to report about it.
    assert "redis" not in body["checks"]


def test_health_check_sets_no_cookie_and_is_never_cached(client):
    response = client.get("/healthz")
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"
    assert "X-Page-Cache" not in response.headers


def test_health_check_is_not_rate_limited(make_app):
    try:
        app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="2/minute")
        client = app.test_client()
        codes = {client.get("/healthz").status_code for _ in range(5)}
    finally:
        # The limiter is one object for every app of the test run: later tests want no default.
        limiter.limit_manager.set_default_limits([])
    assert codes == {200}


def test_database_down_answers_503(dead_database_app):
    response = dead_database_app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "down"
    assert body["checks"]["database"] == {
        "ok": False,
        "error": "OperationalError",
        "ms": body["checks"]["database"]["ms"],
    }


def test_redis_down_degrades_but_keeps_serving(make_app):
    # Rate limits and the page cache fall back to memory: the host can still serve.
    app = make_app(REDIS_URL=DEAD_REDIS)
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "degraded"
    assert body["checks"]["redis"]["ok"] is False
    assert body["checks"]["redis"]["error"] == "ConnectionError"
    assert body["checks"]["database"]["ok"] is True


@pytest.mark.redis
def test_redis_up_is_reported(make_app, redis_url):
    app = make_app(REDIS_URL=redis_url)
    body = app.test_client().get("/healthz").get_json()
    assert body["status"] == "ok"
    assert body["checks"]["redis"]["ok"] is True


def test_the_job_queue_backlog_is_reported(client):
    body = client.get("/healthz").get_json()
    assert body["checks"]["queue"] == {
        "ok": True,
        "pending": 0,
        "failed": 0,
        "oldest_pending_seconds": 0.0,
        "ms": body["checks"]["queue"]["ms"],
    }


def test_a_queue_no_worker_keeps_up_with_degrades_but_keeps_serving(client, monkeypatch):
    from bookstore import jobs

    figures = {"pending": 40, "failed": 2, "oldest_pending_seconds": 3600.0}
    monkeypatch.setattr(jobs, "stats", lambda: figures)
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "degraded"
    assert body["checks"]["queue"]["ok"] is False
    assert body["checks"]["queue"]["pending"] == 40


def test_a_queue_that_cannot_be_read_degrades(client, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from bookstore import jobs

    def broken():
        raise OperationalError("SELECT", {}, Exception("queue table unavailable"))

    monkeypatch.setattr(jobs, "stats", broken)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["checks"]["queue"]["error"] == "OperationalError"
    assert response.get_json()["status"] == "degraded"
