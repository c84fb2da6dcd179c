"""The book page's content, written in Python (bookstore/catalog/book_html.py): every value
escaped, credits and states worded as before, features' parts in their order."""

import re
from datetime import date

import pytest

from bookstore.catalog.book_html import register_edition_part
from bookstore.catalog.models import BookContributor, ContributorRole
from bookstore.dbtypes import utcnow
from bookstore.extensions import db
from tests.deals.builders import make_member
from tests.deals.test_member_prices import signed_in, standing_discount
from tests.factories import get_contributor, make_book

HOSTILE = '<script>alert("x")</script> & co'
ESCAPED = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; co"


def book_page(client, slug: str) -> str:
    response = client.get(f"/books/{slug}")
    assert response.status_code == 200
    return response.text


def content(page: str) -> str:
    """The page between the layout's header and footer, without the JSON-LD (the head)."""
    return page.split('<nav class="breadcrumbs"', 1)[1]


def credit(role: ContributorRole, name: str, position: int) -> BookContributor:
    return BookContributor(contributor=get_contributor(name), role=role, position=position)


def test_every_value_of_a_hostile_book_is_escaped(app, client):
    with app.app_context():
        book = make_book(
            HOSTILE,
            subtitle=HOSTILE,
            original_title=HOSTILE,
            description=f"{HOSTILE}\n\n{HOSTILE}",
            subjects=(f"Subject {HOSTILE}",),
            authors=(f"Author {HOSTILE}",),
            series=(f"Series {HOSTILE}", 1),
        )
        db.session.commit()
        slug = book.slug
    page = content(book_page(client, slug))
    assert "<script>" not in page
    assert f"<h1>{ESCAPED}</h1>" in page
    assert f'<p class="subtitle">{ESCAPED}</p>' in page
    assert f'<dd lang="ru">{ESCAPED}</dd>' in page
    assert f"<p>{ESCAPED}</p><p>{ESCAPED}</p>" in page  # a paragraph per blank line
    assert f">Author {ESCAPED}</a>" in page
    assert f">Subject {ESCAPED}</a>" in page
    assert f">Series {ESCAPED}</a>" in page
    assert f'alt="Cover of {ESCAPED}"' in page
    assert f'Add to cart<span class="visually-hidden">: {ESCAPED}, Paperback</span>' in page


def test_credits_read_by_authors_then_other_roles(app, client):
    with app.app_context():
        book = make_book("Three Hands", authors=("Anna One", "Boris Two", "Clara Three"))
        book.credits.append(credit(ContributorRole.TRANSLATOR, "Dora Four", 3))
        book.credits.append(credit(ContributorRole.INTRODUCTION, "Egor Five", 4))
        db.session.commit()
        slug = book.slug
    page = content(book_page(client, slug))
    lines = [
        re.sub(r"<[^>]+>|\s+", " ", found).split()
        for found in re.findall(r'<p class="credit">(.*?)</p>', page, re.S)
    ]
    assert [" ".join(words) for words in lines] == [
        "by Anna One , Boris Two and Clara Three",
        "Translator: Dora Four",
        "Introduction by Egor Five",
    ]
    assert '<a href="/authors/anna-one">Anna One</a>' in page


def test_a_book_without_editions_for_sale_says_so(app, client):
    with app.app_context():
        book = make_book("Withdrawn")
        book.editions[0].active = False
        db.session.commit()
        slug = book.slug
    page = content(book_page(client, slug))
    assert "<p>This book is not for sale at the moment.</p>" in page
    assert "edition-list" not in page


def test_an_out_of_print_edition_has_no_cart_form_and_no_delivery_promise(app, client):
    with app.app_context():
        book = make_book("Two Fates", formats=("paperback", "hardcover"))
        paperback, hardcover = sorted(book.editions, key=lambda e: e.format.value != "paperback")
        hardcover.out_of_print = True
        db.session.commit()
        slug = book.slug
    page = content(book_page(client, slug))
    editions = re.findall(
        r'<li class="edition">(.*?)</li>\s*(?=<li class="edition">|</ul>)', page, re.S
    )
    assert len(editions) == 2
    in_print, gone = editions
    assert "Add to cart" in in_print
    assert "Arrives by" in in_print
    assert "badge-out-of-print" in gone
    assert "add-to-cart" not in gone
    assert "Arrives by" not in gone
    assert "alert-signup" not in gone  # nothing to wait for


def test_a_preorder_offers_to_preorder_and_promises_no_delivery_date(app, client):
    with app.app_context():
        book = make_book("Coming Soon", published_on=date(2099, 3, 1), on_hand=5)
        db.session.commit()
        slug = book.slug
    page = content(book_page(client, slug))
    assert "Preorder: published March 1, 2099" in page
    assert 'Preorder<span class="visually-hidden">: Coming Soon, Paperback</span>' in page
    assert "Arrives by" not in page


