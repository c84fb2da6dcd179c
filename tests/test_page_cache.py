"""The page cache: visitors share rendered pages, each with their own CSRF token and cart count,
and every committed change to what a page shows is seen on the next request (signed-in
audiences: test_page_cache_audiences.py)."""

import re
import threading
import time
from datetime import date, timedelta

import pytest
from flask_wtf.csrf import generate_csrf
from sqlalchemy import create_engine, select, text, update

from bookstore import page_cache
from bookstore.accounts.models import Role
from bookstore.cart import services as cart_services
from bookstore.catalog import filters
from bookstore.catalog.models import Book, Edition
from bookstore.catalog.search_index import reindex_books
from bookstore.dbtypes import utcnow
from bookstore.extensions import db
from bookstore.inventory import ledger
from bookstore.page_cache import PageCacheGeneration, PageCacheStockChange
from tests.accounts.helpers import log_in
from tests.catalog.test_query_counts import counted_queries
from tests.factories import get_subject, make_book, make_user
from tests.journal.builders import make_post

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
CART_COUNT = re.compile(r'class="cart-count"[^>]*>(\d+)<')


def cache_state(response) -> str | None:
    return response.headers.get("X-Page-Cache")


def tokens(response) -> set[str]:
    return set(TOKEN.findall(response.get_data(as_text=True)))


def generation() -> int:
    return db.session.scalar(select(PageCacheGeneration.value))


@pytest.fixture
def dacha(app):
    with app.app_context():
        book = make_book("Murder at the Dacha", on_hand=8, price_cents=1600)
        db.session.commit()
        return book.slug, book.editions[0].id


def test_a_second_anonymous_visit_is_served_from_the_cache(app, dacha):
    slug, _ = dacha
    client = app.test_client()
    first = client.get(f"/books/{slug}")
    second = client.get(f"/books/{slug}")
    assert (cache_state(first), cache_state(second)) == ("miss", "hit")
    assert first.get_data() == second.get_data()
    assert "Murder at the Dacha" in second.get_data(as_text=True)
    assert "pc-" not in second.get_data(as_text=True), "a placeholder leaked"
    assert second.headers["Content-Security-Policy"]
    assert client.head(f"/books/{slug}").status_code == 200


def test_a_hit_costs_no_query_within_the_second(app, dacha):
    slug, _ = dacha
    client = app.test_client()
    client.get(f"/books/{slug}")
    with app.app_context():
        engine = db.engine
    with counted_queries(engine) as statements:
        assert cache_state(client.get(f"/books/{slug}")) == "hit"
    assert statements == []


def test_another_workers_change_shows_here_within_a_second(app, database, dacha, monkeypatch):
    slug, edition_id = dacha
    client = app.test_client()
    assert "$16.00" in _cached(client, f"/books/{slug}")

    # Another worker: its own engine and process state, the same database.
    url, options = database
    other = create_engine(url, **options)
    page_cache.watch_engine(other)
    with other.begin() as conn:
        conn.execute(update(Edition).where(Edition.id == edition_id).values(price_cents=1250))
    other.dispose()

    assert "$16.00" in _cached(client, f"/books/{slug}"), "within the second: still cached"
    later = time.monotonic() + page_cache.GENERATION_RECHECK_SECONDS
    monkeypatch.setattr(page_cache.time, "monotonic", lambda: later)
    assert "$12.50" in _fresh(client, f"/books/{slug}")


def test_each_visitor_gets_their_own_csrf_token_from_the_shared_page(make_app, database):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        book = make_book("Murder at the Dacha", on_hand=8)
        db.session.commit()
        slug, edition_id = book.slug, book.editions[0].id
    anna, boris = app.test_client(), app.test_client()
    assert cache_state(anna.get(f"/books/{slug}")) == "miss"
    page = boris.get(f"/books/{slug}")
    assert cache_state(page) == "hit"
    [anna_token] = tokens(anna.get(f"/books/{slug}"))
    [boris_token] = tokens(page)
    assert anna_token != boris_token

    # Boris's token from the cached page works for Boris, and not for Anna.
    refused = anna.post("/cart/add", data={"edition_id": edition_id, "csrf_token": boris_token})
    assert refused.status_code == 400
    added = boris.post("/cart/add", data={"edition_id": edition_id, "csrf_token": boris_token})
    assert added.status_code in (302, 303)


