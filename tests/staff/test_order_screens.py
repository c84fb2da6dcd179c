"""Staff find orders, ship them, refund them through the Stripe stand-in and resolve reviews."""

import pytest
from sqlalchemy import select

from bookstore.accounts.models import Role
from bookstore.catalog.models import Edition, StockMovement
from bookstore.checkout.models import Order
from bookstore.checkout.services import move_order
from bookstore.checkout.states import OrderState
from bookstore.extensions import db
from bookstore.staff.models import AuditEntry, Refund
from tests.checkout.conftest import Buyer, order_state
from tests.checkout.conftest import shop as shop  # noqa: F401  (the fixture)
from tests.factories import make_book, make_user
from tests.staff.conftest import log_in


@pytest.fixture
def staff(shop):
    with shop.app_context():
        user = make_user("packer@example.com", name="Pat Packer", role=Role.STAFF)
        db.session.commit()
        client = shop.test_client()
        log_in(client, user)
        return client


@pytest.fixture
def paid_order(shop, stripe_sandbox):
    """A guest's paid order of 2 paperbacks at $16 and 1 ebook at $10 (+ $5 shipping)."""
    with shop.app_context():
        book = make_book("Murder at the Dacha", formats=("paperback", "ebook"), on_hand=5)
        paperback, ebook = (e.id for e in book.editions)
        db.session.commit()
    buyer = Buyer(shop)
    buyer.add(paperback, 2)
    buyer.add(ebook, 1)
    checkout = buyer.checkout()
    paid = stripe_sandbox.pay(checkout.session_id)
    stripe_sandbox.wait_for_webhooks()
    buyer.follow(paid.location)
    order = order_state(shop, checkout.reference)
    assert order.state is OrderState.PAID
    return order, paperback


def _order(shop, reference) -> Order:
    return order_state(shop, reference)


def test_orders_list_filters_by_state_customer_and_isbn(shop, staff, paid_order):
    order, _ = paid_order
    short = order.reference[:8].upper().encode()
    assert short in staff.get("/staff/orders").data
    assert short in staff.get("/staff/orders?state=paid").data
    assert short not in staff.get("/staff/orders?state=shipped").data
    assert short in staff.get("/staff/orders?customer=BUYER@example").data
    assert short not in staff.get("/staff/orders?customer=someone-else").data
    assert short in staff.get(f"/staff/orders?isbn={order.lines[0].isbn13}").data
    assert short not in staff.get("/staff/orders?isbn=9780000000002").data
    odd = staff.get("/staff/orders?state=bogus&since=yesterday&page=abc")
    assert odd.status_code == 200


def test_order_detail_shows_lines_payment_and_history(staff, paid_order):
    order, _ = paid_order
    page = staff.get(f"/staff/orders/{order.reference}").get_data(as_text=True)
    assert "Murder at the Dacha" in page
    assert order.stripe_payment_intent in page
    assert "pending_payment → paid" in page
    assert staff.get("/staff/orders/no-such-order").status_code == 404


def test_marking_shipped_emails_the_customer_and_logs_it(shop, staff, paid_order, outbox):
    order, _ = paid_order
    response = staff.post(
        f"/staff/orders/{order.reference}/ship",
        data={"ship-carrier": "USPS", "ship-tracking": "9400 1000 0000"},
    )
    assert response.status_code == 303
    assert _order(shop, order.reference).state is OrderState.SHIPPED
    [mail] = [m for m in outbox.to("buyer@example.com") if "on its way" in m["Subject"]]
    assert "9400 1000 0000" in mail.get_body(("plain",)).get_content()
    with shop.app_context():
        assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.action == "order.ship"))
    again = staff.post(
        f"/staff/orders/{order.reference}/ship",
        data={"ship-carrier": "USPS"},
        follow_redirects=True,
    )
    assert b"cannot be shipped" in again.data


