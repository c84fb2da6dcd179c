"""The test builders make valid rows on both databases."""

from bookstore.catalog.isbn import is_valid_isbn13
from bookstore.catalog.models import Format
from tests.factories import make_book, make_user


def test_make_book_builds_editions_with_valid_isbns(app_ctx):
    book = make_book("Murder at the Dacha", formats=("paperback", "ebook"), series=("M", 2))
    assert [e.format for e in book.editions] == [Format.PAPERBACK, Format.EBOOK]
    assert all(is_valid_isbn13(e.isbn13) for e in book.editions)
    assert book.editions[0].available == 10
    assert book.editions[1].available is None
    assert book.series.name == "M"


def test_make_user(app_ctx):
    user = make_user("Reader@Example.com")
    assert user.email == "reader@example.com"
    assert user.get_id() == f"{user.id}:1"
