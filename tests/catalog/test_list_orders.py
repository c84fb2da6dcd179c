"""A catalog list's order is kept in memory while the catalog stays the same
(bookstore/catalog/listing.py ``_kept_order``): its pages are the ones read afresh, and a
change to the catalog shows on the very next page."""

import re
from datetime import date

import pytest
from sqlalchemy import select

from bookstore.catalog import listing
from bookstore.catalog.models import Book, Edition, Format, Subject
from bookstore.extensions import db
from tests.catalog.test_query_counts import counted_queries
from tests.factories import make_book

LINKS = re.compile(r'href="/books/([a-z0-9-]+)"')


def slugs(page) -> list[str]:
    """The books a list page links to, in order, once each."""
    return list(dict.fromkeys(LINKS.findall(page.text)))


def books_queries(statements: list[str]) -> int:
    """Statements that read a list's ids (not its cards)."""
    return sum(s.lstrip().startswith("SELECT books.id \nFROM books") for s in statements)


def make_catalog(count: int) -> None:
    for n in range(count):
        make_book(
            f"Book {n:02}",
            subjects=("Mystery",) if n % 2 else ("History",),
            formats=("paperback", "ebook") if n % 3 else ("hardcover",),
            published_on=date(2000 + n % 7, 1 + n % 12, 1) if n % 5 else None,
            price_cents=1000 + 100 * (n % 4),
        )
    db.session.commit()


@pytest.mark.parametrize("sort", ["newest", "title", "price"])
@pytest.mark.parametrize(
    ("narrow", "small_subject"),
    [
        ("", 1000),
        ("&format=paperback", 1000),
        ("&subject=mystery", 1000),  # a small subject: read from its own index
        ("&subject=mystery", 2),  # a broad one: picked from the catalog's kept order
    ],
)
def test_pages_from_a_kept_order_are_the_pages_read_afresh(
    make_app, monkeypatch, sort, narrow, small_subject
):
    # A kept order first holds COUNT_CAP + 1 books, then reads further for later pages.
    monkeypatch.setattr(listing, "COUNT_CAP", 3)
    monkeypatch.setattr(listing, "SMALL_SUBJECT", small_subject)
    kept = make_app(PAGE_SIZE=4)
    afresh = make_app(PAGE_SIZE=4, PAGE_CACHE_SECONDS=0)
    with kept.app_context():
        make_catalog(30)
    kept_client, afresh_client = kept.test_client(), afresh.test_client()
    for page in range(1, 10):
        url = f"/books?sort={sort}{narrow}&page={page}"
        from_kept, from_fresh = kept_client.get(url), afresh_client.get(url)
        assert from_kept.status_code == from_fresh.status_code, url
        if from_fresh.status_code == 404:
            break
        assert slugs(from_kept) == slugs(from_fresh), url
        # The count ("Showing 5-8 of 15 books", capped) is the same too.
        assert re.findall(r"\d+\+? books", from_kept.text) == re.findall(
            r"\d+\+? books", from_fresh.text
        ), url


def test_a_later_page_of_a_kept_list_reads_no_ids(make_app):
    app = make_app(PAGE_SIZE=4)
    with app.app_context():
        make_catalog(12)
        engine = db.engine
    client = app.test_client()
    with counted_queries(engine) as first:
        client.get("/books?sort=title")
    with counted_queries(engine) as second:
        page = client.get("/books?sort=title&page=2")
    assert page.status_code == 200
    assert books_queries(first) == 1
    assert books_queries(second) == 0


def test_a_new_book_shows_on_the_next_page_of_a_kept_list(make_app):
    app = make_app(PAGE_SIZE=4)
    with app.app_context():
        make_catalog(6)
    client = app.test_client()
    assert slugs(client.get("/books?sort=title"))[0].startswith("book-00")
    with app.app_context():
        make_book("Aardvark Days", subjects=("Mystery",))
        db.session.commit()
    # Page 2 starts a book later, and the subject's list has the new book first.
    assert slugs(client.get("/books?sort=title&page=2"))[0].startswith("book-03")
    assert slugs(client.get("/books?sort=title&subject=mystery"))[0].startswith("aardvark-days")


