"""The storefront in Chromium at 1366x900 and 390x844: first screens, the sticky header and its
menu, the cart panel, and axe-core with no violation of any impact on every shopper's page."""

import pytest
from playwright.sync_api import expect

from bookstore.extensions import db
from tests.factories import TEST_PASSWORD, make_book, make_user
from tests.fixtures.browser import axe_violations

pytestmark = pytest.mark.browser

# The add goes to the server and back: allow for a machine under load.
SERVER_ROUND_TRIP_MS = 15_000
VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
PHONE = VIEWPORTS["phone"]
POLICY_PAGES = ["/policies/shipping", "/policies/returns", "/policies/privacy", "/policies/terms"]


@pytest.fixture
def shelf(live_server):
    """A small catalog: the book under test (paperback and ebook) and a few others."""
    with live_server.app.app_context():
        dacha = make_book(
            "Murder at the Dacha",
            formats=("paperback", "ebook"),
            authors=("Alexei Bayer",),
            description="A killing at a country dacha outside Moscow. " * 12,
            series=("Matyushkin Mysteries", 2),
        )
        for title in ("The Latchkey Murders", "A Taste of Chekhov", "Little Golden Calf"):
            make_book(title)
        make_user("reader@example.com", name="Vera Reader")
        db.session.commit()
        return f"{live_server.url}/books/{dacha.slug}"


def inside_viewport(page, locator) -> bool:
    box = locator.bounding_box()
    size = page.viewport_size
    return (
        box is not None
        and box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= size["width"]
        and box["y"] + box["height"] <= size["height"]
    )


def add_first_edition(page, *, wait=False):
    page.locator(".edition").first.get_by_role("button", name="Add to cart").click()
    if wait:  # for the cart panel, i.e. for the copy to be in the cart
        expect(page.locator("dialog.cart-panel")).to_be_visible(timeout=SERVER_ROUND_TRIP_MS)


