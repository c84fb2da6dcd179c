"""Staff find orders, ship them, refund them through the Stripe stand-in and resolve reviews."""

import csv
import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bookstore.accounts.models import User
from bookstore.catalog.models import Edition, StockMovement
from bookstore.checkout.models import Order, Refund
from bookstore.checkout.states import OrderState
from bookstore.extensions import db
from bookstore.staff.csv_format import neutralise_cell
from bookstore.staff.models import AuditEntry
from bookstore.staff.orders_admin import refund_order
from tests.checkout.shoppers import Buyer, order_state
from tests.factories import make_book
from tests.staff.helpers import make_order


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
    # By reference: the whole one, or the short code the pages show, whatever its case.
    link = b">" + short + b"</a>"
    assert link in staff.get(f"/staff/orders?customer={order.reference}").data
    assert link in staff.get(f"/staff/orders?customer={short.decode()}").data
    assert link in staff.get(f"/staff/orders?customer={short.decode().lower()}").data
    assert link not in staff.get(f"/staff/orders?customer={order.reference}x").data
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
    # The first submission only shows what will be refunded.
    asked = staff.post(f"/staff/orders/{order.reference}/refund", data=data)
    assert asked.status_code == 200
    assert f"Refund ${order.total_cents / 100:.2f} to {order.email}?" in asked.text
    assert _order(shop, order.reference).refunded_cents == 0
    data["refund-confirmed"] = "yes"
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
    data = {"refund-scope": "lines", f"copies-{line.id}": "1", "refund-confirmed": "yes"}
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
        data={"refund-scope": "lines", f"copies-{line.id}": "2", "refund-confirmed": "yes"},
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


def test_only_orders_held_for_review_can_be_resolved(shop, staff, paid_order):
    order, paperback = paid_order
    response = staff.post(
        f"/staff/orders/{order.reference}/review",
        data={"review-decision": "cancel", "review-note": "looks wrong"},
        follow_redirects=True,
    )
    assert b"Only orders held for review" in response.data
    assert _order(shop, order.reference).state is OrderState.PAID
    with shop.app_context():
        assert db.session.scalar(select(Edition.on_hand).where(Edition.id == paperback)) == 3
        assert (
            db.session.scalar(select(AuditEntry).where(AuditEntry.action == "order.review")) is None
        )


@pytest.fixture
def held_order(shop, stripe_sandbox):
    """A guest's order of 2 paperbacks at $16 (+ $5 shipping), held for review because
    Stripe charged $37.00 but the order says $37.01. Returns (order, paperback id)."""
    with shop.app_context():
        book = make_book("The Little Golden Calf", on_hand=5)
        paperback = book.editions[0].id
        db.session.commit()
    checkout = Buyer(shop).checkout(paperback, 2)
    with shop.app_context():
        stored = db.session.scalar(select(Order).where(Order.reference == checkout.reference))
        stored.total_cents += 1  # as if the order and the session disagreed
        stored.subtotal_cents += 1
        db.session.commit()
    stripe_sandbox.pay(checkout.session_id)
    stripe_sandbox.wait_for_webhooks()
    order = order_state(shop, checkout.reference)
    assert order.state is OrderState.NEEDS_REVIEW
    assert (order.total_cents, order.paid_at) == (3701, None)
    assert _stock(shop, paperback) == (5, 2)
    return order, paperback


def _stock(app, edition_id) -> tuple[int, int]:
    """(on hand, reserved) of an edition."""
    with app.app_context():
        edition = db.session.get(Edition, edition_id)
        return edition.on_hand, edition.reserved


def _review_entry(app) -> AuditEntry:
    with app.app_context():
        entry = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "order.review")
        ).one()
        _ = entry.actor
        db.session.expunge_all()
        return entry


def _sales(app, edition_id) -> list[int]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(StockMovement.delta).where(
                    StockMovement.edition_id == edition_id, StockMovement.reason == "sale"
                )
            )
        )


def _stripe_refunds(stripe_sandbox, order) -> list[int]:
    refunds = stripe_sandbox.client().v1.refunds.list(
        {"payment_intent": order.stripe_payment_intent}
    )
    return [refund.amount for refund in refunds.data]


def test_a_held_order_shows_why_and_offers_the_review_form(staff, held_order):
    order, _ = held_order
    page = staff.get(f"/staff/orders/{order.reference}").get_data(as_text=True)
    assert "Held for review: Stripe charged 3700 USD but the order is 3701 USD." in page
    assert "Resolve the review" in page
    assert "Refund through Stripe" not in page


