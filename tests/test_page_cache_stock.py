"""A sale refreshes only the pages that show the editions sold: stock changes are numbered per
edition (``page_cache_stock_changes``) instead of starting a new generation of every page."""

import time

from sqlalchemy import create_engine, select, update

from bookstore import page_cache
from bookstore.catalog.models import Edition
from bookstore.extensions import db
from bookstore.inventory import ledger
from bookstore.page_cache import PageCacheGeneration
from tests.factories import make_book
from tests.test_page_cache import _cached as cached
from tests.test_page_cache import _fresh as fresh
from tests.test_page_cache import cache_state


def generation() -> int:
    return db.session.scalar(select(PageCacheGeneration.value))


def two_books(app):
    with app.app_context():
        sold = make_book("Murder at the Dacha", on_hand=8, published_on=None)
        other = make_book("The Golden Calf", on_hand=8, published_on=None)
        db.session.commit()
        return (sold.slug, sold.editions[0].id), (other.slug, other.editions[0].id)


def test_a_sale_refreshes_the_books_own_pages_and_keeps_every_other(make_app, database):
    app = make_app(PAGE_SIZE=1)
    (sold, edition_id), (other, _) = two_books(app)
    client = app.test_client()
    paths = ("/books?sort=title", "/books?sort=title&page=2")
    lists = {path: cached(client, path) for path in paths}
    sold_list = next(path for path, page in lists.items() if "Murder at the Dacha" in page)
    other_list = next(path for path in lists if path != sold_list)
    cached(client, f"/books/{sold}")
    cached(client, f"/books/{other}")
    with app.app_context():
        before = generation()
        ledger.adjust_stock(edition_id, -6, reason="sold", actor_id=None)
        db.session.commit()
        assert generation() == before, "a sale is not a new generation of every page"
    assert "Only 2 left" in fresh(client, f"/books/{sold}")
    assert "Only 2 left" in fresh(client, sold_list)
    assert cache_state(client.get(f"/books/{other}")) == "hit"
    assert cache_state(client.get(other_list)) == "hit"


def test_placing_and_paying_orders_never_starts_a_new_generation(shop, buyer):
    (sold, edition_id), (other, _) = two_books(shop)
    browser = shop.test_client()
    cached(browser, f"/books/{sold}")
    cached(browser, f"/books/{other}")
    with shop.app_context():
        before = generation()
    buyer.checkout(edition_id, 2)
    with shop.app_context():
        assert generation() == before
    fresh(browser, f"/books/{sold}")  # its copies are held for the checkout
    assert cache_state(browser.get(f"/books/{other}")) == "hit"


def test_any_stock_change_refreshes_the_lists_of_books_in_stock(app):
    (_, edition_id), _ = two_books(app)
    client = app.test_client()
    cached(client, "/books?availability=available")
    with app.app_context():
        ledger.adjust_stock(edition_id, -8, reason="damaged", actor_id=None)
        db.session.commit()
    page = fresh(client, "/books?availability=available")
    assert "Murder at the Dacha" not in page
    assert "The Golden Calf" in page


def test_another_workers_sale_shows_here_within_a_second(app, database, monkeypatch):
    (sold, edition_id), (other, _) = two_books(app)
    now = time.monotonic()
    # A slow test stays within its second.
    monkeypatch.setattr(page_cache.time, "monotonic", lambda: now)
    client = app.test_client()
    assert "In stock" in cached(client, f"/books/{sold}")
    cached(client, f"/books/{other}")

    url, options = database
    worker = create_engine(url, **options)
    page_cache.watch_engine(worker)
    with worker.begin() as conn:
        conn.execute(
            update(Edition).where(Edition.id == edition_id).values(on_hand=1),
            execution_options=page_cache.stock_only(edition_id),
        )
    worker.dispose()

    assert "In stock" in cached(client, f"/books/{sold}"), "within the second: still cached"
    later = now + page_cache.GENERATION_RECHECK_SECONDS
    monkeypatch.setattr(page_cache.time, "monotonic", lambda: later)
    assert "Only 1 left" in fresh(client, f"/books/{sold}")
    assert cache_state(client.get(f"/books/{other}")) == "hit"


def test_a_worker_that_has_just_started_trusts_no_page_made_before_it(app):
    (sold, _), _ = two_books(app)
    client = app.test_client()
    cached(client, f"/books/{sold}")
    with app.app_context():
        ledger.adjust_stock(two_books_edition(sold), -1, reason="damaged", actor_id=None)
        db.session.commit()
    # A new process: it knows nothing of the stock changes made before it started.
    app.extensions["page_cache"].pop("stock")
    app.extensions["page_cache"].pop("generation", None)
    fresh(client, f"/books/{sold}")
    assert cache_state(client.get(f"/books/{sold}")) == "hit"


def test_a_price_change_is_still_a_new_generation(app):
    (_, edition_id), _ = two_books(app)
    with app.app_context():
        before = generation()
        db.session.get(Edition, edition_id).price_cents = 999
        db.session.commit()
        assert generation() == before + 1


def two_books_edition(slug: str) -> int:
    from bookstore.catalog.models import Book

    return db.session.scalar(select(Edition.id).join(Book).where(Book.slug == slug))
