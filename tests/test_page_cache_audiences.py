"""Signed-in shoppers get cached pages too: one variant per audience (guests, customers,
members), with each visitor's own name, cart count and CSRF token filled in per request. No
visitor ever sees another's name, cart or price; staff and account pages are never cached."""

import re
from contextlib import contextmanager
from datetime import timedelta
from unittest import mock

import pytest
from sqlalchemy import select

from bookstore import page_cache
from bookstore.accounts.models import Role, User
from bookstore.alerts import services as alert_services
from bookstore.dbtypes import utcnow
from bookstore.driver_sql import DriverSelect
from bookstore.extensions import db
from bookstore.members.services import grant_membership
from bookstore.reviews import services as review_services
from bookstore.wishlist import services as wishlist_services
from tests.accounts.helpers import log_in
from tests.catalog.test_query_counts import counted_queries, grow_catalog
from tests.factories import make_book, make_user
from tests.reviews.helpers import published_review
from tests.test_page_cache import CART_COUNT, cache_state


def make_member(email: str, name: str):
    user = make_user(email, name=name)
    grant_membership(
        user, until=utcnow() + timedelta(days=100), actor=None, reason="test", now=utcnow()
    )
    return user


@contextmanager
def counted_statements(engine):
    """Every statement a request runs: through SQLAlchemy, and the signed-in visitor's own
    query, which runs on the driver's connection (``bookstore.driver_sql``)."""
    run = DriverSelect.first

    def counted(self, connection, values):
        statements.append(self.sql)
        return run(self, connection, values)

    with counted_queries(engine) as statements, mock.patch.object(DriverSelect, "first", counted):
        yield statements


@pytest.fixture
def shoppers(app):
    """A book, two customers and two members, each with their own browser."""
    with app.app_context():
        book = make_book("Murder at the Dacha", on_hand=8, price_cents=1600)
        make_user("anna@example.com", name="Anna Pavlova")
        make_user("boris@example.com", name="Boris Godunov")
        make_member("vera@example.com", "Vera Figner")
        make_member("gleb@example.com", "Gleb Uspensky")
        db.session.commit()
        slug, edition_id = book.slug, book.editions[0].id
    clients = {}
    for email in ("anna", "boris", "vera", "gleb"):
        clients[email] = app.test_client()
        log_in(clients[email], f"{email}@example.com")
        clients[email].get("/account/")  # shows (and so clears) the welcome message
    return slug, edition_id, clients


NAMES = {
    "anna": "Anna Pavlova",
    "boris": "Boris Godunov",
    "vera": "Vera Figner",
    "gleb": "Gleb Uspensky",
}


def test_signed_in_customers_share_a_page_each_with_their_own_name(shoppers):
    slug, _, clients = shoppers
    first = clients["anna"].get("/books")
    second = clients["boris"].get("/books")
    assert (cache_state(first), cache_state(second)) == ("miss", "hit")
    assert "Anna Pavlova" in first.get_data(as_text=True)
    page = second.get_data(as_text=True)
    assert "Boris Godunov" in page
    assert "Anna Pavlova" not in page
    assert "pc-" not in page, "a placeholder leaked"


def test_no_visitor_sees_another_visitors_name_on_any_cached_page(app, shoppers):
    slug, _, clients = shoppers
    guest = app.test_client()
    for url in (f"/books/{slug}", "/books", "/", "/search?q=dacha"):
        for _ in range(2):
            for who, client in [*clients.items(), ("guest", guest)]:
                page = client.get(url).get_data(as_text=True)
                for other, name in NAMES.items():
                    assert (name in page) == (other == who), (url, who, other)


def test_members_and_customers_get_different_variants(shoppers):
    slug, _, clients = shoppers
    clients["anna"].get("/books")
    vera = clients["vera"].get("/books")
    gleb = clients["gleb"].get("/books")
    boris = clients["boris"].get("/books")
    assert (cache_state(vera), cache_state(gleb), cache_state(boris)) == ("miss", "hit", "hit")
    assert 'class="member-badge"' in gleb.get_data(as_text=True)
    assert 'class="member-badge"' not in boris.get_data(as_text=True)


def test_each_signed_in_visitor_sees_their_own_cart_count(shoppers):
    slug, edition_id, clients = shoppers
    clients["vera"].post("/cart/add", data={"edition_id": edition_id, "quantity": 3})
    clients["vera"].get("/books")  # the flashed message: never cached
    mine = clients["vera"].get("/books")
    theirs = clients["gleb"].get("/books")
    assert (cache_state(mine), cache_state(theirs)) == ("miss", "hit")
    assert CART_COUNT.findall(mine.get_data(as_text=True)) == ["3"]
    assert CART_COUNT.findall(theirs.get_data(as_text=True)) == ["0"]


