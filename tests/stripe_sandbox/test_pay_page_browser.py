"""The hosted pay page in Chromium: accessible, no script errors, decline then pay."""

import pytest
from playwright.sync_api import expect

from tests.fixtures.browser import assert_accessible
from tests.stripe_sandbox.helpers import session_params

pytestmark = pytest.mark.browser


def test_buyer_is_declined_then_pays_and_lands_on_the_success_url(stripe_sandbox, page):
    back_to = f"{stripe_sandbox.url}/_sandbox/?session_id={{CHECKOUT_SESSION_ID}}"
    session = stripe_sandbox.client().v1.checkout.sessions.create(
        session_params(success_url=back_to, cancel_url=f"{stripe_sandbox.url}/_sandbox/")
    )
    page.goto(session.url)
    assert_accessible(page)

    page.get_by_label("Card number").fill("4000 0000 0000 0002")
    page.get_by_label("Expiry (MM / YY)").fill("12 / 34")
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_label("Name on card").fill("Anna Petrova")
    page.get_by_role("button", name="Pay $44.98").click()

    expect(page.get_by_role("alert")).to_contain_text("Your card was declined.")
    assert_accessible(page)
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_role("button", name="Pay $44.98").click()

    page.wait_for_url(f"**/_sandbox/?session_id={session.id}")
    assert page.js_errors == []
    assert stripe_sandbox.client().v1.checkout.sessions.retrieve(session.id).payment_status == (
        "paid"
    )


def test_pay_page_fits_a_phone_screen(stripe_sandbox, page):
    session = stripe_sandbox.client().v1.checkout.sessions.create(session_params())
    page.set_viewport_size({"width": 360, "height": 740})

    page.goto(session.url)

    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, "the pay page scrolls sideways on a phone"


def test_dashboard_is_accessible(stripe_sandbox, page):
    session = stripe_sandbox.client().v1.checkout.sessions.create(session_params())
    stripe_sandbox.pay(session.id, delayed=True)

    page.goto(f"{stripe_sandbox.url}/_sandbox/")

    assert_accessible(page)
