"""The checkout page with a promotion code, through the shop's pages and the Stripe stand-in:
the summary beside the form, applying and removing a code, paying the signed quote."""

import re

from sqlalchemy import select

from bookstore.checkout.models import Order
from bookstore.checkout.refunds import refund_amount
from bookstore.checkout.states import OrderState
from bookstore.dbtypes import utcnow
from bookstore.extensions import db
from bookstore.promotions.models import CodeKind, PromoCode, PromoCodeUse, UseState
from tests.checkout.helpers import ADDRESS_FORM
from tests.checkout.shoppers import order_state
from tests.factories import make_book
from tests.promotions.builders import make_code


def setup_shop(app, **code):
    with app.app_context():
        make_code("SAVE10", now=utcnow(), **code)
        edition = make_book("Murder at the Dacha", price_cents=1000, on_hand=10).editions[0]
        db.session.commit()
        return edition.id


def token(page: str) -> str:
    match = re.search(r'name="quote" type="hidden" value="([^"]+)"', page)
    assert match, page[:3000]
    return match.group(1)


def apply(buyer, code, **fields):
    data = {"email": "buyer@example.com", **ADDRESS_FORM, "code": code, "action": "code"}
    return buyer.client.post("/checkout", data={**data, **fields})


def pay(buyer, page, **fields):
    data = {"email": "buyer@example.com", **ADDRESS_FORM, "quote": token(page), "action": "pay"}
    return buyer.client.post("/checkout", data={**data, **fields})


def test_the_summary_sits_beside_the_form_with_every_amount_and_a_code_field(shop, buyer):
    buyer.add(setup_shop(shop), 2)
    page = buyer.client.get("/checkout").text
    assert 'class="co-summary-box"' in page
    assert "Murder at the Dacha" in page
    assert 'name="code"' in page
    assert "Pay $25.00 securely with Stripe" in page  # 2 × $10.00 + $5.00 shipping


def test_a_valid_code_is_applied_in_any_case_and_what_was_typed_is_kept(shop, buyer):
    buyer.add(setup_shop(shop), 2)
    page = apply(buyer, "  save10 ", ship_name="Kept Name").text
    assert "Code SAVE10 applied." in page
    assert re.search(r"Code <span class=\"co-code\">SAVE10</span></dt><dd>&minus;\$2\.00", page)
    assert "Pay $23.00 securely with Stripe" in page
    assert 'value="Kept Name"' in page
    removed = buyer.client.post(
        "/checkout", data={**ADDRESS_FORM, "email": "b@example.com", "action": "remove_code"}
    ).text
    assert "Code removed." in removed
    assert "Pay $25.00" in removed


def test_an_unknown_code_is_refused_in_words_and_not_kept(shop, buyer):
    buyer.add(setup_shop(shop), 1)
    page = apply(buyer, "NOPE1").text
    assert "We do not know the code “NOPE1”: check its spelling." in page
    assert 'aria-invalid="true"' in page
    assert "Pay $15.00" in buyer.client.get("/checkout").text


def test_paying_with_a_code_charges_the_discounted_total_and_the_order_shows_it(
    shop, buyer, stripe_sandbox, outbox
):
    buyer.add(setup_shop(shop), 3)
    page = apply(buyer, "SAVE10").text
    answer = pay(buyer, page)
    assert answer.status_code == 303, answer.text[:2000]
    with shop.app_context():
        use = db.session.scalars(select(PromoCodeUse)).one()
        assert use.state is UseState.RESERVED
        order_id = use.order_id
    client = stripe_sandbox.client()
    session_id = answer.headers["Location"].rsplit("/", 1)[-1]
    session = client.v1.checkout.sessions.retrieve(session_id)
    # 3 × $10.00 = $30.00, 10 % off -> $27.00, then shipping.
    with shop.app_context():
        order = db.session.get(Order, order_id)
        assert session.amount_total == order.total_cents == 3000 - 300 + order.shipping_cents
        reference = order.reference
    items = client.v1.checkout.sessions.line_items.list(session_id).data
    assert items[0].description == "Murder at the Dacha (Paperback) – code SAVE10"
    assert items[0].amount_total == 2700
    paid = stripe_sandbox.pay(session_id)
    buyer.follow(paid.headers["location"])
    # The webhook arrives on the stand-in's own thread: whichever of it and the success page
    # marks the order paid sends the confirmation, after its commit.
    stripe_sandbox.wait_for_webhooks()
    assert order_state(shop, reference).state is OrderState.PAID
    with shop.app_context():
        assert db.session.scalars(select(PromoCodeUse.state)).one() is UseState.REDEEMED
    [mail] = outbox.to("buyer@example.com")
    assert "Code SAVE10: -$3.00" in mail.get_body(("plain",)).get_content()
    order_page = buyer.client.get(f"/account/orders/{reference}").text
    assert "SAVE10" in order_page


def test_a_code_used_up_between_page_and_pay_stops_the_payment_with_the_reason(shop, buyer):
    buyer.add(setup_shop(shop, total_uses=1), 1)
    page = apply(buyer, "SAVE10").text
    with shop.app_context():
        db.session.execute(PromoCode.__table__.update().values(remaining_uses=0))
        db.session.commit()
    answer = pay(buyer, page)
    assert answer.status_code == 409
    assert "Sorry, the code “SAVE10” has been used up. Remove the code to pay without it." in (
        answer.text
    )
    with shop.app_context():
        assert db.session.scalars(select(PromoCodeUse)).all() == []


def test_a_changed_shipping_method_shows_the_new_total_before_any_charge(shop, buyer):
    buyer.add(setup_shop(shop), 1)
    page = buyer.client.get("/checkout").text
    answer = pay(buyer, page, shipping_method="express")
    assert answer.status_code == 409
    assert "Your order changed since you reviewed it" in answer.text
    assert "Pay $25.00" in answer.text  # $10.00 + $15.00 express


def test_leaving_stripe_gives_the_use_back_and_the_code_stays_for_the_next_try(
    shop, buyer, stripe_sandbox
):
    buyer.add(setup_shop(shop, total_uses=1), 1)
    answer = pay(buyer, apply(buyer, "SAVE10").text)
    assert answer.status_code == 303
    with shop.app_context():
        reference = db.session.scalars(select(PromoCodeUse)).one().order.reference
    buyer.client.get(f"/checkout/cancel/{reference}")
    with shop.app_context():
        assert db.session.scalars(select(PromoCodeUse.state)).one() is UseState.RELEASED
        assert db.session.scalars(select(PromoCode.remaining_uses)).one() == 1
    assert 'Code <span class="co-code">SAVE10</span>' in buyer.client.get("/checkout").text


def test_refunding_copies_of_a_discounted_order_gives_back_what_was_paid_for_them(
    shop, buyer, stripe_sandbox
):
    buyer.add(setup_shop(shop, kind=CodeKind.AMOUNT_OFF, value=100), 3)
    answer = pay(buyer, apply(buyer, "SAVE10").text)
    session_id = answer.headers["Location"].rsplit("/", 1)[-1]
    buyer.follow(stripe_sandbox.pay(session_id).headers["location"])
    with shop.app_context():
        order = db.session.scalars(select(PromoCodeUse)).one().order
        line = order.lines[0].id
        # $29.00 paid for three copies: 966 + 967 + 967 cents, never more than was paid.
        assert [refund_amount(order, {line: n}) for n in (1, 2, 3)] == [966, 1933, 2900]
