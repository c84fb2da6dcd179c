"""Signed-in shoppers get cached pages too: one variant per audience (guests, customers,
members), with each visitor's own name, cart count and CSRF token filled in per request. No
visitor ever sees another's name, cart or price; staff and account pages are never cached."""

from datetime import timedelta

import pytest

from bookstore.accounts.models import Role
from bookstore.dbtypes import utcnow
from bookstore.extensions import db
from bookstore.members.services import grant_membership
from tests.accounts.helpers import log_in
from tests.catalog.test_query_counts import counted_queries, grow_catalog
from tests.factories import make_book, make_user
from tests.test_page_cache import CART_COUNT, cache_state


def make_member(email: str, name: str):
    user = make_user(email, name=name)
    grant_membership(
        user, until=utcnow() + timedelta(days=100), actor=None, reason="test", now=utcnow()
    )
    return user


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


def test_a_signed_in_hit_costs_the_user_and_the_cart_count_only(app, shoppers):
    slug, _, clients = shoppers
    clients["vera"].get("/books")
    with app.app_context():
        engine = db.engine
    with counted_queries(engine) as statements:
        assert cache_state(clients["gleb"].get("/books")) == "hit"
    # One query for the user with their membership, one for the cart count.
    assert len(statements) == 2, statements


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
            with counted_queries(db.engine) as statements:
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


def test_a_readers_book_page_is_rendered_for_them_alone(app, shoppers):
    """The book page shows a reader's own wishlist, alerts and review: never shared."""
    slug, _, clients = shoppers
    for _ in range(2):
        anna = clients["anna"].get(f"/books/{slug}")
        boris = clients["boris"].get(f"/books/{slug}")
        assert (cache_state(anna), cache_state(boris)) == (None, None)
        assert "Anna Pavlova" in anna.get_data(as_text=True)
        assert "Anna Pavlova" not in boris.get_data(as_text=True)