def test_shipping_needs_a_carrier(staff, paid_order):
    order, _ = paid_order
    response = staff.post(f"/staff/orders/{order.reference}/ship", data={"ship-carrier": ""})
    assert response.status_code == 400
    assert b"This field is required" in response.data


def test_whole_refund_goes_through_stripe_once_and_restocks(
    shop, staff, paid_order, stripe_sandbox
):
    order, paperback = paid_order
    data = {"refund-scope": "order", "refund-reason": "damaged in post", "refund-restock": "y"}
    assert staff.post(f"/staff/orders/{order.reference}/refund", data=data).status_code == 303
    # A double-click sends the same form again: nothing more is refunded.
    staff.post(f"/staff/orders/{order.reference}/refund", data=data)
    stripe_sandbox.wait_for_webhooks()
    after = _order(shop, order.reference)
    assert after.state is OrderState.REFUNDED
    assert after.refunded_cents == order.total_cents
    with shop.app_context():
        refunds = stripe_sandbox.client().v1.refunds.list(
            {"payment_intent": order.stripe_payment_intent}
        )
        assert [r.amount for r in refunds.data] == [order.total_cents]
        assert db.session.scalar(select(Edition.on_hand).where(Edition.id == paperback)) == 5
        returns = db.session.scalars(
            select(StockMovement.delta).where(StockMovement.reason == "return")
        ).all()
        assert returns == [2]


def test_refund_of_chosen_copies_is_partial(shop, staff, paid_order, stripe_sandbox):
    order, paperback = paid_order
    line = next(line for line in order.lines if line.edition_id == paperback)
    data = {"refund-scope": "lines", f"copies-{line.id}": "1"}
    staff.post(f"/staff/orders/{order.reference}/refund", data=data)
    after = _order(shop, order.reference)
    assert after.state is OrderState.PARTIALLY_REFUNDED
    assert after.refunded_cents == 1600
    with shop.app_context():
        assert db.session.scalar(select(Refund.lines)) == {str(line.id): 1}
        # Not restocked: the copy is not back on the shelf.
        assert db.session.scalar(select(Edition.on_hand).where(Edition.id == paperback)) == 3
    too_many = staff.post(
        f"/staff/orders/{order.reference}/refund",
        data={"refund-scope": "lines", f"copies-{line.id}": "2"},
        follow_redirects=True,
    )
    assert b"at most 1 more copy" in too_many.data
    assert _order(shop, order.reference).refunded_cents == 1600


@pytest.mark.parametrize("copies", ["-1", "1.5", "abc", "0"])
def test_bad_refund_quantities_refund_nothing(shop, staff, paid_order, copies):
    order, paperback = paid_order
    line = next(line for line in order.lines if line.edition_id == paperback)
    response = staff.post(
        f"/staff/orders/{order.reference}/refund",
        data={"refund-scope": "lines", f"copies-{line.id}": copies},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert _order(shop, order.reference).refunded_cents == 0


def test_pending_orders_cannot_be_refunded(shop, staff):
    with shop.app_context():
        book = make_book(on_hand=3)
        edition_id = book.editions[0].id
        db.session.commit()
    buyer = Buyer(shop)
    checkout = buyer.checkout(edition_id)
    response = staff.post(
        f"/staff/orders/{checkout.reference}/refund",
        data={"refund-scope": "order"},
        follow_redirects=True,
    )
    assert b"cannot be refunded" in response.data


def test_a_held_order_can_be_accepted(shop, staff, paid_order):
    order, _ = paid_order
    with shop.app_context():
        stored = db.session.get(Order, order.id)
        # Simulate a hold for review (e.g. an amount mismatch) on a paid order's twin.
        move_order(stored, OrderState.PAID, OrderState.SHIPPED, actor="test")
        db.session.commit()
    response = staff.post(
        f"/staff/orders/{order.reference}/review",
        data={"review-decision": "accept", "review-note": "checked with the bank"},
        follow_redirects=True,
    )
    assert b"Only orders held for review" in response.data