def test_accepting_a_held_order_makes_it_paid_and_sells_the_held_copies(
    shop, staff, held_order, stripe_sandbox, outbox
):
    order, paperback = held_order
    assert outbox.to("buyer@example.com") == [], "a held order sends no confirmation"
    response = staff.post(
        f"/staff/orders/{order.reference}/review",
        data={"review-decision": "accept", "review-note": "checked with the bank"},
        follow_redirects=True,
    )
    assert b"Order accepted as paid." in response.data
    stripe_sandbox.wait_for_webhooks()
    after = _order(shop, order.reference)
    assert after.state is OrderState.PAID
    assert after.paid_at is not None
    assert after.events[-1].note == "checked with the bank"
    # The two held copies are sold: off the shelf and out of the reservation, in the ledger.
    assert _stock(shop, paperback) == (3, 0)
    assert _sales(shop, paperback) == [-2]
    assert _stripe_refunds(stripe_sandbox, order) == []
    entry = _review_entry(shop)
    assert entry.entity_id == str(order.id)
    assert entry.actor.email == "packer@example.com"
    assert entry.before == {"state": "needs_review"}
    assert entry.after == {"state": "paid", "note": "checked with the bank"}
    # What a payment normally brings: the confirmation, once.
    [mail] = outbox.to("buyer@example.com")
    assert "The Little Golden Calf" in mail.get_body(("plain",)).get_content()


def test_cancelling_a_held_order_refunds_the_charge_and_frees_the_copies(
    shop, staff, held_order, stripe_sandbox
):
    order, paperback = held_order
    response = staff.post(
        f"/staff/orders/{order.reference}/review",
        data={"review-decision": "cancel", "review-note": "amount does not match"},
        follow_redirects=True,
    )
    assert b"Order cancelled and refunded." in response.data
    # Stripe's charge.refunded webhook arrives after the cancel and must change nothing.
    stripe_sandbox.wait_for_webhooks()
    after = _order(shop, order.reference)
    assert after.state is OrderState.CANCELLED
    assert after.paid_at is None
    # What Stripe charged ($37.00) goes back, once.
    assert _stripe_refunds(stripe_sandbox, order) == [3700]
    assert after.refunded_cents == 3700
    # The copies go back on sale, none is sold.
    assert _stock(shop, paperback) == (5, 0)
    assert _sales(shop, paperback) == []
    with shop.app_context():
        refund = db.session.scalars(select(Refund)).one()
        assert (refund.order_id, refund.amount_cents) == (order.id, 3700)
    entry = _review_entry(shop)
    assert entry.before == {"state": "needs_review"}
    assert entry.after == {
        "state": "cancelled",
        "note": "amount does not match",
        "refunded_cents": 3700,
    }

    page = staff.get(f"/staff/orders/{order.reference}").get_data(as_text=True)
    assert "<dt>Refunded</dt><dd>$37.00</dd>" in page
    assert refund.stripe_refund_id in page
    [row] = _csv_rows(staff, f"?customer={order.reference}")
    assert (row["state"], row["total"], row["refunded"]) == ("cancelled", "37.01", "37.00")


def test_a_review_decision_needs_a_note(shop, staff, held_order):
    order, paperback = held_order
    response = staff.post(
        f"/staff/orders/{order.reference}/review",
        data={"review-decision": "accept", "review-note": ""},
    )
    assert response.status_code == 400
    assert b"This field is required" in response.data
    assert _order(shop, order.reference).state is OrderState.NEEDS_REVIEW
    assert _stock(shop, paperback) == (5, 2)


def test_a_refund_reaches_stripe_with_an_idempotency_key(shop, staff, paid_order, stripe_sandbox):
    order, _ = paid_order
    staff.post(
        f"/staff/orders/{order.reference}/refund",
        data={"refund-scope": "order", "refund-confirmed": "yes"},
    )
    stripe_sandbox.wait_for_webhooks()
    [event] = stripe_sandbox.events("charge.refunded")
    key = f"refund-{order.reference}-0-{order.total_cents}"
    assert event["request"]["idempotency_key"] == key


def test_a_refund_retried_after_a_lost_commit_pays_out_once(
    shop, staff, paid_order, stripe_sandbox
):
    order, _ = paid_order
    # Keep Stripe's webhook from recording the refund meanwhile: only the retry may do it.
    stripe_sandbox.webhook_url = None
    with shop.app_context():
        packer = db.session.scalar(select(User).where(User.email == "packer@example.com"))
        stored = db.session.get(Order, order.id)
        first = refund_order(stored, copies=None, restock=False, reason="", actor=packer)
        first_id = first.stripe_refund_id
        # Stripe refunded, then the database lost the transaction: refunded_cents is still 0.
        db.session.rollback()
        stored = db.session.get(Order, order.id)
        assert stored.refunded_cents == 0
        second = refund_order(stored, copies=None, restock=False, reason="", actor=packer)
        db.session.commit()
        assert second.stripe_refund_id == first_id
        assert db.session.scalars(select(Refund.stripe_refund_id)).all() == [first_id]
    assert _stripe_refunds(stripe_sandbox, order) == [order.total_cents]
    after = _order(shop, order.reference)
    assert (after.state, after.refunded_cents) == (OrderState.REFUNDED, order.total_cents)


