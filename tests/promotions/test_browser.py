"""The checkout page in Chromium at 1366x900 and 390x844: the summary beside the form (or
collapsed above it on a phone), a promotion code applied, axe with no violation at all."""

import pytest
from playwright.sync_api import expect

from bookstore.dbtypes import utcnow
from bookstore.extensions import db
from tests.factories import make_book
from tests.fixtures.browser import assert_accessible, fill_us_address, pay_by_card, standin_config
from tests.promotions.builders import make_code

pytestmark = pytest.mark.browser


@pytest.fixture
def browser_config(stripe_sandbox):
    return standin_config(stripe_sandbox)


@pytest.fixture
def dacha(live_server, stripe_sandbox):
    stripe_sandbox.webhook_url = f"{live_server.url}/stripe/webhook"
    with live_server.app.app_context():
        make_code("WELCOME10", now=utcnow())
        book = make_book("Murder at the Dacha", price_cents=1600, on_hand=5)
        db.session.commit()
        return book.slug


def to_checkout(page, base_url, slug):
    page.goto(f"{base_url}/books/{slug}")
    page.get_by_role("button", name="Add to cart").first.click()
    expect(page.get_by_role("dialog")).to_contain_text("to your cart")
    page.goto(f"{base_url}/checkout")


def test_on_a_desktop_the_summary_sits_beside_the_form_and_a_code_pays_less(
    live_server, page, stripe_sandbox, dacha
):
    page.set_viewport_size({"width": 1366, "height": 900})
    to_checkout(page, live_server.url, dacha)
    summary = page.locator(".co-summary-box")
    expect(summary.get_by_role("heading", name="Order summary")).to_be_visible()
    form_box, summary_box = page.locator("#co-details").bounding_box(), summary.bounding_box()
    assert summary_box["x"] > form_box["x"] + form_box["width"] - 1  # beside, on the right
    assert_accessible(page)
    page.get_by_label("Email for the receipt").fill("anna@example.com")
    fill_us_address(page, "Anna Petrova")
    page.get_by_label("Promotion code").fill("welcome10")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_text("Code WELCOME10 applied.")).to_be_visible()
    # What was typed in the form is still there.
    expect(page.get_by_label("Full name")).to_have_value("Anna Petrova")
    expect(summary.locator(".co-total")).to_contain_text("$19.40")  # $16 - $1.60 + $5
    assert_accessible(page)
    page.get_by_role("button", name="Pay $19.40 securely with Stripe").click()
    page.wait_for_url(f"{stripe_sandbox.url}/**")
    pay_by_card(page, "$19.40", name="Anna Petrova")
    page.wait_for_url(f"{live_server.url}/checkout/success**")
    expect(page.get_by_text("WELCOME10").first).to_be_visible()
    assert page.js_errors == []


def test_on_a_phone_the_summary_folds_above_the_form_and_a_bad_code_says_why(
    live_server, page, dacha
):
    page.set_viewport_size({"width": 390, "height": 844})
    to_checkout(page, live_server.url, dacha)
    toggle = page.locator(".co-summary-toggle")
    expect(toggle).to_contain_text("$21.00")
    expect(page.get_by_label("Promotion code")).to_be_hidden()
    assert_accessible(page)
    toggle.click()
    page.get_by_label("Promotion code").fill("nope1")
    page.get_by_role("button", name="Apply").click()
    # The summary comes back unfolded, with the reason beside the field.
    expect(page.get_by_role("alert")).to_contain_text("We do not know the code “NOPE1”")
    expect(page.get_by_label("Promotion code")).to_have_attribute("aria-invalid", "true")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    assert_accessible(page)
    assert page.js_errors == []
