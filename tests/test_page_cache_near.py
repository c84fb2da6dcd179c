"""Pages read from Redis are kept in the worker's memory for a second (page_cache_near)."""

import time

from sqlalchemy import select

from bookstore import page_cache, page_cache_near
from bookstore.catalog.models import Book
from bookstore.extensions import db
from bookstore.page_cache_near import NearPages
from tests.factories import make_book


def cache_state(response) -> str | None:
    return response.headers.get("X-Page-Cache")


def _at(monkeypatch, seconds_from_now: float) -> None:
    later = time.monotonic() + seconds_from_now
    monkeypatch.setattr(page_cache_near.time, "monotonic", lambda: later)


def test_kept_pages_expire_and_stay_few(monkeypatch):
    near = NearPages(entries=2, seconds=1.0)
    near.keep("a", "page a")
    near.keep("b", "page b")
    assert near.get("a") == "page a"
    near.keep("c", "page c")  # "b" was used least recently

    assert near.get("b") is None
    assert near.get("c") == "page c"
    near.forget(["c"])
    assert near.get("c") is None
    _at(monkeypatch, 1.0)
    assert near.get("a") is None


def test_a_popular_page_is_read_from_redis_once_a_second(
    make_app, database, monkeypatch, redis_url
):
    app = make_app(CACHE_TYPE="RedisCache", CACHE_REDIS_URL=redis_url)
    with app.app_context():
        slug = make_book("Murder at the Dacha").slug
        db.session.commit()
    client = app.test_client()
    assert cache_state(client.get(f"/books/{slug}")) == "miss"
    assert cache_state(client.get(f"/books/{slug}")) == "hit"  # from Redis, kept near
    redis = app.extensions["page_cache"]["lines"]  # the page cache's GETs and SETs
    asked = []
    read = redis.get
    monkeypatch.setattr(redis, "get", lambda key: asked.append(key) or read(key))

    for _ in range(5):
        page = client.get(f"/books/{slug}")
        assert cache_state(page) == "hit"
        assert "Murder at the Dacha" in page.get_data(as_text=True)
    assert asked == []
    _at(monkeypatch, page_cache_near.NEAR_SECONDS)
    assert cache_state(client.get(f"/books/{slug}")) == "hit"
    assert len(asked) == 1


def test_another_workers_change_shows_within_the_second(make_app, database, monkeypatch, redis_url):
    settings = {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": redis_url}
    first_worker, second_worker = make_app(**settings), make_app(**settings)
    with first_worker.app_context():
        slug = make_book("Murder at the Dacha").slug
        db.session.commit()
    first = first_worker.test_client()
    first.get(f"/books/{slug}")
    assert cache_state(first.get(f"/books/{slug}")) == "hit"  # kept near by the first worker
    with second_worker.app_context():
        db.session.scalar(select(Book).where(Book.slug == slug)).subtitle = "Now with a subtitle"
        db.session.commit()

    later = time.monotonic() + page_cache.GENERATION_RECHECK_SECONDS
    monkeypatch.setattr(page_cache.time, "monotonic", lambda: later)  # the first worker rechecks
    fresh = first.get(f"/books/{slug}")

    assert cache_state(fresh) == "miss"
    assert "Now with a subtitle" in fresh.get_data(as_text=True)


def test_memory_cache_keeps_no_second_copy(make_app, database):
    app = make_app()  # no Redis: pages are in the worker's memory already

    assert "near" not in app.extensions["page_cache"]
