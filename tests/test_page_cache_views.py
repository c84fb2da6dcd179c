"""The page cache keeps a page from its second view on (bookstore/page_cache_bounds.py): a page
asked for once, as most of a crawl's or a busy hour's searches are, costs no write."""

import secrets

import pytest
import redis
from sqlalchemy import select

from bookstore import page_cache
from bookstore.catalog.models import Book
from bookstore.extensions import db
from bookstore.page_cache_bounds import PageViews
from tests.factories import make_book

# The shop's default (the tests' other apps keep a page from its first view).
SHIPPED = {"PAGE_CACHE_KEEP_FIRST_VIEW": False}


def cache_states(client, url: str, times: int) -> list[str | None]:
    return [client.get(url).headers.get("X-Page-Cache") for _ in range(times)]


def a_book(app) -> str:
    with app.app_context():
        slug = make_book(f"Murder at the Dacha {secrets.token_hex(4)}").slug
        db.session.commit()
    return slug


def test_in_memory_a_page_is_kept_from_its_second_view(make_app):
    app = make_app(**SHIPPED)
    slug = a_book(app)
    client = app.test_client()
    assert cache_states(client, f"/books/{slug}", 3) == ["miss", "miss", "hit"]
    # Another page, and another variant of this one, start again at their first view.
    assert cache_states(client, "/books?sort=title", 3) == ["miss", "miss", "hit"]
    assert cache_states(client, f"/books/{slug}?page=2", 1) == ["hit"]  # a parameter it ignores


def test_keep_first_view_keeps_every_page_at_once(make_app):
    app = make_app(PAGE_CACHE_KEEP_FIRST_VIEW=True)
    slug = a_book(app)
    assert cache_states(app.test_client(), f"/books/{slug}", 2) == ["miss", "hit"]


def test_a_view_counts_for_its_audience_only(make_app):
    from tests.accounts.helpers import log_in
    from tests.factories import make_user

    app = make_app(**SHIPPED)
    slug = a_book(app)
    with app.app_context():
        make_user("reader@example.com", password="correct horse battery")
        db.session.commit()
    guest, reader = app.test_client(), app.test_client()
    log_in(reader, "reader@example.com", "correct horse battery")
    reader.get("/account/")  # shows the welcome message flashed at login
    assert cache_states(guest, f"/books/{slug}", 1) == ["miss"]
    assert cache_states(reader, f"/books/{slug}", 3) == ["miss", "miss", "hit"]
    assert cache_states(guest, f"/books/{slug}", 2) == ["miss", "hit"]


def test_a_view_before_a_change_counts_after_it(make_app):
    app = make_app(**SHIPPED)
    slug = a_book(app)
    client = app.test_client()
    assert cache_states(client, f"/books/{slug}", 1) == ["miss"]
    with app.app_context():
        db.session.scalar(select(Book).where(Book.slug == slug)).subtitle = "A subtitle"
        db.session.commit()  # a new generation: the page renders afresh, and is kept at once
    fresh, again = client.get(f"/books/{slug}"), client.get(f"/books/{slug}")
    assert (fresh.headers["X-Page-Cache"], again.headers["X-Page-Cache"]) == ("miss", "hit")
    assert "A subtitle" in again.get_data(as_text=True)


def test_page_views_forget_after_their_time_and_past_their_bound():
    now = [100.0]
    views = PageViews(seconds=60, entries=2, clock=lambda: now[0])
    assert [views.seen("a"), views.seen("a")] == [False, True]
    now[0] += 61
    assert views.seen("a") is False  # a view more than a minute ago is forgotten
    assert views.seen("b") is False
    assert views.seen("c") is False  # "a", first viewed longest ago, goes
    assert [views.seen("b"), views.seen("c"), views.seen("a")] == [True, True, False]


@pytest.mark.redis
def test_with_redis_a_view_in_one_worker_counts_in_every_worker(make_app, redis_url):
    settings = {**SHIPPED, "CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": redis_url}
    first, second = make_app(**settings), make_app(**settings)
    slug = a_book(first)
    url = f"/books/{slug}"
    assert cache_states(first.test_client(), url, 1) == ["miss"]  # noted in Redis, not kept
    assert cache_states(second.test_client(), url, 1) == ["miss"]  # the second view: kept
    assert cache_states(first.test_client(), url, 1) == ["hit"]
    with first.app_context():
        mark = page_cache.view_mark(first, "anonymous", f"/books/{slug}?")
    found = redis.Redis.from_url(redis_url)
    try:
        ttl = found.ttl("bookstore:" + mark)
    finally:
        found.close()
    assert 0 < ttl <= first.config["PAGE_CACHE_SECONDS"]


def test_while_redis_is_unavailable_views_are_noted_in_the_process(make_app, caplog):
    app = make_app(**SHIPPED, CACHE_TYPE="RedisCache", CACHE_REDIS_URL="redis://127.0.0.1:9/0")
    slug = a_book(app)
    assert cache_states(app.test_client(), f"/books/{slug}", 3) == ["miss", "miss", "hit"]
    assert "Redis unavailable" in caplog.text  # the breaker took the first failure
