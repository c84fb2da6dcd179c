"""The gift checkout and the gift claim in Chromium, at 390x844 and 1366x900, with axe-core
finding no violation of any impact."""

import pytest
from playwright.sync_api import expect

from bookstore.extensions import db
from tests.factories import make_book
from tests.fixtures.browser import assert_accessible, fill_us_address, pay_by_card, standin_config
from tests.gifts.helpers import make_sent_gift
from tests.staff.test_back_office_browser import shoot

pytestmark = pytest.mark.browser

SIZES = {"phone": (390, 844), "desktop": (1366, 900)}
PASSWORD = "Volga sunsets over Kazan 1987!"


@pytest.fixture
def browser_config(stripe_sandbox):
    return standin_config(stripe_sandbox)


@pytest.mark.parametrize("size", SIZES)
def test_a_guest_sends_a_book_as_a_gift(live_server, page, stripe_sandbox, size):
    page.set_viewport_size(dict(zip(("width", "height"), SIZES[size], strict=True)))
    stripe_sandbox.webhook_url = f"{live_server.url}/stripe/webhook"
    with live_server.app.app_context():
        slug = make_book("Murder at the Dacha", price_cents=1600, on_hand=5).slug
        db.session.commit()
    base = live_server.url
    page.goto(f"{base}/books/{slug}")
    page.get_by_role("button", name="Add to cart").first.click()
    expect(page.get_by_role("dialog")).to_contain_text("to your cart")
    page.goto(f"{base}/checkout")
    assert_accessible(page)
    page.get_by_label("Email for the receipt").fill("olga@example.com")
    fill_us_address(page, "Misha Ivanov")
    # The options show once the box is ticked, and hide again when it is unticked.
    message = page.get_by_label("Gift message (printed on the packing slip)")
    expect(message).to_be_hidden()
    page.get_by_label("This is a gift").check()
    expect(message).to_be_visible()
    page.get_by_label("This is a gift").uncheck()
    expect(message).to_be_hidden()
    page.get_by_label("This is a gift").check()
    page.get_by_label("Sign the message as (optional)").fill("Aunt Olga")
    page.get_by_label("Gift message (printed on the packing slip)").fill("Happy birthday, Misha!")
    page.get_by_label("Gift wrap (+$5.00)").check()
    shoot(page, f"gift-checkout-{size}")
    # The wrap changes the total the Pay button showed: the page says so before any charge.
    page.get_by_role("button", name="Pay $21.00 securely with Stripe").click()
    expect(page.get_by_role("alert")).to_contain_text("the total is now $26.00")
    expect(page.get_by_label("Gift message (printed on the packing slip)")).to_have_value(
        "Happy birthday, Misha!"
    )
    assert_accessible(page)
    page.get_by_role("button", name="Pay $26.00 securely with Stripe").click()
    page.wait_for_url(f"{stripe_sandbox.url}/**")
    pay_by_card(page, "$26.00", name="Olga Ivanova")
    page.wait_for_url(f"{base}/checkout/success**")
    expect(page.get_by_text("Happy birthday, Misha!")).to_be_visible()
    expect(page.get_by_role("link", name="Gift receipt")).to_be_visible()
    shoot(page, f"gift-success-{size}")
    assert_accessible(page)
    page.get_by_role("link", name="Gift receipt").click()
    expect(page.get_by_role("heading", name="Gift receipt")).to_be_visible()
    assert "$" not in page.locator("main").inner_text()
    assert_accessible(page)


def _gift_link(app) -> str:
    with app.app_context():
        token = make_sent_gift()
        db.session.commit()
    return f"/gifts/claim/{token}"


@pytest.mark.parametrize("size", SIZES)
def test_the_recipient_claims_a_gift_membership_into_a_new_account(live_server, page, size):
    page.set_viewport_size(dict(zip(("width", "height"), SIZES[size], strict=True)))
    path = _gift_link(live_server.app)
    page.goto(f"{live_server.url}{path}")
    expect(page.get_by_role("heading", name="A year of membership, a gift for you")).to_be_visible()
    shoot(page, f"gift-claim-{size}")
    assert_accessible(page)
    page.get_by_role("button", name="Create my account and claim the gift").click()
    expect(page.get_by_text("Enter your name.")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Your name").fill("Vera Sokolova")
    page.get_by_label("New password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the new password").fill(PASSWORD)
    page.get_by_role("button", name="Create my account and claim the gift").click()
    page.wait_for_url(f"{live_server.url}/membership")
    expect(page.get_by_text("Your year of membership has started")).to_be_visible()
    expect(page.get_by_text("You are a member until")).to_be_visible()
    # The link works once.
    page.goto(f"{live_server.url}{path}")
    expect(page.get_by_text("This gift has already been claimed.")).to_be_visible()
    assert_accessible(page)


def test_without_javascript_the_gift_options_show_at_once(live_server, chromium):
    context = chromium.new_context(
        java_script_enabled=False, viewport={"width": 390, "height": 844}
    )
    try:
        page = context.new_page()
        with live_server.app.app_context():
            slug = make_book("Murder at the Dacha", price_cents=1600, on_hand=5).slug
            db.session.commit()
        page.goto(f"{live_server.url}/books/{slug}")
        page.get_by_role("button", name="Add to cart").first.click()
        page.goto(f"{live_server.url}/checkout")
        expect(page.get_by_label("This is a gift")).not_to_be_checked()
        expect(page.get_by_label("Gift message (printed on the packing slip)")).to_be_visible()
        expect(
            page.get_by_label("Recipient's email for the gift receipt (optional)")
        ).to_be_visible()
    finally:
        context.close()
