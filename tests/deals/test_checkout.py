"""A claimed deal through cart, checkout and the Stripe stand-in: applied, redeemed, released."""

import pytest
from sqlalchemy import select

from bookstore.checkout.states import OrderState
from bookstore.dbtypes import utcnow
from bookstore.deals.models import ClaimState, DealClaim, DealKind, DealScope
from bookstore.deals.services import claim_deal
from bookstore.extensions import db
from tests.accounts.helpers import log_in
from tests.checkout.shoppers import order_state
from tests.deals.builders import make_deal, make_member
from tests.factories import make_book


@pytest.fixture
def member_buyer(shop, buyer):
    """A logged-in member holding a claim on '20% off paperbacks', and a $12.34 paperback."""
    with shop.app_context():
        now = utcnow()
        member = make_member("member@example.com", now=now)
        deal = make_deal(
            "Paperback fortnight",
            now=now,
            kind=DealKind.PERCENT_OFF,
            value=2000,
            scope=DealScope.FORMATS,
            formats=("paperback",),
            limit=5,
        )
        claim = claim_deal(deal, member, now)
        edition = make_book("Murder at the Dacha", price_cents=1234, on_hand=5).editions[0]
        db.session.commit()
        buyer.ids = {"claim": claim.id, "edition": edition.id}
    assert log_in(buyer.client, "member@example.com").status_code in (302, 303)
    return buyer


def claim_state(app, claim_id):
    with app.app_context():
        claim = db.session.get(DealClaim, claim_id)
        return claim.state, claim.order_id


def choose(buyer):
    return buyer.client.post(
        "/deals/cart/choose", data={"claim_id": buyer.ids["claim"]}, follow_redirects=True
    )


def test_chosen_deal_shows_before_after_and_the_saving_in_the_cart(member_buyer):
    member_buyer.add(member_buyer.ids["edition"], 3)
    page = choose(member_buyer).text
    assert "“Paperback fortnight” is applied to your cart." in page
    # 3 × $12.34 = $37.02; 20 % is $7.404, rounded up for the shopper to $7.41.
    assert "usually <s>$12.34</s>" in page
    assert "data-line-total>$29.61<" in page
    assert "&minus;$7.41" in page


def test_claimed_deal_is_paid_for_with_the_discount_and_then_redeemed(
    shop, member_buyer, stripe_sandbox
):
    member_buyer.add(member_buyer.ids["edition"], 3)
    choose(member_buyer)
    checkout = member_buyer.checkout(email="member@example.com")
    order = order_state(shop, checkout.reference)
    assert (order.subtotal_cents, order.discount_cents) == (3702, 741)
    assert order.total_cents == 3702 + order.shipping_cents - 741
    assert claim_state(shop, member_buyer.ids["claim"]) == (ClaimState.APPLIED, order.id)

    items = stripe_sandbox.client().v1.checkout.sessions.line_items.list(checkout.session_id)
    book_items = [
        (i.quantity, i.amount_total) for i in items.data if "member deal" in i.description
    ]
    assert sum(total for _, total in book_items) == 3702 - 741
    assert sum(q for q, _ in book_items) == 3

    paid = stripe_sandbox.pay(checkout.session_id)
    stripe_sandbox.wait_for_webhooks()
    page = member_buyer.follow(paid.location).text
    assert "$7.41" in page
    order = order_state(shop, checkout.reference)
    assert order.state is OrderState.PAID
    assert claim_state(shop, member_buyer.ids["claim"])[0] is ClaimState.REDEEMED


def test_an_expired_checkout_gives_the_claim_back(shop, member_buyer, stripe_sandbox):
    member_buyer.add(member_buyer.ids["edition"], 1)
    choose(member_buyer)
    checkout = member_buyer.checkout(email="member@example.com")
    stripe_sandbox.advance_clock(3 * 3600)
    stripe_sandbox.wait_for_webhooks()
    assert order_state(shop, checkout.reference).state is OrderState.EXPIRED
    assert claim_state(shop, member_buyer.ids["claim"]) == (ClaimState.RELEASED, None)
    # Released claims can be used again.
    assert "Applied" in member_buyer.client.get("/cart").text


