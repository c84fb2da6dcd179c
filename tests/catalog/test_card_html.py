"""A book card's HTML (bookstore/catalog/card_html.py): every value escaped, and the pieces
a list writes once (link patterns, badges, amounts) the same as those written for each card."""

import pytest
from markupsafe import escape

from bookstore.catalog import card_html, cards
from bookstore.catalog.availability import Availability, StockState
from bookstore.extensions import db
from tests.factories import make_book


@pytest.fixture
def rendering(app):
    with app.test_request_context("/books"):
        yield


def card_of(book, **options) -> str:
    """The card of ``book`` as a list reads it (plain rows)."""
    return str(card_html.book_card(cards.load_for_cards([book.id])[book.id], **options))


def test_a_plain_card_reads_as_written(rendering):
    book = make_book("The Golden Calf", price_cents=1600, on_hand=2, authors=("Ilf", "Petrov"))
    db.session.commit()
    assert card_of(book, lazy=False) == (
        '<article class="book-card">\n'
        f'  <a class="book-card-link" href="/books/{book.slug}">\n'
        f'    <img class="cover" src="/covers/{book.slug}.svg" alt="" width="160" height="240"'
        ' fetchpriority="high" decoding="async">\n'
        '    <h3 class="book-card-title">The Golden Calf</h3>\n'
        "  </a>\n"
        '  <p class="book-card-byline">Ilf and Petrov</p>\n'
        '  <p class="book-card-meta"><span class="price">$16.00</span>'
        ' <span class="badge badge-low-stock">Only 2 left</span></p>\n'
        "</article>"
    )


def test_a_card_escapes_its_title_authors_and_slug_in_both_links(rendering):
    """A slug typed by staff may hold characters HTML must escape: the escaped pattern with
    the escaped slug put in is the escaped link."""
    book = make_book('Tom & "Jerry" <3', authors=("O'Brien & Sons",))
    book.slug = "tom-&-'jerry'"
    db.session.commit()
    html = card_of(book, lazy=True)
    slug = escape(book.slug)
    assert f'href="{escape("/books/" + book.slug)}"' in html
    assert f'src="{escape("/covers/" + book.slug + ".svg")}"' in html
    assert str(slug) == "tom-&amp;-&#39;jerry&#39;"
    assert ">Tom &amp; &#34;Jerry&#34; &lt;3</h3>" in html
    assert ">O&#39;Brien &amp; Sons</p>" in html
    assert 'loading="lazy"' in html


def test_a_badge_written_once_matches_its_state_and_words(rendering):
    for state in StockState:
        availability = Availability(state, "Only 2 <left>")
        assert str(card_html.availability_badge(availability)) == (
            f'<span class="badge badge-{state.value.replace("_", "-")}">Only 2 &lt;left&gt;</span>'
        )


def test_an_amount_written_once_still_refuses_what_is_not_cents():
    assert card_html._money(1, "USD") == "$0.01"
    with pytest.raises(TypeError):
        card_html._money(True, "USD")  # equal to 1, but not cents
    assert card_html._money(123456, "GBP") == "£1,234.56"
