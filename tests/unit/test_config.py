"""Settings read from the environment: Redis, when configured, backs rate limits and the cache."""

import pytest

from bookstore.config import from_environment


@pytest.fixture
def clean_env(monkeypatch):
    """An environment with none of the settings that would change the Redis choices."""
    for name in ("REDIS_URL", "DATABASE_URL", "PAGE_CACHE_ENTRIES"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_redis_url_backs_the_rate_limiter_and_the_page_cache(clean_env, tmp_path):
    clean_env.setenv("REDIS_URL", "redis://cache.example:6380/2")
    config = from_environment(str(tmp_path))
    assert config["REDIS_URL"] == "redis://cache.example:6380/2"
    # Redis behind the circuit breaker, the database while it fails (bookstore/ratelimit_storage).
    assert config["RATELIMIT_STORAGE_URI"] == "shop+redis://cache.example:6380/2"
    assert config["CACHE_TYPE"] == "RedisCache"
    assert config["CACHE_REDIS_URL"] == "redis://cache.example:6380/2"
    # If Redis goes down, limits fall back to memory rather than failing open or erroring.
    assert config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] is True


@pytest.mark.parametrize("spelling", ["unix://", "redis+unix://"])
def test_a_redis_socket_is_read_by_every_part(clean_env, tmp_path, spelling):
    """redis-py's ``unix://`` (and the limits library's ``redis+unix://``): the page cache and
    the jobs read redis-py's, the rate limiter its own (both failed at start before)."""
    clean_env.setenv("REDIS_URL", f"{spelling}/run/redis/redis.sock?db=2")
    config = from_environment(str(tmp_path))
    assert config["REDIS_URL"] == "unix:///run/redis/redis.sock?db=2"
    assert config["CACHE_REDIS_URL"] == "unix:///run/redis/redis.sock?db=2"
    assert config["RATELIMIT_STORAGE_URI"] == "shop+redis+unix:///run/redis/redis.sock?db=2"


@pytest.mark.parametrize("value", [None, ""], ids=["unset", "empty"])
def test_without_redis_everything_stays_in_memory(clean_env, tmp_path, value):
    if value is not None:
        clean_env.setenv("REDIS_URL", value)
    config = from_environment(str(tmp_path))
    assert config["REDIS_URL"] is None
    assert config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert config["CACHE_TYPE"] == "SimpleCache"
    assert config["CACHE_REDIS_URL"] is None
