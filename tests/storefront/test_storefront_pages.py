"""The storefront's pages through the test client: header, book page, cart, account."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from bookstore.accounts.models import Role
from bookstore.checkout.states import OrderState
from bookstore.extensions import db
from tests.factories import make_book, make_user
from tests.storefront.helpers import log_in, make_order


@pytest.fixture
def dacha(app):
    with app.app_context():
        book = make_book("Murder at the Dacha", formats=("paperback", "ebook"), on_hand=5)
        book.editions[0].isbn13 = "9798999900012"
        db.session.commit()
        return {"slug": book.slug, "paperback": book.editions[0].id, "ebook": book.editions[1].id}


def _user(app, email, role=Role.CUSTOMER):
    with app.app_context():
        user = make_user(email, name=email.split("@")[0].title(), role=role)
        db.session.commit()
        return db.session.get(type(user), user.id)


# -- Header -------------------------------------------------------------------------------------


def test_the_header_menu_is_a_disclosure_that_works_without_javascript(client):
    page = client.get("/").get_data(as_text=True)
    assert re.search(r'<details class="site-menu"[^>]*>\s*<summary class="menu-button">', page)
    assert 'aria-label="Main"' in page


def test_staff_see_a_staff_link_on_cached_pages_and_visitors_never_do(app, dacha):
    staff = app.test_client()
    log_in(staff, _user(app, "olga@example.com", Role.STAFF))
    visitor = app.test_client()
    book = f"/books/{dacha['slug']}"
    # The anonymous visitor's page goes into the cache, then a staff member visits, then the
    # visitor again: each sees their own header.
    first = visitor.get(book)
    assert first.headers.get("X-Page-Cache") == "miss"
    staff_page = staff.get(book).get_data(as_text=True)
    assert 'class="staff-link"' in staff_page
    assert 'href="/staff/"' in staff_page or 'href="/staff"' in staff_page
    again = visitor.get(book)
    assert again.headers.get("X-Page-Cache") == "hit"
    assert "staff-link" not in again.get_data(as_text=True)
    assert "staff-link" not in first.get_data(as_text=True)


def test_customers_get_no_staff_link(app, dacha):
    client = app.test_client()
    log_in(client, _user(app, "reader@example.com"))
    assert "staff-link" not in client.get(f"/books/{dacha['slug']}").get_data(as_text=True)


def test_the_test_banner_sits_inside_a_landmark(client):
    page = client.get("/").get_data(as_text=True)
    banner = r'<section class="test-banner" aria-label="Test mode">\s*<p>Test payments'
    assert re.search(banner, page)


# -- Book page ----------------------------------------------------------------------------------


def test_979_8_isbns_are_hyphenated_by_the_isbn_ranges(client, dacha):
    page = client.get(f"/books/{dacha['slug']}").get_data(as_text=True)
    assert "979-8-9999000-1-2" in page


def test_the_book_page_says_when_a_printed_copy_arrives(client, dacha):
    page = client.get(f"/books/{dacha['slug']}").get_data(as_text=True)
    match = re.search(r"Arrives by (\w{3}, \w{3} \d{1,2})</strong> with standard shipping", page)
    assert match, page
    assert re.search(r"or \w{3}, \w{3} \d{1,2} with express", page)
    assert page.count("Arrives by") == 1  # the paperback only: an ebook is not posted


def test_the_buy_box_comes_before_the_description(client, dacha):
    page = client.get(f"/books/{dacha['slug']}").get_data(as_text=True)
    body = page[page.index("<main") :]  # the meta description in <head> quotes it too
    assert body.index("Add to cart") < body.index("A test description of Murder at the Dacha")


def test_a_cached_book_page_is_kept_no_longer_than_its_delivery_promise(app, dacha, monkeypatch):
    from bookstore import page_cache

    seen = []
    monkeypatch.setattr(page_cache, "keep_until", seen.append)
    app.test_client().get(f"/books/{dacha['slug']}")
    assert seen, "the book page did not bound its cache life"
    now = datetime.now(UTC)
    assert all(now < moment <= now + timedelta(days=1) for moment in seen)


# -- Checkout's shipping methods ---------------------------------------------------------------


def test_each_shipping_method_at_checkout_says_when_it_arrives(client, dacha):
    client.post("/cart/add", data={"edition_id": str(dacha["paperback"]), "quantity": "1"})
    page = client.get("/checkout").get_data(as_text=True)
    assert re.search(r"Standard, arrives by \w{3}, \w{3} \d{1,2} \(5 to 8 business days\)", page)
    assert re.search(r"Express, arrives by \w{3}, \w{3} \d{1,2} \(2 to 3 business days\)", page)


# -- Cart ---------------------------------------------------------------------------------------


def test_adding_by_script_answers_with_a_summary_for_the_cart_panel(client, dacha):
    response = client.post(
        "/cart/add",
        data={"edition_id": str(dacha["paperback"]), "quantity": "2"},
        headers={"Accept": "application/json"},
    )
    data = response.get_json()
    assert data["ok"] is True
    assert data["item_count"] == 2
    assert data["subtotal"] == "$32.00"
    assert data["added"]["title"] == "Murder at the Dacha"
    assert data["added"]["cover_url"].startswith("/")


def test_adding_without_javascript_still_redirects_back_with_a_message(client, dacha):
    book = f"/books/{dacha['slug']}"
    response = client.post(
        "/cart/add", data={"edition_id": str(dacha["paperback"]), "quantity": "1", "next": book}
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(book)
    assert "Added Murder at the Dacha" in client.get(book).get_data(as_text=True)


def test_cart_lines_show_a_cover_thumbnail(client, dacha):
    client.post("/cart/add", data={"edition_id": str(dacha["paperback"]), "quantity": "1"})
    page = client.get("/cart").get_data(as_text=True)
    assert re.search(r'<img class="cart-thumb" src="/[^"]+" alt="" width="56" height="84"', page)


def test_emptying_the_cart_asks_first(client, dacha):
    client.post("/cart/add", data={"edition_id": str(dacha["paperback"]), "quantity": "1"})
    page = client.get("/cart").get_data(as_text=True)
    question = re.search(r'<details class="cart-empty-confirm">(.*?)</details>', page, re.S)
    assert question, "the empty button is not behind a question"
    assert "Remove every book from your cart?" in question.group(1)
    assert "Yes, empty my cart" in question.group(1)


# -- Account ------------------------------------------------------------------------------------


def test_the_account_page_lists_recent_orders(app):
    user = _user(app, "reader@example.com")
    with app.app_context():
        paid = make_order(user, 2100)
        make_order(user, 900, state=OrderState.SHIPPED)
        reference = paid.reference
        db.session.commit()
    client = app.test_client()
    log_in(client, user)
    page = client.get("/account/").get_data(as_text=True)
    assert "No orders yet" not in page
    assert f'href="/account/orders/{reference}"' in page
    assert "$21.00" in page
    assert "$9.00" in page


def test_an_account_without_orders_says_so(app):
    user = _user(app, "new@example.com")
    client = app.test_client()
    log_in(client, user)
    assert "No orders yet" in client.get("/account/").get_data(as_text=True)


def test_account_dates_are_shown_in_the_shops_time_zone(make_app):
    app = make_app(SHOP_TIMEZONE="America/New_York")
    user = _user(app, "late@example.com")
    with app.app_context():
        # 02:00 UTC on Dec 2 is still Dec 1 in New York.
        make_order(user, 1500, created_at=datetime(2026, 12, 2, 2, 0, tzinfo=UTC))
        db.session.commit()
    client = app.test_client()
    log_in(client, user)
    page = client.get("/account/").get_data(as_text=True)
    assert "Dec 1, 2026" in page
    assert "Dec 2, 2026" not in page
