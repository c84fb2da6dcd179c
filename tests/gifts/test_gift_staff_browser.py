"""The back office's gift screens and a shopper's saved addresses in Chromium, at 390x844
and 1366x900: the wrap price, the gift memberships list, a gift's packing slip, the address
book; axe-core finds nothing of any impact."""

import pytest
from playwright.sync_api import expect

from bookstore.accounts.models import Role
from bookstore.extensions import db
from bookstore.gifts.models import OrderGift
from tests.factories import TEST_PASSWORD, make_user
from tests.fixtures.browser import assert_accessible
from tests.gifts.helpers import make_sent_gift
from tests.gifts.test_gift_browser import SIZES
from tests.staff.helpers import make_order

pytestmark = pytest.mark.browser


def _log_in(page, url: str, email: str, landing: str) -> None:
    page.goto(f"{url}/account/login?next={landing}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{url}{landing}")


@pytest.mark.parametrize("size", SIZES)
def test_staff_set_the_wrap_price_and_print_a_gifts_packing_slip(live_server, page, size):
    page.set_viewport_size(dict(zip(("width", "height"), SIZES[size], strict=True)))
    with live_server.app.app_context():
        make_user("staff@example.com", name="Sam Staff", role=Role.STAFF)
        order = make_order(1600)
        order.ship_name, order.ship_line1 = "Misha Ivanov", "12 Elm Street"
        order.ship_city, order.ship_postal_code, order.ship_country = "Burlington", "05401", "US"
        db.session.add(
            OrderGift(order_id=order.id, from_name="Aunt Olga", message="Happy birthday!")
        )
        make_sent_gift()
        db.session.commit()
        reference = order.reference
    url = live_server.url
    _log_in(page, url, "staff@example.com", "/staff/gifts")
    expect(page.get_by_role("cell", name="olga@example.com")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Gift wrap price (USD)").fill("4.50")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Gift wrap saved.")).to_be_visible()
    expect(page.get_by_label("Gift wrap price (USD)")).to_have_value("4.50")
    page.goto(f"{url}/staff/orders/{reference}/packing-slip")
    expect(page.get_by_text("Happy birthday!")).to_be_visible()
    assert "$" not in page.locator("main").inner_text()
    assert_accessible(page)


@pytest.mark.parametrize("size", SIZES)
def test_a_shopper_keeps_an_address_book(live_server, page, size):
    page.set_viewport_size(dict(zip(("width", "height"), SIZES[size], strict=True)))
    with live_server.app.app_context():
        make_user("anna@example.com", name="Anna Petrova")
        db.session.commit()
    url = live_server.url
    _log_in(page, url, "anna@example.com", "/account/addresses/")
    page.get_by_role("link", name="Add an address").click()
    assert_accessible(page)
    page.get_by_label("Full name").fill("Misha Ivanov")
    page.get_by_label("Address line 1").fill("12 Elm Street")
    page.get_by_label("City or town").fill("Burlington")
    page.get_by_label("State, province or region").fill("VT")
    page.get_by_label("Postal code").fill("05401")
    page.get_by_role("button", name="Save the address").click()
    expect(page.get_by_text("Address saved.")).to_be_visible()
    expect(page.locator("address").get_by_text("12 Elm Street")).to_be_visible()
    assert_accessible(page)
