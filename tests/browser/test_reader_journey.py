"""The reader features together, in Chromium on a phone and a laptop: a reader saves a book for
later, buys it as a gift with a message and a promotion code, writes a review of it that staff
approve, and the book page then shows the review with its rating and "Verified purchase"."""

import pytest
from playwright.sync_api import expect

from bookstore.accounts.models import Role
from bookstore.dbtypes import utcnow
from bookstore.extensions import db
from tests.factories import make_book, make_user
from tests.fixtures.browser import (
    assert_accessible,
    fill_us_address,
    go_to_staff_section,
    pay_by_card,
    standin_config,
)
from tests.promotions.builders import make_code
from tests.reviews.test_reviews_browser import log_in, log_out

pytestmark = pytest.mark.browser

SIZES = {"phone": (390, 844), "laptop": (1366, 900)}


@pytest.fixture
def browser_config(stripe_sandbox):
    return standin_config(stripe_sandbox)


@pytest.mark.parametrize("size", SIZES)
def test_a_reader_saves_gives_reviews_and_the_book_page_shows_it(
    live_server, page, stripe_sandbox, size
):
    page.set_viewport_size(dict(zip(("width", "height"), SIZES[size], strict=True)))
    stripe_sandbox.webhook_url = f"{live_server.url}/stripe/webhook"
    base = live_server.url
    with live_server.app.app_context():
        slug = make_book("Murder at the Dacha", price_cents=1600, on_hand=5).slug
        make_code("WELCOME10", now=utcnow())  # 10% off every book
        make_user("anna@example.com", name="Anna Petrova")
        make_user("staff@example.com", name="Sam Staff", role=Role.STAFF)
        db.session.commit()

    # Saved for later, then from the wishlist into the cart.
    log_in(page, base, "anna@example.com", f"/books/{slug}")
    page.get_by_role("button", name="Save for later").click()
    page.get_by_text("Saved on").wait_for()
    page.goto(f"{base}/account/wishlist")
    page.get_by_role("button", name="Move to cart").click()
    page.get_by_text("to your cart").wait_for()

    # A gift, with a message and a code, paid through the Stripe stand-in.
    page.goto(f"{base}/checkout")
    fill_us_address(page, "Misha Ivanov")
    page.get_by_label("This is a gift").check()
    page.get_by_label("Gift message (printed on the packing slip)").fill("Happy birthday, Misha!")
    if size == "phone":
        page.locator(".co-summary-toggle").click()
    page.get_by_label("Promotion code").fill("welcome10")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_text("Code WELCOME10 applied.")).to_be_visible()
    expect(page.get_by_label("Gift message (printed on the packing slip)")).to_have_value(
        "Happy birthday, Misha!"
    )
    assert_accessible(page)
    page.get_by_role("button", name="Pay $19.40 securely with Stripe").click()  # $16 - 10% + $5
    page.wait_for_url(f"{stripe_sandbox.url}/**")
    pay_by_card(page, "$19.40", name="Anna Petrova")
    page.wait_for_url(f"{base}/checkout/success**")
    expect(page.get_by_text("Happy birthday, Misha!")).to_be_visible()
    expect(page.get_by_text("WELCOME10").first).to_be_visible()

    # The reader reviews the book they bought; nobody else sees it yet.
    page.goto(f"{base}/books/{slug}")
    page.get_by_role("link", name="Write a review").click()
    page.get_by_label("5 stars").check()
    page.get_by_label("Title (optional)").fill("Misha loved it")
    page.get_by_label("Your review").fill("A gift that made a whole family laugh.")
    page.get_by_role("button", name="Send my review").click()
    expect(page.get_by_text("your review is waiting for moderation")).to_be_visible()
    log_out(page)
    page.goto(f"{base}/books/{slug}")
    expect(page.get_by_text("A gift that made a whole family laugh.")).to_have_count(0)

    # Staff approve it.
    log_in(page, base, "staff@example.com", "/staff/")
    go_to_staff_section(page, "Reviews")
    page.get_by_role("button", name="Approve the review of Murder at the Dacha").click()
    expect(page.get_by_text("Published the review of “Murder at the Dacha”.")).to_be_visible()
    log_out(page)

    # Every visitor now sees it, with the rating and the badge of a real purchase.
    page.goto(f"{base}/books/{slug}")
    reviews = page.get_by_role("region", name="Readers’ reviews")
    expect(reviews.get_by_text("A gift that made a whole family laugh.")).to_be_visible()
    expect(reviews.get_by_text("Verified purchase")).to_be_visible()
    expect(reviews.get_by_text("out of 5 · 1 review")).to_be_visible()
    assert_accessible(page)
    assert page.js_errors == []
