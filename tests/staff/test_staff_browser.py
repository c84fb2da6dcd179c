"""A staff member runs the shop from a real browser: stock in, book back on sale, a refund."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from bookstore import create_app
from bookstore.accounts.models import Role
from bookstore.checkout.models import Order
from bookstore.checkout.states import OrderState
from bookstore.extensions import db
from tests.checkout.shoppers import Buyer
from tests.factories import TEST_PASSWORD, make_book, make_user
from tests.fixtures.browser import (
    assert_accessible,
    standin_config,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def browser_config(stripe_sandbox):
    return standin_config(stripe_sandbox)


def paid_order(app, stripe_sandbox, edition_id) -> str:
    """A guest's paid order, placed through a twin of the app without CSRF (the test client
    cannot read tokens the way a browser does); the live app keeps CSRF on."""
    twin = create_app({**app.config, "WTF_CSRF_ENABLED": False, "INSTANCE_PATH": app.instance_path})
    stripe_sandbox.deliver_to_app(twin)
    buyer = Buyer(twin)
    checkout = buyer.checkout(edition_id, 1)
    paid = stripe_sandbox.pay(checkout.session_id)
    stripe_sandbox.wait_for_webhooks()
    buyer.follow(paid.location)
    with twin.app_context():
        db.engine.dispose()
    return checkout.reference


def test_staff_receive_stock_and_refund_an_order(live_server, page, stripe_sandbox):
    app = live_server.app
    with app.app_context():
        gone = make_book("The Little Golden Calf", on_hand=0, price_cents=1800)
        sold = make_book("Murder at the Dacha", on_hand=4, price_cents=1600)
        make_user("staff@example.com", name="Sam Staff", role=Role.STAFF)
        db.session.commit()
        gone_slug, sold_edition = gone.slug, sold.editions[0].id
    reference = paid_order(app, stripe_sandbox, sold_edition)

    page.goto(f"{live_server.url}/account/login?next=/staff/")
    page.get_by_label("Email").fill("staff@example.com")
    page.get_by_label("Password", exact=True).fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/staff/")
    assert_accessible(page)

    # The shop's page of the book shows its own edition out of stock (another book's card
    # under "You might also like" is in stock, so look only at this book's editions).
    page.goto(f"{live_server.url}/books/{gone_slug}")
    editions = page.get_by_role("region", name="Editions")
    expect(editions.get_by_text("Out of stock")).to_be_visible()
    expect(editions.get_by_text("In stock")).to_have_count(0)

    page.goto(f"{live_server.url}/staff/")
    page.get_by_role("link", name="Books", exact=True).click()
    page.get_by_label("Show").select_option("out-of-stock")
    page.get_by_role("button", name="Find").click()
    page.get_by_role("link", name="Paperback").click()
    expect(page.get_by_label("Copies received")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Copies received").fill("5")
    page.get_by_role("button", name="Receive", exact=True).click()
    expect(page.get_by_text("Received 5 copies.")).to_be_visible()

    page.goto(f"{live_server.url}/books/{gone_slug}")
    expect(editions.get_by_text("In stock")).to_be_visible()
    expect(editions.get_by_text("Out of stock")).to_have_count(0)

    page.goto(f"{live_server.url}/staff/orders")
    page.get_by_role("link", name=reference[:8].upper()).click()
    expect(page.get_by_label("Reason")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Reason").fill("changed their mind")
    page.get_by_role("button", name="Refund through Stripe").click()
    # Nothing is refunded before staff confirm the amount.
    expect(page.get_by_role("heading", name="Refund $21.00 to")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Refund $21.00 through Stripe").click()
    expect(
        page.get_by_text("Refunded $21.00 through Stripe; the customer has been emailed.")
    ).to_be_visible()
    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.reference == reference))
        assert order.state is OrderState.REFUNDED
    assert page.js_errors == []
