"""Chromium: a member claims a deal, sees the cart discounted, pays with 4242, sees the saving."""

import re

import pytest
from playwright.sync_api import expect

from bookstore.cart import services as cart_services
from bookstore.dbtypes import utcnow
from bookstore.deals.models import DealKind, DealScope
from bookstore.extensions import db
from tests.deals.builders import make_deal, make_member
from tests.factories import TEST_PASSWORD, make_book
from tests.fixtures.browser import (
    assert_accessible,
    pay_by_card,
    standin_config,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def browser_config(stripe_sandbox):
    return standin_config(stripe_sandbox)


def test_member_claims_a_deal_and_pays_less(live_server, page):
    app = live_server.app
    with app.app_context():
        now = utcnow()
        member = make_member("member@example.com", name="Masha Member", now=now)
        make_deal(
            "Quarter off ebooks",
            now=now,
            kind=DealKind.PERCENT_OFF,
            value=2500,
            scope=DealScope.FORMATS,
            formats=("ebook",),
            limit=10,
        )
        ebook = make_book("Moscow Nights", formats=("ebook",), price_cents=1600).editions[0]
        cart = cart_services.open_cart(member)
        cart_services.add_item(cart, ebook.id, 1, max_per_line=10)
        db.session.commit()

    page.goto(f"{live_server.url}/account/login?next=/deals/")
    page.get_by_label("Email").fill("member@example.com")
    page.get_by_label("Password", exact=True).fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/deals/")
    expect(page.get_by_text("10 of 10")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Claim “Quarter off ebooks”").click()
    expect(page.get_by_text("You claimed “Quarter off ebooks”")).to_be_visible()
    expect(page.get_by_text("9 of 10")).to_be_visible()

    page.goto(f"{live_server.url}/cart")  # the claim applies by itself: nothing to choose
    expect(page.get_by_text("Applied: it saves you the most")).to_be_visible()
    expect(page.locator("[data-line-total]")).to_have_text("$7.50")
    expect(page.locator("[data-deal-saving]")).to_have_text("−$2.50")
    expect(page.locator("[data-cart-total]")).to_have_text("$7.50")
    assert_accessible(page)

    page.get_by_role("link", name="Checkout").click()
    expect(page.get_by_text("−$2.50").first).to_be_visible()
    page.get_by_role("button", name="Pay $7.50 securely with Stripe").click()

    pay_by_card(page, "$7.50", name="Masha Member")

    page.wait_for_url(f"{live_server.url}/**")
    expect(page.get_by_text("Discount").first).to_be_visible()
    expect(page.get_by_text("−$2.50").first).to_be_visible()
    expect(page.get_by_text("$7.50").first).to_be_visible()
    assert page.js_errors == []


def test_members_see_their_price_and_visitors_see_what_members_pay(live_server, page):
    app = live_server.app
    with app.app_context():
        now = utcnow()
        make_member("member@example.com", name="Masha Member", now=now)
        make_deal("Members save 15% on every book", now=now, value=1500)  # unlimited: standing
        slug = make_book("Moscow Nights", price_cents=1600, on_hand=5).slug
        db.session.commit()

    page.goto(f"{live_server.url}/books/{slug}")
    expect(page.get_by_role("link", name="Members pay $13.60")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Members pay $13.60").click()
    page.wait_for_url(f"{live_server.url}/membership")

    page.goto(f"{live_server.url}/account/login?next=/books/{slug}")
    page.get_by_label("Email").fill("member@example.com")
    page.get_by_label("Password", exact=True).fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/books/{slug}")
    expect(page.locator(".edition .price-member")).to_have_text("$13.60")
    expect(page.get_by_text("Members pay")).to_have_count(0)
    assert_accessible(page)
    page.get_by_role("button", name=re.compile("^Add to cart")).first.click()
    expect(page.locator(".cart-count").first).to_have_text("1")
    page.goto(f"{live_server.url}/cart")
    expect(page.locator("[data-line-total]")).to_have_text("$13.60")
    expect(page.locator("[data-cart-total]")).to_have_count(1)
    assert_accessible(page)
    assert page.js_errors == []
