"""A guest buys a book in Chromium: shop pages, the stand-in's pay page, back to the shop."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from bookstore.extensions import db
from tests.factories import make_book
from tests.fixtures.browser import (
    assert_accessible,
    fill_us_address,
    pay_by_card,
    standin_config,
)
from tests.fixtures.mail import Outbox

pytestmark = pytest.mark.browser


@pytest.fixture
def browser_config(stripe_sandbox):
    return standin_config(stripe_sandbox)


@pytest.fixture
def dacha(live_server, stripe_sandbox):
    """'Murder at the Dacha' on sale; the stand-in's webhooks go to the live shop."""
    stripe_sandbox.webhook_url = f"{live_server.url}/stripe/webhook"
    with live_server.app.app_context():
        book = make_book("Murder at the Dacha", price_cents=1600, on_hand=5)
        db.session.commit()
        return book.slug


def _to_stripe(page, base_url, slug, email):
    page.goto(f"{base_url}/books/{slug}")
    page.get_by_role("button", name="Add to cart").first.click()
    # The cart panel confirms it (the shopper stays on the book's page).
    expect(page.get_by_role("dialog")).to_contain_text("to your cart")
    page.goto(f"{base_url}/cart")
    page.get_by_role("link", name="Checkout").click()
    expect(page.get_by_label("Email for the receipt")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Email for the receipt").fill(email)
    fill_us_address(page, "Anna Petrova")
    # The summary beside the form: $16.00 + $5.00 standard shipping.
    expect(page.locator(".co-summary .co-total")).to_contain_text("$21.00")
    page.get_by_role("button", name="Pay $21.00 securely with Stripe").click()


def _card(page, number):
    pay_by_card(page, "$21.00", name="Anna Petrova", number=number)


def test_a_guest_buys_murder_at_the_dacha_and_gets_the_email(
    live_server, page, stripe_sandbox, dacha
):
    _to_stripe(page, live_server.url, dacha, "anna@example.com")
    page.wait_for_url(f"{stripe_sandbox.url}/**")
    _card(page, "4242 4242 4242 4242")
    page.wait_for_url(f"{live_server.url}/checkout/success**")
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Thank you: your order is confirmed"
    )
    assert_accessible(page)
    stripe_sandbox.wait_for_webhooks()
    [mail] = Outbox(Path(live_server.app.config["MAIL_OUTBOX"])).to("anna@example.com")
    assert "Murder at the Dacha" in mail.get_body(("plain",)).get_content()
    assert page.js_errors == []


def test_a_declined_card_then_a_good_one(live_server, page, stripe_sandbox, dacha):
    _to_stripe(page, live_server.url, dacha, "boris@example.com")
    page.wait_for_url(f"{stripe_sandbox.url}/**")
    _card(page, "4000 0000 0000 0002")
    expect(page.get_by_role("alert")).to_contain_text("declined", ignore_case=True)
    _card(page, "4242 4242 4242 4242")
    page.wait_for_url(f"{live_server.url}/checkout/success**")
    assert "your order is confirmed" in page.get_by_role("heading", level=1).inner_text()
    stripe_sandbox.wait_for_webhooks()
    assert len(Outbox(Path(live_server.app.config["MAIL_OUTBOX"])).to("boris@example.com")) == 1