@pytest.mark.parametrize("sort", ["newest", "title", "price"])
def test_a_broad_subject_past_the_catalogs_kept_order_is_read_from_the_database(
    make_app, monkeypatch, sort
):
    # The catalog's kept order stops at MAX_PAGE pages: a subject's later books are not in it.
    monkeypatch.setattr(listing, "SMALL_SUBJECT", 2)
    monkeypatch.setattr(listing, "MAX_PAGE", 3)
    kept = make_app(PAGE_SIZE=2)
    afresh = make_app(PAGE_SIZE=2, PAGE_CACHE_SECONDS=0)
    with kept.app_context():
        make_catalog(30)
    kept_client, afresh_client = kept.test_client(), afresh.test_client()
    for page in (1, 2, 3):
        url = f"/books?sort={sort}&subject=history&page={page}"
        assert slugs(kept_client.get(url)) == slugs(afresh_client.get(url)), url
    assert kept_client.get(f"/books?sort={sort}&subject=history&page=4").status_code == 404


def test_a_broad_subjects_pages_read_its_books_ids_and_no_list(make_app, monkeypatch):
    monkeypatch.setattr(listing, "SMALL_SUBJECT", 2)
    app = make_app(PAGE_SIZE=4)
    with app.app_context():
        make_catalog(12)
        engine = db.engine
    client = app.test_client()
    client.get("/books?sort=title")  # the catalog's order, kept
    with counted_queries(engine) as statements:
        page = client.get("/books?sort=title&subject=mystery&page=2")
    assert page.status_code == 200
    assert books_queries(statements) == 0
    # Mystery is every other book: its second page of four, by title.
    assert [slug[:7] for slug in slugs(page)] == ["book-09", "book-11"]


@pytest.mark.parametrize("cache_seconds", [0, 300])
def test_one_formats_price_order_is_its_editions_price_then_the_book(make_app, cache_seconds):
    app = make_app(PAGE_SIZE=4, PAGE_CACHE_SECONDS=cache_seconds)
    with app.app_context():
        make_catalog(20)
        # A retired paperback: its book leaves the paperback list.
        retired = db.session.scalars(
            select(Edition).where(Edition.format == Format.PAPERBACK).order_by(Edition.id)
        ).first()
        retired.active = False
        db.session.commit()
        expected = list(
            db.session.scalars(
                select(Book.slug)
                .join(Edition, Edition.book_id == Book.id)
                .where(Edition.format == Format.PAPERBACK, Edition.active)
                .order_by(Edition.price_cents, Book.id)
            )
        )
    client = app.test_client()
    shown: list[str] = []
    for page in range(1, 10):
        response = client.get(f"/books?format=paperback&sort=price&page={page}")
        if response.status_code == 404:
            break
        shown += slugs(response)
    assert shown == expected
    assert len(expected) == 12  # two books in three have a paperback, less the retired one
    # Past the last page: a clear "no such page", not an error.
    assert client.get("/books?format=paperback&sort=price&page=5").status_code == 404


def subject_reads(statements: list[str]) -> int:
    """Statements that read subjects (by slug, or all of them)."""
    return sum("FROM subjects" in s for s in statements)


def catalog_app(make_app, **config):
    """A shop of eight books, half of them mysteries, four to a page."""
    app = make_app(PAGE_SIZE=4, **config)
    with app.app_context():
        make_catalog(8)
    return app


def test_a_subject_filter_reads_the_subjects_once_while_the_catalog_stays_the_same(make_app):
    app = catalog_app(make_app)
    client = app.test_client()
    with app.app_context():
        engine = db.engine
    with counted_queries(engine) as first:
        assert client.get("/books?subject=mystery").status_code == 200
    with counted_queries(engine) as later:
        assert client.get("/books?subject=history&sort=title").status_code == 200
        assert client.get("/books?subject=no-such-subject").status_code == 404
    assert subject_reads(first) > 0  # the subjects by slug, and the filter form's
    assert subject_reads(later) == 0


def test_a_renamed_subject_shows_its_new_name_on_the_next_page(make_app):
    app = catalog_app(make_app)
    client = app.test_client()
    assert "<title>Mystery · Books" in client.get("/books?subject=mystery").text
    with app.app_context():
        subject = db.session.scalars(select(Subject).where(Subject.slug == "mystery")).one()
        subject.name = "Crime"
        db.session.commit()
    assert "<title>Crime · Books" in client.get("/books?subject=mystery&sort=title").text


@pytest.mark.parametrize("cache_seconds", [0, 300])
def test_a_subject_filter_lists_the_subjects_books(make_app, cache_seconds):
    client = catalog_app(make_app, PAGE_CACHE_SECONDS=cache_seconds).test_client()
    page = client.get("/books?subject=mystery&sort=title")
    assert [slug[:7] for slug in slugs(page)] == ["book-01", "book-03", "book-05", "book-07"]
    assert client.get("/books?subject=no-such-subject").status_code == 404