def test_the_cart_count_is_the_visitors_own(app, dacha):
    slug, edition_id = dacha
    shopper, stranger = app.test_client(), app.test_client()
    assert cache_state(stranger.get(f"/books/{slug}")) == "miss"
    shopper.post("/cart/add", data={"edition_id": edition_id, "quantity": 2})
    flashed = shopper.get(f"/books/{slug}")
    assert cache_state(flashed) is None, "a page with a flashed message is never cached"
    assert "to your cart" in flashed.get_data(as_text=True)

    mine = shopper.get(f"/books/{slug}")
    theirs = stranger.get(f"/books/{slug}")
    assert (cache_state(mine), cache_state(theirs)) == ("hit", "hit")
    assert CART_COUNT.findall(mine.get_data(as_text=True)) == ["2"]
    assert CART_COUNT.findall(theirs.get_data(as_text=True)) == ["0"]


def test_a_guest_with_only_a_token_gets_the_guest_values_without_asking_for_them(
    make_app, database, monkeypatch
):
    app = make_app(PAGE_CACHE_GUEST_HITS=False)  # Flask serves the hits too
    with app.app_context():
        slug = make_book("Murder at the Dacha", on_hand=8).slug
        db.session.commit()

    def no_lookup():
        raise AssertionError("a plain guest's cart count is 0 without asking")

    monkeypatch.setitem(page_cache._per_visitor, "cart-count", no_lookup)
    guest = app.test_client()
    for state in ("miss", "hit"):
        page = guest.get(f"/books/{slug}")
        assert cache_state(page) == state
        assert CART_COUNT.findall(page.get_data(as_text=True)) == ["0"]


def test_placeholders_are_filled_in_one_pass_and_others_left_as_they_are():
    mark = "0123456789abcdef"
    body = (
        f"<p>pc-{mark}-visitor-name pc-{mark}-csrf pc-{mark}-csrf</p>"
        f"<i>pc-{mark}-no-such-value pc-other-csrf pc-{mark}.edition-actions.W10=.</i>"
    ).encode()
    asked: list[bytes] = []

    def value(name: bytes) -> bytes:
        asked.append(name)
        return b"<" + name + b">"

    def parts(places):
        return {
            (name, code): b"[" + name + b"]" for name, codes in places.items() for code in codes
        }

    filled = page_cache.fill_placeholders(body, mark, value, parts)
    assert (
        filled
        == (
            f"<p><visitor-name> <csrf> <csrf></p>"
            f"<i>pc-{mark}-no-such-value pc-other-csrf [edition-actions]</i>"
        ).encode()
    )
    assert asked == [b"visitor-name", b"csrf", b"csrf"]  # the caller keeps what it computed
    assert page_cache.fill_placeholders(body, mark, value, None) is None  # parts wanted
    assert page_cache.fill_placeholders(body, mark, lambda name: None, parts) is None
    assert page_cache.fill_placeholders(b"<p>plain</p>", mark, value, parts) == b"<p>plain</p>"


def test_staff_always_get_a_fresh_page(app, dacha):
    slug, _ = dacha
    with app.app_context():
        make_user("anna@example.com", name="Anna Pavlova", role=Role.STAFF)
        db.session.commit()
    client = app.test_client()
    assert cache_state(client.get(f"/books/{slug}")) == "miss"
    log_in(client, "anna@example.com")
    for _ in range(2):
        page = client.get(f"/books/{slug}")
        assert cache_state(page) is None
        assert "Anna Pavlova" in page.get_data(as_text=True)


def test_a_page_cache_of_zero_seconds_turns_it_off(make_app, database):
    app = make_app(PAGE_CACHE_SECONDS=0)
    with app.app_context():
        slug = make_book("Murder at the Dacha").slug
        db.session.commit()
    client = app.test_client()
    assert [cache_state(client.get(f"/books/{slug}")) for _ in range(2)] == [None, None]