def log_in(page, base_url):
    page.goto(f"{base_url}/account/login")
    page.get_by_label("Email address").fill("reader@example.com")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.locator("main").get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base_url}/**")


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_every_shoppers_page_passes_axe_with_no_violation_of_any_impact(
    live_server, shelf, page, viewport
):
    page.set_viewport_size(VIEWPORTS[viewport])
    base = live_server.url
    found: list[str] = []
    overflow: list[str] = []
    for url in [
        f"{base}/",
        f"{base}/books",
        shelf,
        f"{base}/search?q=dacha",
        *[base + path for path in POLICY_PAGES],
        f"{base}/contact",
    ]:
        page.goto(url)
        found += axe_violations(page)
        if page.evaluate("document.documentElement.scrollWidth > window.innerWidth"):
            overflow.append(url)
    page.goto(shelf)
    add_first_edition(page, wait=True)
    found += axe_violations(page)  # with the cart panel open
    for url in (f"{base}/cart", f"{base}/checkout"):
        page.goto(url)
        found += axe_violations(page)
    log_in(page, base)
    page.goto(f"{base}/account/")
    found += axe_violations(page)
    assert found == [], "\n".join(found)
    assert overflow == [], f"pages scroll sideways: {overflow}"
    assert page.js_errors == []


def test_on_a_phone_the_first_books_are_on_the_first_screen_of_browse(live_server, shelf, page):
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/books")
    first_card = page.locator(".book-card").first
    assert inside_viewport(page, first_card.locator(".cover"))
    assert inside_viewport(page, first_card.locator(".book-card-title"))
    # The filters wait behind their toggle, and open with one tap.
    subject = page.get_by_label("Format")
    expect(subject).to_be_hidden()
    page.get_by_text("Filter and sort").click()
    expect(subject).to_be_visible()


def test_on_a_wide_screen_the_filters_are_open_beside_the_books(live_server, shelf, page):
    page.set_viewport_size(VIEWPORTS["desktop"])
    page.goto(f"{live_server.url}/books")
    expect(page.get_by_label("Format")).to_be_visible()
    expect(page.get_by_role("link", name="Home")).to_be_visible()  # the menu's links, in place
    expect(page.locator(".menu-button")).to_be_hidden()


def test_on_a_phone_add_to_cart_is_on_the_first_screen_of_a_book_page(live_server, shelf, page):
    page.set_viewport_size(PHONE)
    page.goto(shelf)
    button = page.locator(".edition").first.get_by_role("button", name="Add to cart")
    assert inside_viewport(page, button)
    assert inside_viewport(page, page.locator("h1"))


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_header_stays_reachable_when_scrolling(live_server, shelf, page, viewport):
    page.set_viewport_size(VIEWPORTS[viewport])
    page.goto(shelf)
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.wait_for_function("window.scrollY > 200")
    header = page.locator(".site-header")
    assert header.bounding_box()["y"] == 0
    assert inside_viewport(page, page.locator(".cart-link"))
    assert inside_viewport(page, page.get_by_role("search", name="Search the shop"))
    if viewport == "phone":
        assert header.bounding_box()["height"] <= 120, "the phone header is not compact"
        page.locator(".menu-button").click()
        books = page.get_by_role("navigation", name="Main").get_by_role("link", name="Books")
        expect(books).to_be_visible()
        page.keyboard.press("Escape")
        expect(books).to_be_hidden()


def test_the_phone_menu_works_without_javascript(live_server, shelf, chromium):
    context = chromium.new_context(java_script_enabled=False, viewport=PHONE)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/")
        books = page.get_by_role("navigation", name="Main").get_by_role("link", name="Books")
        expect(books).to_be_hidden()
        page.locator(".menu-button").click()
        books.click()
        page.wait_for_url(f"{live_server.url}/books")
    finally:
        context.close()


def test_touch_targets_on_a_phone_are_at_least_24_pixels(live_server, shelf, page):
    page.set_viewport_size(PHONE)
    page.goto(shelf)
    page.locator(".menu-button").click()
    selectors = [
        ".menu-button",
        ".cart-link",
        ".search-form input",
        ".search-form button",
        ".main-nav a",
        ".account-nav a",
        ".edition button",
        ".edition select",
        ".site-footer a",
    ]
    small = []
    for selector in selectors:
        for element in page.locator(selector).all():
            box = element.bounding_box()
            if box and (box["width"] < 24 or box["height"] < 24):
                small.append(f"{selector}: {box['width']:.0f}x{box['height']:.0f}")
    assert small == []


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_add_to_cart_keeps_the_shopper_on_the_page_and_opens_the_cart_panel(
    live_server, shelf, page, viewport
):
    page.set_viewport_size(VIEWPORTS[viewport])
    page.goto(shelf)
    page.evaluate("window.stayedOnPage = true")
    add_first_edition(page)
    panel = page.get_by_role("dialog", name="Added to your cart")
    expect(panel).to_be_visible(timeout=SERVER_ROUND_TRIP_MS)
    expect(panel).to_contain_text("Added Murder at the Dacha (paperback) to your cart.")
    expect(panel).to_contain_text("1 item, subtotal $16.00")
    expect(panel.get_by_role("link", name="View cart")).to_be_visible()
    checkout = panel.get_by_role("link", name="Checkout")
    expect(checkout).to_be_focused()
    assert inside_viewport(page, checkout)
    expect(page.locator("[data-live-status]")).to_contain_text("Added Murder at the Dacha")
    expect(page.locator(".site-header .cart-count")).to_have_text("1")
    assert page.evaluate("window.stayedOnPage") is True, "the page reloaded"
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    add_button = page.locator(".edition").first.get_by_role("button", name="Add to cart")
    expect(add_button).to_be_focused()
    # Again, then on to the cart: both copies are there, with the cover beside the line.
    add_first_edition(page)
    expect(panel).to_contain_text("2 items, subtotal $32.00", timeout=SERVER_ROUND_TRIP_MS)
    panel.get_by_role("link", name="View cart").click()
    page.wait_for_url(f"{live_server.url}/cart")
    expect(page.locator(".cart-line .cart-thumb")).to_be_visible()
    expect(
        page.locator(f"#qty-{page.locator('.cart-line').first.get_attribute('data-edition-id')}")
    )
    expect(page.locator("[data-cart-total]")).to_have_text("$37.00")
    assert page.js_errors == []


def test_add_to_cart_without_javascript_works_as_before(live_server, shelf, chromium):
    context = chromium.new_context(java_script_enabled=False, viewport=PHONE)
    try:
        page = context.new_page()
        page.goto(shelf)
        add_first_edition(page)
        page.wait_for_load_state()
        assert page.url == shelf
        expect(page.locator(".flash-success")).to_contain_text("Added Murder at the Dacha")
        expect(page.locator(".cart-count")).to_have_text("1")
    finally:
        context.close()


def test_emptying_the_cart_asks_for_confirmation(live_server, shelf, page):
    page.goto(shelf)
    add_first_edition(page, wait=True)
    page.goto(f"{live_server.url}/cart")
    yes = page.get_by_role("button", name="Yes, empty my cart")
    expect(yes).to_be_hidden()
    page.get_by_text("Empty cart…").click()
    expect(page.get_by_text("Remove every book from your cart?")).to_be_visible()
    yes.click()
    expect(page.locator(".cart-empty")).to_contain_text("Your cart is empty")


def test_the_book_page_and_checkout_promise_delivery_dates(live_server, shelf, page):
    page.goto(shelf)
    expect(page.locator(".delivery-promise")).to_contain_text("Arrives by")
    add_first_edition(page, wait=True)
    page.goto(f"{live_server.url}/checkout")
    expect(page.get_by_label("Standard, arrives by", exact=False)).to_be_visible()
    expect(page.get_by_label("Express, arrives by", exact=False)).to_be_visible()
    expect(page.locator(".co-policies").get_by_role("link", name="returns")).to_be_visible()
