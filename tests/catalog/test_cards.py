"""Book cards are rendered once and kept (bookstore/catalog/cards.py): a kept card is used on
every list page that shows its book, for its audience only, and never outlives the stock, the
catalog or the day it was rendered with."""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import text

from bookstore.accounts.models import Role
from bookstore.catalog import cards
from bookstore.catalog.models import Book
from bookstore.extensions import db
from bookstore.inventory import ledger
from tests.catalog.test_query_counts import counted_queries
from tests.deals.test_member_prices import MEMBER_PRICE, MEMBERS_PAY, shop_with_discount, signed_in
from tests.factories import make_book, make_user
from tests.staff.helpers import log_in
from tests.test_page_cache import cache_state

__all__ = ["shop_with_discount"]  # a fixture used here

LISTS = ("/books", "/books?sort=title", "/books?sort=price", "/search?q=dacha")


@pytest.fixture
def card_loads(monkeypatch) -> list[list[int]]:
    """The ids of each statement that reads what cards show (cards.load_for_cards, on the
    driver's connection: SQLAlchemy's events do not see it)."""
    loads: list[list[int]] = []
    read = cards._card_rows

    def noted(ids: list[int]) -> list[tuple]:
        loads.append(list(ids))
        return read(ids)

    monkeypatch.setattr(cards, "_card_rows", noted)
    return loads


def test_a_card_rendered_for_one_list_serves_the_next_without_loading_the_book(app, card_loads):
    with app.app_context():
        book_id = make_book("Murder at the Dacha", on_hand=8).id
        db.session.commit()
    client = app.test_client()
    assert "Murder at the Dacha" in client.get("/books").text
    assert card_loads == [[book_id]]
    page = client.get("/books?sort=title")
    assert cache_state(page) == "miss"  # a new page...
    assert "Murder at the Dacha" in page.text
    assert card_loads == [[book_id]]  # ...made of the kept card


def test_a_sale_reaches_a_kept_card_on_every_page(app):
    with app.app_context():
        book = make_book("Murder at the Dacha", on_hand=8)
        db.session.commit()
        edition_id = book.editions[0].id
    client = app.test_client()
    assert "In stock" in client.get("/books").text
    with app.app_context():
        ledger.adjust_stock(edition_id, -6, reason="sold", actor_id=None)
        db.session.commit()
    for url in LISTS[1:]:
        page = client.get(url).text
        assert "Only 2 left" in page, url
        assert "In stock" not in page, url


def test_a_price_change_reaches_a_kept_card(app):
    with app.app_context():
        book = make_book("Murder at the Dacha", price_cents=1600)
        db.session.commit()
        book_id = book.id
    client = app.test_client()
    assert "$16.00" in client.get("/books").text
    with app.app_context():
        db.session.get(Book, book_id).editions[0].price_cents = 1850
        db.session.commit()
    page = client.get("/books?sort=price").text
    assert "$18.50" in page
    assert "$16.00" not in page


def test_members_and_other_visitors_never_share_a_card(app, shop_with_discount):
    guest = app.test_client()
    member = signed_in(app, "vera@example.com")
    customer = signed_in(app, "anna@example.com")
    for n, url in enumerate(LISTS):
        # Each audience renders first on some page, then reads kept cards on the next.
        order = [(guest, member, customer), (member, customer, guest), (customer, guest, member)]
        for client in order[n % 3]:
            page = client.get(url).text
            if client is member:
                assert MEMBER_PRICE.findall(page) == ["$13.60"], url
                assert "Members pay" not in page
            else:
                assert MEMBERS_PAY.findall(page) == ["$13.60"], url
                assert "price-member" not in page


def test_staff_get_cards_rendered_afresh(app, card_loads):
    with app.app_context():
        make_book("Murder at the Dacha", on_hand=8)
        staff = make_user("staff@example.com", name="Sam Staff", role=Role.STAFF)
        db.session.commit()
        staff_client = app.test_client()
        log_in(staff_client, staff)
    app.test_client().get("/books")  # a guest's visit keeps the card
    assert len(card_loads) == 1
    assert "Murder at the Dacha" in staff_client.get("/books?sort=title").text
    assert len(card_loads) == 2