def test_query_strings_are_different_pages_and_other_hosts_are_refused(app, dacha):
    client = app.test_client()
    assert cache_state(client.get("/books?sort=title")) == "miss"
    assert cache_state(client.get("/books?sort=price")) == "miss"
    assert cache_state(client.get("/books?sort=title")) == "hit"
    other_host = client.get("/books?sort=title", base_url="http://shop.example")
    assert other_host.status_code == 400
    assert cache_state(other_host) is None


def test_missing_pages_are_not_cached(app):
    client = app.test_client()
    for _ in range(2):
        response = client.get("/books/no-such-book")
        assert response.status_code == 404
        assert cache_state(response) is None


# -- Freshness: every kind of write shows on the next request -----------------------------------


def _cached(client, path) -> str:
    client.get(path)
    response = client.get(path)
    assert cache_state(response) == "hit"
    return response.get_data(as_text=True)


def _fresh(client, path) -> str:
    response = client.get(path)
    assert cache_state(response) == "miss", "the change did not reach the page"
    return response.get_data(as_text=True)


def test_a_price_change_shows_at_once(app, dacha):
    slug, edition_id = dacha
    client = app.test_client()
    assert "$16.00" in _cached(client, f"/books/{slug}")
    with app.app_context():
        db.session.get(Edition, edition_id).price_cents = 1250
        db.session.commit()
    assert "$12.50" in _fresh(client, f"/books/{slug}")


def test_a_stock_change_by_conditional_update_shows_at_once(app, dacha):
    slug, edition_id = dacha
    client = app.test_client()
    assert "In stock" in _cached(client, f"/books/{slug}")
    with app.app_context():
        ledger.adjust_stock(edition_id, -6, reason="damaged", actor_id=None)
        db.session.commit()
    assert "Only 2 left" in _fresh(client, f"/books/{slug}")


def test_a_new_book_and_a_new_subject_link_show_at_once(app, dacha):
    slug, _ = dacha
    client = app.test_client()
    assert "The Golden Calf" not in _cached(client, "/books?sort=title")
    with app.app_context():
        make_book("The Golden Calf")
        db.session.commit()
    assert "The Golden Calf" in _fresh(client, "/books?sort=title")
    assert "Satire" not in _cached(client, f"/books/{slug}")
    with app.app_context():
        book = db.session.scalar(select(Book).where(Book.slug == slug))
        book.subjects.append(get_subject("Satire"))
        db.session.commit()
    assert "Satire" in _fresh(client, f"/books/{slug}")


def test_search_results_follow_the_catalog(app, dacha):
    client = app.test_client()
    assert "Calf" not in _cached(client, "/search?q=calf")
    with app.app_context():
        make_book("The Golden Calf")
        db.session.commit()
    assert "The Golden Calf" in _fresh(client, "/search?q=calf")


def test_a_new_journal_post_shows_on_the_home_page_at_once(app, dacha):
    client = app.test_client()
    assert "A Winter in Kazan" not in _cached(client, "/")
    with app.app_context():
        make_post("A Winter in Kazan")
        db.session.commit()
    assert "A Winter in Kazan" in _fresh(client, "/")


def test_a_new_day_renders_afresh(app, monkeypatch):
    with app.app_context():
        slug = make_book("Murder and the Muse", published_on=date.today() + timedelta(days=1)).slug
        db.session.commit()
    client = app.test_client()
    assert "Preorder" in _cached(client, f"/books/{slug}")
    tomorrow = date.today() + timedelta(days=1)
    monkeypatch.setattr(filters, "shop_today", lambda: tomorrow)
    _fresh(client, f"/books/{slug}")  # rendered again: the day is part of the key


def test_writes_elsewhere_and_rolled_back_writes_keep_the_cache(app, dacha):
    slug, edition_id = dacha
    with app.app_context():
        before = generation()
        cart = cart_services.open_cart(None, None)
        cart_services.add_item(cart, edition_id, 1, max_per_line=10)
        db.session.commit()
        db.session.execute(update(Edition).values(price_cents=1))
        db.session.rollback()
        assert generation() == before
        db.session.get(Edition, edition_id).price_cents = 999
        db.session.commit()
        assert generation() == before + 1


