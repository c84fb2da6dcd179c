"""The cart page in Chromium: quantities update in place with JavaScript, and without it."""

import pytest
from playwright.sync_api import expect

from bookstore.cart import services
from bookstore.extensions import db
from tests.factories import make_book
from tests.fixtures.browser import assert_accessible

pytestmark = pytest.mark.browser


def guest_with_a_cart(live_server, context, quantity=1):
    """Fill a guest cart in the database and give the browser its signed session cookie."""
    app = live_server.app
    with app.app_context():
        paperback = make_book("Murder at the Dacha", price_cents=1600, on_hand=8).editions[0]
        ebook = make_book("Moscow Nights", formats=("ebook",)).editions[0]
        ebook.price_cents = 999
        cart = services.open_cart(None, None)
        services.add_item(cart, paperback.id, quantity, max_per_line=10)
        services.add_item(cart, ebook.id, 1, max_per_line=10)
        db.session.commit()
        cookie = app.session_interface.get_signing_serializer(app).dumps({"cart_token": cart.token})
        paperback_id = paperback.id
    context.add_cookies([{"name": "session", "value": cookie, "url": live_server.url}])
    return paperback_id


def test_changing_a_quantity_updates_the_totals_in_place(live_server, page):
    edition_id = guest_with_a_cart(live_server, page.context)
    page.goto(f"{live_server.url}/cart")
    assert (
        page.locator("[data-cart-total]").inner_text() == "$30.99"
    )  # 16.00 + 9.99 + 5.00 shipping
    page.evaluate("window.stayedOnPage = true")
    page.select_option(f"#qty-{edition_id}", "3")
    total = page.locator("[data-cart-total]")
    total.filter(has_text="$57.99").wait_for()
    assert page.locator(f'[data-edition-id="{edition_id}"] [data-line-total]').inner_text() == (
        "$48.00"
    )
    expect(page.locator("[data-cart-shipping]")).to_have_text("Free")
    expect(page.locator(".cart-count")).to_have_text("4")
    assert page.evaluate("window.stayedOnPage") is True, "no reload"
    assert page.js_errors == []
    page.reload()
    expect(page.locator("[data-cart-total]")).to_have_text("$57.99")
    assert_accessible(page)


def test_the_cart_works_without_javascript(live_server, chromium):
    context = chromium.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        edition_id = guest_with_a_cart(live_server, context)
        page.goto(f"{live_server.url}/cart")
        page.select_option(f"#qty-{edition_id}", "2")
        page.get_by_role("button", name="Update quantity of Murder at the Dacha").click()
        page.wait_for_url(f"{live_server.url}/cart")
        expect(page.locator("[data-cart-total]")).to_have_text("$46.99")
        assert "quantity 2" in page.locator(".flashes").inner_text()
        page.get_by_role("button", name="Remove Moscow Nights (Ebook)").click()
        expect(page.locator("[data-cart-total]")).to_have_text("$37.00")
    finally:
        context.close()


def test_guest_adds_two_books_signs_up_and_finds_them_in_the_cart(live_server, page):
    app = live_server.app
    with app.app_context():
        dacha = make_book("Murder at the Dacha", price_cents=1600, on_hand=8)
        nights = make_book("Moscow Nights", formats=("ebook",))
        db.session.commit()
        slugs = [dacha.slug, nights.slug]
    for slug in slugs:
        page.goto(f"{live_server.url}/books/{slug}")
        page.locator("form.add-to-cart button[type=submit]").first.click()
        # The cart panel says so, and the shopper stays on the book's page.
        page.get_by_role("dialog").filter(has_text="to your cart").wait_for()
    expect(page.locator(".cart-count")).to_have_text("2")

    page.goto(f"{live_server.url}/account/signup")
    page.fill("input[name=name]", "Anna Pavlova")
    page.fill("input[name=email]", "anna@example.com")
    page.fill("input[name=password]", "Volga sunsets over Kazan 1987!")
    page.fill("input[name=confirm]", "Volga sunsets over Kazan 1987!")
    page.get_by_role("button", name="Create my account").click()
    page.locator(".flashes").filter(has_text="from your guest cart").wait_for()

    page.goto(f"{live_server.url}/cart")
    rows = page.locator("tr.cart-line")
    assert rows.count() == 2
    assert "Murder at the Dacha" in rows.nth(0).inner_text()
    assert "Moscow Nights" in rows.nth(1).inner_text()
    expect(page.locator(".cart-count")).to_have_text("2")
    assert page.js_errors == []