def test_a_card_read_from_plain_rows_knows_preorders_and_prices(app):
    """Cards are read with Core rows (dates as the database gives them): the same words as a
    book page for a book out next year, in stock and with two prices."""
    with app.app_context():
        make_book("Coming Soon", published_on=date.today() + timedelta(days=400), on_hand=5)
        make_book("Two Formats", formats=("paperback", "ebook"), price_cents=1600, on_hand=9)
        db.session.commit()
    page = app.test_client().get("/books").text
    assert re.search(r"Coming Soon.*?badge-preorder\">Preorder: published", page, re.S)
    assert re.search(r'Two Formats.*?<span class="price">from \$[0-9.]+</span>', page, re.S)
    assert re.search(r"Two Formats.*?badge-in-stock\">In stock", page, re.S)


def test_a_card_read_in_one_statement_shows_each_edition_and_author_once(app):
    """Cards read a book's editions and authors in one statement (a row for each pair): the
    card names every author once, in credit order, and prices every edition once."""
    with app.app_context():
        make_book(
            "Three Hands",
            formats=("paperback", "hardcover", "ebook"),
            price_cents=1600,
            authors=("Zoya Second", "Anna First", "Boris Third"),
        )
        db.session.commit()
    page = app.test_client().get("/books").text
    byline = re.search(r'Three Hands.*?book-card-byline">([^<]*)<', page, re.S)
    assert byline is not None
    assert byline.group(1) == "Zoya Second, Anna First and Boris Third"
    assert page.count('class="book-card-title">Three Hands<') == 1
    # The ebook's $10.00 is the lowest of the three editions' prices.
    assert re.search(r'Three Hands.*?<span class="price">from \$10\.00</span>', page, re.S)


def test_cards_of_any_number_of_books_are_one_statement_on_the_driver_prepared_on_postgresql(
    app, card_loads
):
    """The statement that loads cards runs on the driver's connection, unseen by SQLAlchemy,
    one for any number of books. On PostgreSQL its text is the same for 1 book and for 7 (the
    ids are one array, ``= ANY``), so the driver prepares it and the server plans it once per
    connection, instead of parsing and planning a new ``IN`` list per number of cards."""
    with app.app_context():
        ids = [make_book(f"Book {n}", authors=(f"Author {n}",)).id for n in range(7)]
        db.session.commit()
        engine = db.engine
        with counted_queries(engine) as statements:
            for count in (1, 7, 3, 7, 2, 5, 7):
                found = cards.load_for_cards(ids[:count])
                assert sorted(found) == sorted(ids[:count])
                assert [a.name for a in found[ids[0]].authors] == ["Author 0"]
        assert len(card_loads) == 7
        assert statements == []
        if engine.dialect.name == "postgresql":
            prepared = db.session.scalars(
                text("SELECT statement FROM pg_prepared_statements")
            ).all()
            assert [s for s in prepared if "books.id = ANY" in s] != []
        db.session.rollback()


def test_cards_read_what_the_session_holds(app_ctx):
    """The cards' statement runs in the session's transaction, after a flush (as an ORM read
    would): a book not committed yet, with a price changed but not flushed, has its card."""
    book = make_book("Not Committed", price_cents=1600)
    book.editions[0].price_cents = 1850
    found = cards.load_for_cards([book.id])
    assert found[book.id].title == "Not Committed"
    assert [edition.price_cents for edition in found[book.id].editions] == [1850]
    db.session.rollback()
    assert cards.load_for_cards([book.id]) == {}


def test_a_card_shows_no_inactive_edition(app):
    """Cards read active editions only: a withdrawn format sets neither price nor badge."""
    with app.app_context():
        book = make_book("Two Formats", formats=("paperback", "ebook"), price_cents=1600)
        paperback = next(e for e in book.editions if e.format.value == "paperback")
        paperback.active = False
        db.session.commit()
        found = cards.load_for_cards([book.id])[book.id]
        assert [edition.format.value for edition in found.editions] == ["ebook"]
    page = app.test_client().get("/books").text
    assert re.search(r"Two Formats.*?Available to download", page, re.S)
    assert "from $" not in page


def test_card_ids_go_to_postgresql_as_the_text_of_an_integer_array():
    assert cards._int_array([3, 14, 159]) == "{3,14,159}"
    assert cards._int_array([]) == "{}"
    assert cards._int_array([True, 2]) == "{1,2}"  # ints whatever their kind, never quoted


def test_a_list_of_many_books_gets_every_card_in_its_order(app, card_loads):
    with app.app_context():
        ids = [make_book(f"Book number {n}", on_hand=n % 3).id for n in range(30)]
        db.session.commit()
        wanted = ids[::-1][:24]
        found = cards.load_for_cards(wanted)
        assert sorted(found) == sorted(wanted)
        assert [found[i].title for i in wanted] == [f"Book number {ids.index(i)}" for i in wanted]
    assert card_loads == [wanted]