def _csv_rows(client, query: str = "") -> list[dict[str, str]]:
    response = client.get(f"/staff/export/orders.csv{query}")
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_a_customer_email_that_looks_like_a_formula_is_neutralised_in_the_csv(
    shop, staff, stripe_sandbox
):
    with shop.app_context():
        book = make_book(on_hand=3)
        edition_id = book.editions[0].id
        db.session.commit()
    checkout = Buyer(shop).checkout(edition_id, email="=1+1@example.com")
    stripe_sandbox.pay(checkout.session_id)
    stripe_sandbox.wait_for_webhooks()
    assert _order(shop, checkout.reference).state is OrderState.PAID
    [row] = _csv_rows(staff)
    assert row["reference"] == neutralise_cell(checkout.reference)
    assert row["email"] == "'=1+1@example.com"


def test_orders_list_and_csv_filter_by_the_shops_day_placed(app, staff_client):
    with app.app_context():
        # 11:30 pm on June 30 and 12:10 am on July 1 in New York (EDT, UTC-4).
        june = make_order(1600, created_at=datetime(2024, 7, 1, 3, 30, tzinfo=UTC)).reference
        july = make_order(2100, created_at=datetime(2024, 7, 1, 4, 10, tzinfo=UTC)).reference
        db.session.commit()

    def listed(query: str) -> list[str]:
        page = staff_client.get(f"/staff/orders{query}").get_data(as_text=True)
        return [ref for ref in (june, july) if f">{ref[:8].upper()}</a>" in page]

    assert listed("") == [june, july]
    assert listed("?since=2024-07-01") == [july]
    assert listed("?until=2024-06-30") == [june]
    assert listed("?since=2024-06-30&until=2024-06-30") == [june]
    assert listed("?since=2024-07-02") == []
    [row] = _csv_rows(staff_client, "?since=2024-07-01")
    assert row["reference"] == neutralise_cell(july)


def test_after_a_whole_refund_the_lines_show_the_copies_and_dollars_and_the_buyer_is_told(
    shop, staff, paid_order, stripe_sandbox, outbox
):
    order, _ = paid_order
    outbox.clear()
    staff.post(
        f"/staff/orders/{order.reference}/refund",
        data={"refund-scope": "order", "refund-confirmed": "yes"},
    )
    stripe_sandbox.wait_for_webhooks()
    page = staff.get(f"/staff/orders/{order.reference}").text
    # 2 paperbacks at $16.00 and the $10.00 ebook, all refunded.
    assert "2 ($32.00)" in page
    assert "1 ($10.00)" in page
    # Recorded by this request or by Stripe's webhook, whichever came first: in dollars.
    assert f"Refunded ${order.total_cents / 100:.2f}" in page.split("History")[1]
    assert "USD" not in page.split("History")[1]
    [message] = outbox.to("buyer@example.com")
    assert message["Subject"] == f"Refund for your order {order.short_reference}"
    assert f"${order.total_cents / 100:.2f}" in message.get_body(("plain",)).get_content()


def test_staff_can_send_the_confirmation_again(shop, staff, paid_order, outbox):
    order, _ = paid_order
    outbox.clear()
    response = staff.post(f"/staff/orders/{order.reference}/resend-confirmation")
    assert response.status_code == 303
    [message] = outbox.to("buyer@example.com")
    assert message["Subject"] == f"Order confirmed: {order.short_reference}"
    assert "/downloads/" in message.get_body(("plain",)).get_content()
    with shop.app_context():
        actions = db.session.scalars(select(AuditEntry.action)).all()
    assert "order.resend_confirmation" in actions


def test_once_shipped_the_buyer_sees_the_carrier_and_a_tracking_link(
    shop, staff, paid_order, outbox
):
    from bookstore.checkout.downloads import order_link_token

    order, _ = paid_order
    outbox.clear()
    staff.post(
        f"/staff/orders/{order.reference}/ship",
        data={"ship-carrier": "USPS", "ship-tracking": "9400 1000 0000 0000 0000 00"},
    )
    with shop.app_context():
        token = order_link_token(db.session.get(Order, order.id))
    page = shop.test_client().get(f"/orders/{token}").text
    assert "Shipped" in page
    assert "with USPS" in page
    assert 'href="https://tools.usps.com/go/TrackConfirmAction?tLabels=9400%201000' in page
    [message] = outbox.to("buyer@example.com")
    assert "tools.usps.com" in message.get_body(("plain",)).get_content()
