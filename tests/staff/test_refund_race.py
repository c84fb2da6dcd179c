"""PostgreSQL: staff refunding the same order at the same moment (and Stripe's webhook telling
of it) refund it once, restock once, give its sales tax back once, and nobody gets an error
page."""

import threading

import pytest
from sqlalchemy import func, select

from bookstore.accounts.models import Role
from bookstore.catalog.models import Edition
from bookstore.checkout.models import Refund
from bookstore.extensions import db
from bookstore.tax.models import TaxRefund
from bookstore.tax.services import RateSpec, set_rate
from tests.checkout.shoppers import Buyer, order_state
from tests.factories import make_book, make_user

pytestmark = pytest.mark.postgres


def test_four_staff_refunding_one_order_at_once_refund_and_restock_it_once(pg_app, stripe_sandbox):
    pg_app.config.update(
        STRIPE_API_BASE=stripe_sandbox.url,
        STRIPE_WEBHOOK_SECRET=stripe_sandbox.webhook_secret,
        PROPAGATE_EXCEPTIONS=False,
    )
    stripe_sandbox.deliver_to_app(pg_app)
    with pg_app.app_context():
        edition_id = make_book("Murder at the Dacha", on_hand=5).editions[0].id
        staff = [make_user(f"staff{n}@example.com", role=Role.STAFF).get_id() for n in range(4)]
        set_rate(RateSpec("US", "VT", "Vermont sales tax", 6000), actor_id=None)
        db.session.commit()
    buyer = Buyer(pg_app)
    checkout = buyer.checkout(edition_id, 2)
    stripe_sandbox.pay(checkout.session_id)
    stripe_sandbox.wait_for_webhooks()
    order = order_state(pg_app, checkout.reference)
    barrier = threading.Barrier(len(staff))
    statuses = []

    def refund(user_id):
        client = pg_app.test_client()
        with client.session_transaction() as session:
            session["_user_id"], session["_fresh"] = user_id, True
        data = {
            "refund-scope": "order",
            "refund-reason": "lost",
            "refund-restock": "y",
            "refund-confirmed": "yes",
        }
        barrier.wait()
        statuses.append(client.post(f"/staff/orders/{order.reference}/refund", data=data))

    threads = [threading.Thread(target=refund, args=(user_id,)) for user_id in staff]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    stripe_sandbox.wait_for_webhooks()

    assert [response.status_code for response in statuses] == [303] * len(staff)
    refunds = stripe_sandbox.client().v1.refunds.list(
        {"payment_intent": order.stripe_payment_intent}
    )
    assert [r.amount for r in refunds.data] == [order.total_cents]
    after = order_state(pg_app, checkout.reference)
    assert after.refunded_cents == order.total_cents
    with pg_app.app_context():
        assert db.session.scalar(select(func.count(Refund.id))) == 1
        assert order.tax_cents > 0
        assert list(db.session.scalars(select(TaxRefund.cents))) == [order.tax_cents]
        assert db.session.get(Edition, edition_id).on_hand == 5, "restocked once: 5 - 2 + 2"
