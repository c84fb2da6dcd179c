"""Chromium: an order's page prints as a receipt, without the shop's header and forms."""

import pytest
from playwright.sync_api import expect

from bookstore.checkout.downloads import order_link_token
from bookstore.checkout.states import OrderState
from bookstore.extensions import db
from tests.factories import TEST_PASSWORD, make_book, make_user
from tests.reviews.helpers import buy

pytestmark = pytest.mark.browser


@pytest.fixture
def order(live_server):
    """Anna's shipped order of *Murder at the Dacha*: its reference and emailed link."""
    with live_server.app.app_context():
        order = buy(make_user("anna@example.com"), make_book("Murder at the Dacha"))
        order.state = OrderState.SHIPPED
        found = order.reference, f"{live_server.url}/orders/{order_link_token(order)}"
        db.session.commit()
    return found


def test_an_order_prints_as_a_receipt(live_server, page, order):
    page.goto(f"{live_server.url}/account/login")
    page.get_by_label("Email").fill("anna@example.com")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/account/orders/{order[0]}")
    button = page.get_by_role("button", name="Print this receipt")
    expect(button).to_be_visible()
    page.evaluate("() => { window.printed = 0; window.print = () => { window.printed += 1; }; }")
    button.click()
    assert page.evaluate("window.printed") == 1

    forms = page.locator("main form")
    assert forms.count() >= 1  # buy again: a form that paper has no use for

    page.emulate_media(media="print")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Order")
    expect(page.locator("main")).to_contain_text("Murder at the Dacha")
    expect(page.locator("main")).to_contain_text("$16.00")
    expect(page.locator("footer address")).to_be_visible()
    expect(page.locator("footer address")).to_contain_text("73 Main Street")
    for gone in (".site-header", "[data-print]", ".footer-links", ".test-banner"):
        expect(page.locator(gone).first).to_be_hidden()
    for form in forms.all():
        expect(form).to_be_hidden()
    assert page.js_errors == []


def test_without_javascript_there_is_no_print_button(chromium, order):
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(order[1])
    expect(page.get_by_role("heading", level=1)).to_contain_text("Order")
    expect(page.get_by_role("button", name="Print this receipt")).to_have_count(0)
    context.close()
