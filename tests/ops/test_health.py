"""GET /healthz: 200 while the shop can serve, 503 when it cannot, cheap for a balancer."""

import os

import pytest

from bookstore.ops.version import app_version
from tests.conftest import skip_or_fail
from tests.ops.conftest import DEAD_REDIS


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
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="2/minute")
    client = app.test_client()
    codes = {client.get("/healthz").status_code for _ in range(5)}
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
def test_redis_up_is_reported(make_app):
    url = os.environ.get("REDIS_URL")
    if not url:
        skip_or_fail("the Redis health check needs REDIS_URL")
    app = make_app(REDIS_URL=url)
    body = app.test_client().get("/healthz").get_json()
    assert body["status"] == "ok"
    assert body["checks"]["redis"]["ok"] is True
