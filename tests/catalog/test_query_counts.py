"""Every catalog page issues the same number of SQL queries with 10 books and with 1,000.

Queries are counted with SQLAlchemy's ``before_cursor_execute`` event. Page size is small so
that the first pages are full in both catalogs (the last page of a list may take one query more
to reach undated books, whatever the catalog's size).
"""

from contextlib import contextmanager

import pytest
from sqlalchemy import event

from bookstore.extensions import db
from tests.factories import make_book, make_many_books

PAGES = {
    "home": "/",
    "browse": "/books",
    "browse page 2": "/books?page=2",
    "browse by title": "/books?sort=title",
    "browse by price": "/books?sort=price",
    "browse filtered": "/books?subject=bulk&format=ebook&availability=available&language=en",
    "book": "/books/{book}",
    "contributor": "/authors/bulk-author",
    "series": "/series/bulk-series",
    "subject": "/subjects/bulk?sort=title&page=2",
    "cover": "/covers/{book}.svg",
    "sitemap": "/sitemap.xml",
    "sitemap chunk": "/sitemaps/books-1.xml",
}


@contextmanager
def counted_queries(engine):
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def query_counts(app, urls: dict[str, str]) -> dict[str, int]:
    client = app.test_client()
    with app.app_context():
        engine = db.engine
    counts = {}
    for name, url in urls.items():
        with counted_queries(engine) as statements:
            response = client.get(url)
        assert response.status_code == 200, (name, url, response.status_code)
        counts[name] = len(statements)
    return counts


def grow_catalog(app, count: int) -> None:
    with app.app_context():
        make_many_books(count // 2, series="Bulk Series")
        make_many_books(count - count // 2)
        db.session.commit()


@pytest.fixture
def small_pages_app(make_app):
    # The cache off: these count what rendering a page costs (a cache hit is one query).
    return make_app(PAGE_SIZE=4, PAGE_CACHE_SECONDS=0)


def test_catalog_pages_issue_constant_queries_from_10_to_1000_books(small_pages_app):
    app = small_pages_app
    with app.app_context():
        book = make_book(
            "Murder at the Dacha",
            formats=("paperback", "ebook"),
            subjects=("Bulk", "Mystery"),
            authors=("Bulk Author",),
            series=("Bulk Series", 500),
        )
        urls = {name: url.format(book=book.slug) for name, url in PAGES.items()}
        db.session.commit()
    grow_catalog(app, 9)
    small = query_counts(app, urls)
    grow_catalog(app, 990)
    large = query_counts(app, urls)
    assert large == small
    # "A handful" per page, not one per book. (One of them reads the standing member
    # discounts, for member prices.) The book page's own statements (its book, what is around
    # it, its subjects' newest books: a fixed three) run on the driver's connection
    # (bookstore/driver_sql.py), unseen by the event counted here, as search's are.
    assert max(small.values()) <= 14, small