def test_a_sold_out_edition_offers_guests_an_alert_and_no_cart_form(app, client):
    with app.app_context():
        book = make_book("Sold Out", on_hand=0)
        db.session.commit()
        slug, edition_id = book.slug, book.editions[0].id
    page = content(book_page(client, slug))
    assert 'class="add-to-cart"' not in page
    assert f'<label for="alert-email-{edition_id}">Email me when it&#39;s available' in page
    assert f'<a href="/account/login?next=/books/{slug}">Log in</a> to save it' in page


def test_a_book_in_a_series_without_a_position_is_part_of_it(app, client):
    with app.app_context():
        book = make_book("Loose Volume", series=("Loose Series", 1))
        book.series_position = None
        db.session.commit()
        slug = book.slug
    page = content(book_page(client, slug))
    assert re.search(r"<p>\s*Part of\s*<a href=\"/series/loose-series\">Loose Series</a>", page)
    assert "series-prev" not in page
    assert "series-next" not in page


@pytest.fixture
def two_formats_on_discount(app):
    """A book in paperback and ebook, a standing 15% member discount, a member."""
    with app.app_context():
        now = utcnow()
        standing_discount(now)
        book = make_book("Two Prices", formats=("paperback", "ebook"), price_cents=2000)
        make_member("vera@example.com", name="Vera Figner", now=now)
        db.session.commit()
        return book.slug


def test_a_member_sees_each_editions_member_price(app, two_formats_on_discount):
    page = content(book_page(signed_in(app, "vera@example.com"), two_formats_on_discount))
    prices = re.findall(r'<p class="edition-price">(.*?)</p>', page)
    assert [re.search(r'price-member">(\$[0-9.]+)<', p)[1] for p in prices] == ["$17.00", "$11.90"]
    assert "usually <s>$20.00</s>" in page
    assert "usually <s>$14.00</s>" in page
    assert "Members pay" not in page


def test_a_guest_sees_what_members_pay_for_each_edition(client, two_formats_on_discount):
    page = content(book_page(client, two_formats_on_discount))
    assert re.findall(r"Members pay (\$[0-9.]+)<", page) == ["$17.00", "$11.90"]
    assert "price-member" not in page


def test_features_add_their_edition_parts_in_order_made_once_a_page(app, client):
    made = []

    def make_part():
        made.append(1)
        return lambda edition, availability: f'<p class="between">{edition.format.value}</p>'

    register_edition_part(app, make_part, order=15)  # between the cart (10) and alerts (20)
    with app.app_context():
        book = make_book("Parts", formats=("paperback", "ebook"))
        db.session.commit()
        slug = book.slug
    page = content(book_page(client, slug))
    assert len(made) == 1
    assert (
        re.findall(r'class="add-to-cart"|class="between"|class="edition-actions"', page)
        == [
            'class="add-to-cart"',
            'class="between"',
            'class="edition-actions"',
        ]
        * 2
    )


def related_titles(page: str) -> list[str]:
    related = page.split('<section class="related"', 1)[1]
    return re.findall(r'<h3 class="book-card-title">(.*?)</h3>', related)


def test_you_might_also_like_the_newest_books_of_its_subjects(app, client):
    with app.app_context():
        for year in range(2001, 2009):  # eight in one subject, newest first on the page
            make_book(f"Rare {year}", subjects=("Rare",), published_on=date(year, 1, 1))
        make_book("Other 2010", subjects=("Other",), published_on=date(2010, 1, 1))
        make_book("Undated", subjects=("Rare",), published_on=None)
        book = make_book("Seen", subjects=("Rare", "Other"), published_on=date(2007, 6, 1))
        db.session.commit()
        slug = book.slug
    assert related_titles(book_page(client, slug)) == [
        "Other 2010",
        "Rare 2008",
        "Rare 2007",
        "Rare 2006",
        "Rare 2005",
        "Rare 2004",
    ]


def test_you_might_also_like_shows_a_new_book_of_the_subject_at_once(app, client):
    with app.app_context():
        make_book("Older", subjects=("Rare",), published_on=date(1999, 1, 1))
        book = make_book("Seen", subjects=("Rare",), published_on=date(2000, 1, 1))
        db.session.commit()
        slug = book.slug
    assert related_titles(book_page(client, slug)) == ["Older"]
    with app.app_context():
        make_book("Newer", subjects=("Rare",), published_on=date(2020, 1, 1))
        db.session.commit()
    assert related_titles(book_page(client, slug)) == ["Newer", "Older"]
