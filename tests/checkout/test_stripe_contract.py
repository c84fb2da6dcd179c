"""Contract test against real Stripe (test mode): runs only with an ``sk_test_`` key.

Set ``STRIPE_TEST_SECRET_KEY`` (or ``STRIPE_SECRET_KEY``) to a test-mode key to run it. Without
one it is skipped with ``skipif`` rather than ``skip_or_fail``: CI has no Stripe account, so
``BOOKSTORE_REQUIRE_SERVICES=1`` must not turn this skip into a failure.
"""

import os
from datetime import timedelta

import pytest

from bookstore import create_app
from bookstore.catalog.models import Format
from bookstore.checkout import gateway
from bookstore.checkout.models import Order, OrderLine
from bookstore.dbtypes import utcnow

KEY = os.environ.get("STRIPE_TEST_SECRET_KEY") or os.environ.get("STRIPE_SECRET_KEY") or ""


@pytest.mark.skipif(
    not KEY.startswith("sk_test_"), reason="no sk_test_ Stripe key in the environment"
)
def test_real_stripe_accepts_our_checkout_session_and_reports_it_back(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "contract-test",
            "INSTANCE_PATH": str(tmp_path),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'unused.db'}",
            "STRIPE_SECRET_KEY": KEY,
            "STRIPE_API_BASE": None,
        }
    )
    order = Order(
        id=1,
        reference="contract-" + os.urandom(8).hex(),
        email="contract@example.com",
        shipping_method="standard",
        subtotal_cents=3200,
        shipping_cents=500,
        total_cents=3700,
        currency="USD",
        payment_attempts=1,
        reserved_until=utcnow() + timedelta(minutes=31),
    )
    order.lines = [
        OrderLine(
            title="Murder at the Dacha",
            format=Format.PAPERBACK,
            isbn13="9781880100929",
            unit_price_cents=1600,
            quantity=2,
        )
    ]
    with app.test_request_context():
        created = gateway.create_checkout_session(
            order,
            success_url="https://example.com/checkout/success?session_id={CHECKOUT_SESSION_ID}",
            cancel_url="https://example.com/checkout/cancel",
        )
        again = gateway.create_checkout_session(
            order,
            success_url="https://example.com/checkout/success?session_id={CHECKOUT_SESSION_ID}",
            cancel_url="https://example.com/checkout/cancel",
        )
        fetched = gateway.retrieve_session(created.id)
        expired = gateway.expire_session(created.id)

    assert created.url.startswith("https://checkout.stripe.com/")
    assert again.id == created.id  # same idempotency key: the same session
    assert (fetched.amount_total, fetched.currency) == (3700, "USD")
    assert fetched.client_reference_id == order.reference
    assert fetched.order_id == "1"
    assert fetched.payment_status == "unpaid"
    assert expired is not None
    assert expired.status == "expired"