def test_cancelling_the_checkout_gives_the_claim_back_for_the_next_order(
    shop, member_buyer, stripe_sandbox
):
    member_buyer.add(member_buyer.ids["edition"], 1)
    choose(member_buyer)
    first = member_buyer.checkout(email="member@example.com")
    first_order = order_state(shop, first.reference)
    assert claim_state(shop, member_buyer.ids["claim"]) == (ClaimState.APPLIED, first_order.id)

    # The shopper leaves Stripe's page: the cancel route cancels the pending order.
    response = member_buyer.client.get(f"/checkout/cancel/{first.reference}")
    assert response.status_code == 302
    assert order_state(shop, first.reference).state is OrderState.CANCELLED
    assert claim_state(shop, member_buyer.ids["claim"]) == (ClaimState.RELEASED, None)

    # Released, the same claim pays for the next order.
    assert "Applied" in member_buyer.client.get("/cart").text
    second = member_buyer.checkout(email="member@example.com")
    second_order = order_state(shop, second.reference)
    assert second_order.discount_cents == 247  # 20 % of $12.34, rounded up for the shopper
    assert claim_state(shop, member_buyer.ids["claim"]) == (ClaimState.APPLIED, second_order.id)
    stripe_sandbox.pay(second.session_id)
    stripe_sandbox.wait_for_webhooks()
    assert order_state(shop, second.reference).state is OrderState.PAID
    assert claim_state(shop, member_buyer.ids["claim"])[0] is ClaimState.REDEEMED


def test_a_claim_applied_to_one_order_cannot_pay_for_a_second(shop, member_buyer):
    member_buyer.add(member_buyer.ids["edition"], 1)
    choose(member_buyer)
    member_buyer.checkout(email="member@example.com")
    with shop.app_context():
        claim = db.session.get(DealClaim, member_buyer.ids["claim"])
        assert claim.state is ClaimState.APPLIED
        # The cart no longer offers it: it is tied to the order awaiting payment.
        usable = db.session.scalars(
            select(DealClaim).where(DealClaim.state.in_([ClaimState.CLAIMED]))
        ).all()
    assert usable == []
    assert "Use this deal" not in member_buyer.client.get("/cart").text


def test_the_charge_is_the_total_the_shopper_reviewed_even_across_two_tabs(
    shop, member_buyer, stripe_sandbox
):
    """Tab A pays with the deal (the claim is applied to its order); tab B, opened before,
    still shows the full price. Paying in tab B cancels A, which frees the claim and would
    make B cheaper than what B showed: the shopper sees the new amounts instead of a charge
    that differs from the page they confirmed."""
    member_buyer.add(member_buyer.ids["edition"], 3)
    choose(member_buyer)
    member_buyer.checkout(email="member@example.com")
    # Tab B: the claim belongs to tab A's order now, so B's review shows no discount.
    full_price = member_buyer.quote()
    review = member_buyer.review().text
    assert "$42.02" in review  # 3 × $12.34 + $5.00 shipping

    answer = member_buyer.client.post("/checkout/place", data={"quote": full_price})

    assert answer.status_code == 303
    assert answer.headers["Location"].endswith("/checkout/review")
    with stripe_sandbox.sandbox.lock:
        sessions = stripe_sandbox.sandbox.store.collection("sessions")
        assert sorted(s["amount_total"] for s in sessions.values()) == [3461]
    again = member_buyer.client.get("/checkout/review").text
    assert "Your order changed since you reviewed it" in again
    assert "$34.61" in again  # the deal applies again: the page the shopper now confirms
    paid = member_buyer.place()
    assert paid.status_code == 303
    with stripe_sandbox.sandbox.lock:
        sessions = stripe_sandbox.sandbox.store.collection("sessions")
        assert sorted(s["amount_total"] for s in sessions.values()) == [3461, 3461]
