"""The page cache stays bounded whatever query strings arrive: keys hold only the parameters a
page reads, in a canonical order; variants per page and bytes in all are capped; error pages
are never kept."""

from bookstore import page_cache
from bookstore.extensions import db
from bookstore.page_cache_bounds import PageIndex
from bookstore.page_cache_redis import RedisLine
from tests.factories import make_book


def cache_state(response):
    return response.headers.get("X-Page-Cache")


def index_of(app) -> PageIndex:
    return app.extensions["page_cache"]["index"]


def test_parameters_a_page_does_not_read_and_their_order_make_no_new_entry(app):
    with app.app_context():
        make_book("Murder at the Dacha")
        db.session.commit()
    client = app.test_client()
    assert cache_state(client.get("/books?sort=title&page=1")) == "miss"
    for query in [
        "page=1&sort=title",
        "sort=title&page=1&utm_source=mail&fbclid=abc",
        "junk=1&sort=title&page=1&x=%F0%9F%98%80",
    ]:
        assert cache_state(client.get(f"/books?{query}")) == "hit", query
    assert cache_state(client.get("/?anything=1")) == "miss"
    assert cache_state(client.get("/?other=2")) == "hit"
    assert len(index_of(app)) == 2


def test_junk_values_of_a_read_parameter_are_capped_per_page(make_app):
    app = make_app(PAGE_CACHE_VARIANTS=5)
    client = app.test_client()
    for n in range(30):  # an unknown sort falls back to the default page: 30 distinct keys
        assert client.get(f"/books?sort=junk{n}").status_code == 200
    index = index_of(app)
    assert index.variants("/books") == 5
    assert len(index) == 5
    # The evicted variants are gone from the cache itself, the newest ones are still there.
    assert cache_state(client.get("/books?sort=junk0")) == "miss"
    assert cache_state(client.get("/books?sort=junk29")) == "hit"


def test_total_bytes_are_capped(app):
    client = app.test_client()
    client.get("/search?q=word")
    index = index_of(app)
    one_page = index.total_bytes
    assert one_page > 0
    index.max_bytes = 12 * one_page  # room for about a dozen pages (PAGE_CACHE_MAX_BYTES)
    for n in range(40):
        client.get(f"/search?q=word{n}")
    assert index.total_bytes <= index.max_bytes
    assert 6 <= len(index) <= 13


def test_error_pages_are_never_cached(app):
    client = app.test_client()
    for path in ["/books/no-such-book", "/books?subject=nope", "/books?page=0", "/journal/nope"]:
        for _ in range(2):
            response = client.get(path)
            assert response.status_code == 404, path
            assert cache_state(response) is None, path
    assert len(index_of(app)) == 0


def test_index_evicts_the_oldest_variant_and_forgets_expired_entries():
    now = [0.0]
    index = PageIndex(variants_per_page=2, max_bytes=10_000, clock=lambda: now[0])
    assert index.add("a1", "/a", 100, 60) == []
    assert index.add("a2", "/a", 100, 60) == []
    assert index.add("a3", "/a", 100, 60) == ["a1"]
    assert index.add("b1", "/b", 100, 5) == []
    now[0] = 10.0
    # b1 expired by itself: the cache is told to drop it too (memory keeps it until then).
    assert index.add("c1", "/c", 100, 60) == ["b1"]
    assert len(index) == 3
    assert not index.admits(1_001)


def test_redis_is_not_told_of_expired_entries_it_drops_by_itself():
    now = [0.0]
    index = PageIndex(variants_per_page=2, max_bytes=10_000, clock=lambda: now[0])
    index.add("a1", "/a", 100, 60, report_expired=False)
    index.add("b1", "/b", 100, 5, report_expired=False)
    now[0] = 10.0
    assert index.add("a2", "/a", 100, 60, report_expired=False) == []  # b1 expired: forgotten
    assert index.add("a3", "/a", 100, 60, report_expired=False) == ["a1"]  # evicted: told
    assert len(index) == 2


def test_index_evicts_the_least_recently_used_not_the_least_recently_stored():
    index = PageIndex(variants_per_page=3, max_bytes=10_000, clock=lambda: 0.0, max_entries=4)
    for key in ["home", "popular", "seen-once-1"]:
        assert index.add(key, f"/{key}", 100, 60) == []
    index.used("home")
    index.used("popular")
    assert index.add("seen-once-2", "/seen-once-2", 100, 60) == []
    assert index.add("seen-once-3", "/seen-once-3", 100, 60) == ["seen-once-1"]
    index.used("home")
    assert index.add("seen-once-4", "/seen-once-4", 100, 60) == ["popular"]
    # Variants of one page too: /books?sort=title stays while other pages of /books come.
    books = PageIndex(variants_per_page=2, max_bytes=10_000, clock=lambda: 0.0)
    books.add("sort=title", "/books", 100, 60)
    books.add("page=40", "/books", 100, 60)
    books.used("sort=title")
    assert books.add("page=41", "/books", 100, 60) == ["page=40"]
    books.used("no-such-key")  # another worker's page (Redis): nothing to do
    assert len(books) == 2


def test_popular_pages_stay_cached_through_a_flood_of_pages_seen_once(make_app):
    app = make_app(PAGE_CACHE_VARIANTS=5)
    client = app.test_client()
    assert cache_state(client.get("/search?q=dacha")) == "miss"
    for n in range(30):  # searches each made once, all variants of the page /search
        assert cache_state(client.get(f"/search?q=once{n}")) == "miss"
        assert cache_state(client.get("/search?q=dacha")) == "hit", n
    assert index_of(app).variants("/search") == 5
    assert cache_state(client.get("/search?q=once0")) == "miss"  # evicted long ago


def test_the_in_memory_cache_is_bounded_by_the_index(make_app):
    app = make_app(CACHE_THRESHOLD=4)  # PAGE_CACHE_ENTRIES
    client = app.test_client()
    assert cache_state(client.get("/search?q=popular")) == "miss"
    for n in range(20):
        client.get(f"/search?q=once{n}")
        assert cache_state(client.get("/search?q=popular")) == "hit", n
    assert len(index_of(app)) <= 4


def test_evicting_from_redis_rides_with_the_set_in_one_round_trip(
    make_app, database, monkeypatch, redis_url
):
    app = make_app(CACHE_TYPE="RedisCache", CACHE_REDIS_URL=redis_url, PAGE_CACHE_VARIANTS=3)
    client = app.test_client()
    redis = app.extensions["cache"][page_cache.cache]._write_client
    by_client: list[str] = []  # commands sent through the client (none: see page_cache_redis)
    send = redis.execute_command
    monkeypatch.setattr(
        redis, "execute_command", lambda *args, **kw: by_client.append(args[0]) or send(*args, **kw)
    )
    trips: list[list[str]] = []  # each round trip on the kept connection: its commands
    calls = RedisLine.calls

    def spied(line, commands):
        trips.append([command[0] for command in commands])
        return calls(line, commands)

    monkeypatch.setattr(RedisLine, "calls", spied)
    for n in range(8):  # five past the bound: five evictions
        assert cache_state(client.get(f"/search?q=word{n}")) == "miss"
    assert trips.count(["GET"]) == 8
    assert trips.count(["SET"]) == 3  # the pages that evicted nothing
    assert trips.count(["SET", "DEL"]) == 5
    assert len(trips) == 16
    assert by_client == []
    assert index_of(app).variants("/search") == 3
    # The evicted pages are gone from Redis (a miss), the kept ones are still there.
    assert cache_state(client.get("/search?q=word0")) == "miss"
    assert cache_state(client.get("/search?q=word7")) == "hit"
