"""The wishlist and the alert sign-up in a real browser, on a phone and a desktop screen: they
work without help, fit the screen, and axe-core finds nothing (any impact)."""

import pytest

from bookstore.extensions import db
from tests.factories import TEST_PASSWORD, make_book, make_user
from tests.fixtures.browser import assert_accessible

pytestmark = pytest.mark.browser

SCREENS = [{"width": 390, "height": 844}, {"width": 1366, "height": 900}]


@pytest.fixture
def books(live_server):
    with live_server.app.app_context():
        stocked = make_book("Murder at the Dacha", on_hand=5)
        sold_out = make_book("The Samovar", on_hand=0)
        make_user("rita@example.com", name="Rita Reader")
        db.session.commit()
        return stocked.slug, sold_out.slug


def log_in(page, base: str) -> None:
    page.goto(base + "/account/login")
    page.get_by_label("Email").fill("rita@example.com")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login" not in url)


@pytest.mark.parametrize("screen", SCREENS, ids=["phone", "desktop"])
def test_a_guest_asks_to_be_emailed_when_a_book_is_back(live_server, page, books, screen):
    page.set_viewport_size(screen)
    _, sold_out = books
    page.goto(f"{live_server.url}/books/{sold_out}")
    assert_accessible(page)
    page.get_by_label("Email me when it's available").fill("guest@example.com")
    page.get_by_role("button", name="Notify me").click()
    page.get_by_role("heading", name="Check your inbox").wait_for()
    assert_accessible(page)
    assert page.js_errors == []


@pytest.mark.parametrize("screen", SCREENS, ids=["phone", "desktop"])
def test_a_reader_saves_books_moves_one_to_the_cart_and_asks_for_an_alert(
    live_server, page, books, screen
):
    page.set_viewport_size(screen)
    stocked, sold_out = books
    log_in(page, live_server.url)
    for slug in (stocked, sold_out):
        page.goto(f"{live_server.url}/books/{slug}")
        page.get_by_role("button", name="Save for later").click()
        page.get_by_text("Saved on").wait_for()
    assert_accessible(page)
    page.get_by_role("button", name="Email me when it's available").click()
    page.get_by_text("We will email you once").first.wait_for()
    assert_accessible(page)

    page.goto(live_server.url + "/account/wishlist")
    assert page.get_by_role("heading", name="The Samovar").count() == 1
    assert_accessible(page)
    page.get_by_role("button", name="Move to cart").click()
    page.get_by_text("to your cart").wait_for()
    page.goto(live_server.url + "/cart")
    assert page.get_by_role("link", name="Murder at the Dacha").count() == 1
    assert_accessible(page)
    page.get_by_role("button", name="Save for later").click()
    page.wait_for_url(lambda url: url.endswith("/cart"))
    page.goto(live_server.url + "/account/wishlist")
    assert page.get_by_role("button", name="Move to cart").count() == 1
    assert page.js_errors == []