def test_raw_sql_writes_say_so_with_note_change(app, dacha):
    with app.app_context():
        before = generation()
        connection = db.session.connection()
        connection.execute(text("UPDATE books SET subtitle = 'A Matyushkin mystery'"))
        db.session.commit()
        assert generation() == before, "raw SQL is invisible to the engine's events"
        connection = db.session.connection()
        reindex_books(connection, 0, 10**9)  # says note_change itself
        db.session.commit()
        assert generation() == before + 1


# -- Redis: one cache for every worker, and an outage costs only speed ---------------------------


def test_workers_share_pages_through_redis(make_app, database, monkeypatch, redis_url):
    url = redis_url
    settings = {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": url}
    first_worker, second_worker = make_app(**settings), make_app(**settings)
    with first_worker.app_context():
        slug = make_book("Murder at the Dacha").slug
        db.session.commit()
    assert cache_state(first_worker.test_client().get(f"/books/{slug}")) == "miss"
    assert cache_state(second_worker.test_client().get(f"/books/{slug}")) == "hit"
    with second_worker.app_context():
        db.session.scalar(select(Book).where(Book.slug == slug)).subtitle = "Now with a subtitle"
        db.session.commit()
    later = time.monotonic() + page_cache.GENERATION_RECHECK_SECONDS
    monkeypatch.setattr(page_cache.time, "monotonic", lambda: later)  # the first worker rechecks
    fresh = first_worker.test_client().get(f"/books/{slug}")
    assert cache_state(fresh) == "miss"
    assert "Now with a subtitle" in fresh.get_data(as_text=True)


def test_a_redis_outage_still_serves_the_page(make_app, database, caplog):
    app = make_app(CACHE_TYPE="RedisCache", CACHE_REDIS_URL="redis://127.0.0.1:9/0")
    with app.app_context():
        slug = make_book("Murder at the Dacha").slug
        db.session.commit()
    response = app.test_client().get(f"/books/{slug}")
    assert response.status_code == 200
    assert "Murder at the Dacha" in response.get_data(as_text=True)
    assert "Redis unavailable" in caplog.text  # one warning, no traceback
    assert not any(record.exc_info for record in caplog.records)
    again = app.test_client().get(f"/books/{slug}")  # the breaker is open: memory serves it
    assert again.headers["X-Page-Cache"] == "hit"


# -- PostgreSQL: concurrent writers each bump the generation, and none deadlocks -----------------


@pytest.mark.postgres
def test_racing_stock_changes_are_each_numbered_in_commit_order(pg_app):
    count = 12
    with pg_app.app_context():
        editions = [make_book(on_hand=5).editions[0].id for _ in range(count)]
        db.session.commit()
        before = generation()
        seq_before = db.session.scalar(select(PageCacheGeneration.stock_seq))
    barrier = threading.Barrier(count)
    errors = []

    def receive(edition_id):
        with pg_app.app_context():
            try:
                barrier.wait()
                ledger.receive_stock(edition_id, 1, actor_id=None)
                db.session.commit()
            except Exception as exc:  # noqa: BLE001  (the test reports what went wrong)
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=receive, args=(e,)) for e in editions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    with pg_app.app_context():
        # Stock alone changed: the generation stays, and each commit has a number of its own.
        assert generation() == before
        changes = db.session.execute(
            select(PageCacheStockChange.seq, PageCacheStockChange.edition_id).where(
                PageCacheStockChange.seq > seq_before
            )
        ).all()
        assert sorted(seq for seq, _ in changes) == list(
            range(seq_before + 1, seq_before + count + 1)
        )
        assert sorted(edition for _, edition in changes) == sorted(editions)


def test_the_placeholder_mark_depends_on_the_secret(make_app, database):
    one, other = make_app(SECRET_KEY="one"), make_app(SECRET_KEY="other")
    assert one.extensions["page_cache"]["mark"] != other.extensions["page_cache"]["mark"]
    assert {"books", "editions", "posts"} <= page_cache.WATCHED_TABLES