def test_signing_out_leaves_the_shared_page_without_a_name(app, shoppers):
    slug, _, clients = shoppers
    clients["anna"].get(f"/books/{slug}")
    clients["anna"].post("/account/logout")
    page = clients["anna"].get(f"/books/{slug}").get_data(as_text=True)
    assert "Anna Pavlova" not in page
    assert "Log in" in page


@pytest.mark.parametrize("url", ["/account/", "/cart", "/membership"])
def test_account_cart_and_membership_pages_are_never_cached(shoppers, url):
    _, _, clients = shoppers
    for _ in range(2):
        page = clients["vera"].get(url, follow_redirects=True)
        assert page.status_code == 200
        assert cache_state(page) is None
    assert "Gleb Uspensky" not in page.get_data(as_text=True)


def test_staff_pages_and_public_pages_for_staff_are_never_cached(app, shoppers):
    slug, _, _ = shoppers
    with app.app_context():
        make_user("olga@example.com", name="Olga Staff", role=Role.STAFF)
        db.session.commit()
    staff = app.test_client()
    log_in(staff, "olga@example.com")
    staff.get("/account/")
    for url in (f"/books/{slug}", "/staff/"):
        for _ in range(2):
            page = staff.get(url, follow_redirects=True)
            assert page.status_code == 200
            assert cache_state(page) is None


def test_a_signed_in_hit_costs_one_query_for_the_user_their_membership_and_cart(app, shoppers):
    slug, edition_id, clients = shoppers
    clients["gleb"].post("/cart/add", data={"edition_id": edition_id, "quantity": 2})
    clients["gleb"].get("/books")  # the flashed message: never cached
    clients["vera"].get("/books")
    with app.app_context():
        engine = db.engine
    with counted_statements(engine) as statements:
        page = clients["gleb"].get("/books")
    assert cache_state(page) == "hit"
    assert len(statements) == 1, statements
    assert CART_COUNT.findall(page.get_data(as_text=True)) == ["2"]
    assert 'class="member-badge"' in page.get_data(as_text=True)


def test_signed_in_pages_issue_constant_queries_from_10_to_1000_books(make_app, database):
    app = make_app(PAGE_SIZE=4, PAGE_CACHE_SECONDS=0)
    with app.app_context():
        book = make_book("Murder at the Dacha", subjects=("Bulk",), authors=("Bulk Author",))
        make_member("vera@example.com", "Vera Figner")
        db.session.commit()
        slug = book.slug
    member = app.test_client()
    log_in(member, "vera@example.com")
    member.get("/account/")
    urls = ["/", "/books", "/books?sort=price", f"/books/{slug}", "/subjects/bulk"]

    def counts():
        found = []
        for url in urls:
            with counted_statements(db.engine) as statements:
                assert member.get(url).status_code == 200
            found.append(len(statements))
        return found

    with app.app_context():
        grow_catalog(app, 9)
        counts()  # the first request also loads what a process keeps
        small = counts()
        grow_catalog(app, 990)
        assert counts() == small
    assert max(small) <= 14, small


@pytest.fixture
def reader_parts(app, shoppers):
    """A sold-out book with a published review; Anna saved it, asked for an alert, wrote her
    own review (waiting for moderation) and found the published one helpful. Boris did none."""
    _, _, clients = shoppers
    with app.app_context():
        book = make_book("The Sold-Out Samovar", on_hand=0)
        others = published_review(book, name="Nina Reader", body="A fine read.")
        anna = db.session.scalar(select(User).where(User.email == "anna@example.com"))
        wishlist_services.save(anna, book.editions[0].id)
        alert_services.subscribe_user(anna, book.editions[0].id, utcnow())
        review_services.write_review(anna, book, rating=2, title="Anna's own verdict", body="Hm.")
        review_services.vote_helpful(anna, others.id)
        db.session.commit()
        slug = book.slug
    return slug, clients


ANNAS_PARTS = (
    "Saved on",
    "Stop this alert",
    "Your review",
    "Anna&#39;s own verdict",
    "You found this helpful",
)
NOBODYS_PARTS = ("Save for later", "Email me when it", "Write a review", ">Helpful<")


