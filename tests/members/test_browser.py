"""Chromium: a visitor puts a year of membership in the cart with a book, makes the account at
checkout, pays with 4242 and is a member."""

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

pytestmark = pytest.mark.browser

PASSWORD = "Volga sunsets over Kazan 1987!"


@pytest.fixture
def browser_config(stripe_sandbox):
    return standin_config(stripe_sandbox)


def test_a_visitor_becomes_a_member_at_checkout_with_a_book(live_server, page, stripe_sandbox):
    stripe_sandbox.webhook_url = f"{live_server.url}/stripe/webhook"
    with live_server.app.app_context():
        slug = make_book("Murder at the Dacha", price_cents=1600, on_hand=3).slug
        db.session.commit()

    page.goto(f"{live_server.url}/books/{slug}")
    page.get_by_role("button", name="Add to cart").first.click()
    # The cart panel confirms it (the shopper stays on the book's page).
    expect(page.get_by_role("dialog")).to_contain_text("to your cart")
    page.goto(f"{live_server.url}/membership")
    assert_accessible(page)
    page.get_by_role("button", name="Become a member: add to cart ($35.00)").click()
    expect(page.get_by_text("A year of membership is in your cart.")).to_be_visible()
    expect(page.locator("[data-cart-total]")).to_have_text("$56.00")
    assert_accessible(page)

    page.get_by_role("link", name="Checkout").click()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Email for the receipt").fill("nadia@example.com")
    page.get_by_label("Your name").fill("Nadia Orlova")
    page.get_by_label("New password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the new password").fill(PASSWORD)
    fill_us_address(page, "Nadia Orlova")
    page.get_by_role("button", name="Pay $56.00 securely with Stripe").click()

    pay_by_card(page, "$56.00", name="Nadia Orlova")
    page.wait_for_url(f"{live_server.url}/checkout/success**")
    expect(page.get_by_text("A year of membership").first).to_be_visible()
    stripe_sandbox.wait_for_webhooks()

    page.goto(f"{live_server.url}/membership")
    expect(page.get_by_text("You are a member until")).to_be_visible()
    expect(page.locator(".member-badge").first).to_be_visible()
    assert page.js_errors == []
