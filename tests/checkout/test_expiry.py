"""flask checkout expire-stale: lapsed holds released, abandoned orders expired, paid ones kept."""

from datetime import timedelta

from sqlalchemy import update

from bookstore.catalog.models import Edition
from bookstore.checkout.models import Order
from bookstore.checkout.states import OrderState
from bookstore.dbtypes import utcnow
from bookstore.extensions import db
from bookstore.inventory.models import StockHold
from tests.checkout.shoppers import Buyer, order_state
from tests.factories import make_book


def _edition(app, on_hand=5):
    with app.app_context():
        edition_id = make_book("Murder at the Dacha", on_hand=on_hand).editions[0].id
        db.session.commit()
        return edition_id


def _age(app, reference, hours=2):
    """Pretend the checkout started ``hours`` ago (its hold has lapsed)."""
    with app.app_context():
        order = db.session.query(Order).filter_by(reference=reference).one()
        order.created_at = utcnow() - timedelta(hours=hours)
        order.reserved_until = utcnow() - timedelta(hours=hours - 1)
        db.session.execute(
            update(StockHold)
            .where(StockHold.order_id == order.id)
            .values(expires_at=order.reserved_until)
        )
        db.session.commit()


def _reserved(app, edition_id):
    with app.app_context():
        return db.session.get(Edition, edition_id).reserved


def _run(app):
    result = app.test_cli_runner().invoke(args=["checkout", "expire-stale"])
    assert result.exit_code == 0, result.output
    return result.output


def test_an_abandoned_checkout_is_expired_at_stripe_and_here(shop, stripe_sandbox):
    stripe_sandbox.webhook_url = None
    edition = _edition(shop)
    checkout = Buyer(shop).checkout(edition, 2)
    _age(shop, checkout.reference)
    assert _reserved(shop, edition) == 2

    output = _run(shop)

    assert "Released 1 reservation(s); expired 1 order(s)" in output
    assert order_state(shop, checkout.reference).state is OrderState.EXPIRED
    assert _reserved(shop, edition) == 0
    session = stripe_sandbox.client().v1.checkout.sessions.retrieve(checkout.session_id)
    assert session.status == "expired"
    assert _run(shop).startswith("Released 0 reservation(s); expired 0 order(s)")


def test_a_paid_checkout_whose_webhook_never_came_is_fulfilled_not_expired(
    shop, stripe_sandbox, outbox
):
    stripe_sandbox.webhook_url = None
    edition = _edition(shop)
    checkout = Buyer(shop).checkout(edition)
    stripe_sandbox.pay(checkout.session_id)
    _age(shop, checkout.reference)

    output = _run(shop)

    assert "fulfilled 1 paid order(s)" in output
    assert order_state(shop, checkout.reference).state is OrderState.PAID
    with shop.app_context():
        assert (db.session.get(Edition, edition).on_hand, _reserved(shop, edition)) == (4, 0)
    [mail] = outbox.to("buyer@example.com")
    assert "http://localhost/orders/" in mail.get_body(("plain",)).get_content()


def test_a_recent_checkout_is_left_alone(shop, stripe_sandbox):
    stripe_sandbox.webhook_url = None
    edition = _edition(shop)
    checkout = Buyer(shop).checkout(edition)
    _run(shop)
    assert order_state(shop, checkout.reference).state is OrderState.PENDING_PAYMENT
    assert _reserved(shop, edition) == 1