@pytest.mark.parametrize("first", ["anna", "boris"])
def test_readers_share_a_cached_book_page_each_with_their_own_parts(reader_parts, first):
    """Review, helpful votes, wishlist and alert state are each reader's own on a shared page."""
    slug, clients = reader_parts
    second = "boris" if first == "anna" else "anna"
    for round_ in range(2):
        pages = {}
        for who in (first, second):
            response = clients[who].get(f"/books/{slug}")
            expected = "miss" if (round_, who) == (0, first) else "hit"
            assert cache_state(response) == expected, (round_, who)
            pages[who] = response.get_data(as_text=True)
        for part in ANNAS_PARTS:
            assert part in pages["anna"], part
            assert part not in pages["boris"], part
        for part in NOBODYS_PARTS:
            assert part in pages["boris"], part
        assert "Write a review" not in pages["anna"]
        assert "pc-" not in pages["anna"] + pages["boris"], "a placeholder leaked"


def test_a_guest_gets_no_readers_parts_on_the_book_page(app, reader_parts):
    slug, clients = reader_parts
    clients["anna"].get(f"/books/{slug}")
    page = app.test_client().get(f"/books/{slug}").get_data(as_text=True)
    for part in ANNAS_PARTS:
        assert part not in page, part
    assert "Log in to write a review" in page


def test_readers_share_the_reviews_page_each_with_their_own_votes(reader_parts):
    slug, clients = reader_parts
    boris = clients["boris"].get(f"/books/{slug}/reviews")
    anna = clients["anna"].get(f"/books/{slug}/reviews")
    assert (cache_state(boris), cache_state(anna)) == ("miss", "hit")
    assert ">Helpful<" in boris.get_data(as_text=True)
    assert "You found this helpful" in anna.get_data(as_text=True)
    assert "You found this helpful" not in boris.get_data(as_text=True)


def test_a_signed_in_hit_of_a_book_page_costs_five_queries(app, reader_parts, monkeypatch):
    """The user with their membership and cart count, as on any page; then the reader's
    parts, each read once for the whole page: wishlist, alerts, own review, votes."""
    # The generation is read again once a second: on a slow machine that would be a sixth.
    monkeypatch.setattr(page_cache, "GENERATION_RECHECK_SECONDS", 3600)
    slug, clients = reader_parts
    clients["boris"].get(f"/books/{slug}")
    with app.app_context():
        engine = db.engine
    with counted_statements(engine) as statements:
        assert cache_state(clients["anna"].get(f"/books/{slug}")) == "hit"
    assert len(statements) == 5, statements


def _header(html: str) -> str:
    """The site header, each visitor's own CSRF token (signed anew each session) left out."""
    header = html[html.index('<a class="skip-link"') : html.index('<main id="main"')]
    return re.sub(r'name="csrf_token" value="[^"]+"', 'name="csrf_token" value=""', header)


def test_the_kept_site_header_is_the_one_each_page_and_visitor_would_get(make_app, shoppers):
    """The header is rendered once per audience and page while pages are cached
    (``page_cache.same_for_audience``): every header served from it is the one a fresh
    rendering gives, with this page's current link, this visitor's name and the search box
    holding this search's words."""
    slug, _, clients = shoppers
    fresh = make_app(PAGE_CACHE_SECONDS=0)  # the same database, every page rendered in full
    fresh_clients = {}
    for who in ("anna", "vera"):
        fresh_clients[who] = fresh.test_client()
        log_in(fresh_clients[who], f"{who}@example.com")
        fresh_clients[who].get("/account/")
    fresh_clients["guest"] = fresh.test_client()
    clients = {**clients, "guest": clients["anna"].application.test_client()}
    urls = [
        "/",
        "/books",
        "/books?sort=title",
        f"/books/{slug}",
        "/search?q=dacha",
        "/search?q=%3Cb%3E%22war%22+%26+peace%3C%2Fb%3E",  # <b>"war" & peace</b>
        "/search?q=murder",
    ]
    for who in ("guest", "anna", "vera"):
        for url in urls:
            kept = clients[who].get(url).get_data(as_text=True)
            assert _header(kept) == _header(fresh_clients[who].get(url).get_data(as_text=True))
    page = clients["guest"].get("/search?q=%3Cb%3E%22war%22+%26+peace%3C%2Fb%3E")
    assert 'value="&lt;b&gt;&#34;war&#34; &amp; peace&lt;/b&gt;"' in page.get_data(as_text=True)
    assert 'value="murder"' in clients["guest"].get("/search?q=murder").get_data(as_text=True)
    books = _header(clients["vera"].get("/books?page=1").get_data(as_text=True))
    assert 'href="/books" aria-current="page"' in books
    assert "Vera Figner" in books
    assert "member-badge" in books
    gleb = _header(clients["gleb"].get("/books?page=1").get_data(as_text=True))
    assert "Gleb Uspensky" in gleb
    assert "Vera Figner" not in gleb
    home = _header(clients["anna"].get("/").get_data(as_text=True))
    assert 'href="/" aria-current="page"' in home
    assert "member-badge" not in home