def test_pages_with_a_forms_own_csrf_field_or_a_flashed_message_are_never_shared(app):
    from flask import flash, render_template_string

    @app.get("/test-form-page")
    @page_cache.cached_page
    def form_page():
        return render_template_string("<input value='{{ own() }}'>", own=generate_csrf)

    @app.get("/test-flashing-page")
    @page_cache.cached_page
    def flashing_page():
        flash("Only for you.")
        return render_template_string("{{ get_flashed_messages() }}")

    client = app.test_client()
    assert [cache_state(client.get("/test-form-page")) for _ in range(2)] == [None, None]
    assert [cache_state(client.get("/test-flashing-page")) for _ in range(2)] == [None, None]


# -- Holds that lapse: free again on the page, and the page kept no longer than that ---------------


def test_copies_of_a_lapsed_checkout_show_as_free_before_anyone_releases_them(app):
    from tests.checkout.helpers import make_cart, place

    with app.app_context():
        book = make_book("Murder at the Dacha", on_hand=1)
        place(make_cart((book.editions[0], 1)), now=utcnow() - timedelta(hours=2))
        db.session.commit()
        slug = book.slug
        assert book.editions[0].reserved == 1, "the lapsed hold is still recorded"
    page = app.test_client().get(f"/books/{slug}").get_data(as_text=True)
    assert "Out of stock" not in page
    assert "Only 1 left" in page


def test_a_page_is_cached_no_longer_than_the_next_hold_lasts(make_app, database, monkeypatch):
    from tests.checkout.helpers import make_cart, place

    app = make_app(PAGE_CACHE_SECONDS=3600)  # longer than the 30-minute hold

    with app.app_context():
        book = make_book("Murder at the Dacha", on_hand=1)
        order = place(make_cart((book.editions[0], 1)))
        db.session.commit()
        slug, lapses_in = book.slug, (order.reserved_until - utcnow()).total_seconds()
    timeouts = []
    backend = app.extensions["cache"][page_cache.cache]
    real_set = backend.set

    def spy(key, value, timeout=None):
        timeouts.append(timeout)
        return real_set(key, value, timeout=timeout)

    monkeypatch.setattr(backend, "set", spy)
    page = app.test_client().get(f"/books/{slug}").get_data(as_text=True)
    assert "Out of stock" in page
    [timeout] = timeouts
    assert lapses_in - 5 <= timeout <= lapses_in + 1 < app.config["PAGE_CACHE_SECONDS"]


def test_a_hold_taken_since_the_last_page_counts_on_the_next(app):
    """This process keeps its reading of lapsed holds between pages while the stock stays the
    same: a hold taken (it reserves copies) is read on the very next page."""
    from tests.checkout.helpers import make_cart, place

    with app.app_context():
        other = make_book("The Other Book", on_hand=1)
        book = make_book("Murder at the Dacha", on_hand=1)
        db.session.commit()
        other_slug, slug, edition = other.slug, book.slug, book.editions[0]
    client = app.test_client()
    assert "Only 1 left" in client.get(f"/books/{other_slug}").text
    with app.app_context():
        place(make_cart((db.session.merge(edition), 1)), now=utcnow() - timedelta(hours=2))
        db.session.commit()
    page = client.get(f"/books/{slug}").text
    assert "Out of stock" not in page, "the lapsed hold's copy is free"


def test_a_kept_reading_of_holds_ends_when_the_next_hold_lapses(app, monkeypatch):
    from tests.checkout.helpers import make_cart, place

    with app.app_context():
        other = make_book("The Other Book", on_hand=1)
        book = make_book("Murder at the Dacha", on_hand=1)
        order = place(make_cart((book.editions[0], 1)))
        db.session.commit()
        other_slug, slug, lapses_at = other.slug, book.slug, order.reserved_until
    client = app.test_client()
    assert "Only 1 left" in client.get(f"/books/{other_slug}").text  # read while the hold runs
    monkeypatch.setattr(filters, "utcnow", lambda: lapses_at + timedelta(minutes=1))
    assert "Out of stock" not in client.get(f"/books/{slug}").text
