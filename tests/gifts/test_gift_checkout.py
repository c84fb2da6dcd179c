"""'This is a gift' at checkout: the message on the order page, packing slip and emails, gift
wrap as a priced line sent to Stripe, the gift receipt without prices, and staff settings."""

from sqlalchemy import select

from bookstore.accounts.models import Role
from bookstore.checkout.models import Order
from bookstore.checkout.states import OrderState
from bookstore.extensions import db
from bookstore.gifts.models import GiftSettings, OrderGift
from bookstore.staff.models import AuditEntry
from tests.checkout.shoppers import order_state
from tests.factories import make_book, make_user
from tests.fixtures.mail import html_body, text_body
from tests.gifts.helpers import GIFT_FORM, gift_checkout
from tests.staff.helpers import log_in as staff_log_in

MESSAGE = "Happy birthday, Misha!"


def _book(app, price_cents=1600):
    with app.app_context():
        edition_id = make_book("Murder at the Dacha", price_cents=price_cents).editions[0].id
        db.session.commit()
    return edition_id


def _staff_client(app):
    with app.app_context():
        staff = make_user("staff@example.com", role=Role.STAFF)
        db.session.commit()
        client = app.test_client()
        staff_log_in(client, staff)
    return client


def test_the_checkout_offers_gift_options_with_the_wrap_price(shop, buyer):
    buyer.add(_book(shop))
    page = buyer.client.get("/checkout").text
    assert "This is a gift" in page
    assert "Gift wrap (+$5.00)" in page
    assert 'name="gift-message"' in page


def test_gift_message_is_on_the_order_page_packing_slip_and_email(
    shop, buyer, stripe_sandbox, outbox
):
    reference, session_id = gift_checkout(buyer, stripe_sandbox, _book(shop))
    order = order_state(shop, reference)
    assert order.state is OrderState.PAID
    # The wrap is a priced line the server computed, sent to Stripe; the total includes it.
    items = stripe_sandbox.client().v1.checkout.sessions.line_items.list(session_id).data
    assert [(i.description, i.amount_total) for i in items] == [
        ("Murder at the Dacha (Paperback)", 1600),
        ("Gift wrap", 500),
        ("Shipping (standard)", 500),
    ]
    assert order.total_cents == 2600
    assert (order.ship_name, order.ship_line1) == ("Misha Ivanov", "12 Elm Street")

    page = buyer.client.get(f"/account/orders/{reference}").text
    assert MESSAGE in page
    assert "Aunt Olga" in page
    assert "Gift wrap" in page
    assert "Gift receipt" in page

    [mail] = outbox.to("buyer@example.com")
    assert MESSAGE in text_body(mail)
    assert MESSAGE in html_body(mail)
    assert "Gift wrap: $5.00" in text_body(mail)

    slip = _staff_client(shop).get(f"/staff/orders/{reference}/packing-slip")
    assert slip.status_code == 200
    assert MESSAGE in slip.text
    assert "Aunt Olga" in slip.text
    assert "Gift wrap" in slip.text
    assert "$16.00" not in slip.text  # a gift's packing slip shows no prices
    assert "Misha Ivanov" in slip.text


def test_the_gift_receipt_shows_no_prices_and_reaches_the_recipient_when_shipped(
    shop, buyer, stripe_sandbox, outbox
):
    reference, _ = gift_checkout(buyer, stripe_sandbox, _book(shop))
    order_page = buyer.client.get(f"/account/orders/{reference}").text
    receipt_path = order_page.split('href="/gift-receipt/')[1].split('"')[0]
    receipt = shop.test_client().get(f"/gift-receipt/{receipt_path}")
    assert receipt.status_code == 200
    assert "Murder at the Dacha" in receipt.text
    assert MESSAGE in receipt.text
    assert "$" not in receipt.text.split("<main")[1]
    assert shop.test_client().get("/gift-receipt/forged").status_code == 404

    assert outbox.to("misha@example.com") == []  # a surprise until it ships
    staff = _staff_client(shop)
    shipped = staff.post(
        f"/staff/orders/{reference}/ship", data={"ship-carrier": "USPS", "ship-tracking": "9400"}
    )
    assert shipped.status_code == 303
    [mail] = outbox.to("misha@example.com")
    assert MESSAGE in text_body(mail)
    assert "/gift-receipt/" in text_body(mail)
    assert "$" not in text_body(mail)


def test_an_order_that_is_not_a_gift_keeps_prices_on_the_packing_slip(shop, buyer, stripe_sandbox):
    done = buyer.checkout(_book(shop))
    stripe_sandbox.pay(done.session_id)
    stripe_sandbox.wait_for_webhooks()
    slip = _staff_client(shop).get(f"/staff/orders/{done.reference}/packing-slip")
    assert "$16.00" in slip.text
    assert "A gift for you" not in slip.text
    with shop.app_context():
        assert db.session.scalar(select(OrderGift)) is None


def test_staff_set_the_wrap_price_and_the_checkout_charges_it(shop, buyer, stripe_sandbox):
    staff = _staff_client(shop)
    assert "Gift wrap" in staff.get("/staff/gifts").text
    refused = staff.post("/staff/gifts", data={"wrap_enabled": "y", "wrap_price": "3.333"})
    assert refused.status_code == 400
    assert "no more than two decimals" in refused.text
    saved = staff.post("/staff/gifts", data={"wrap_enabled": "y", "wrap_price": "3.25"})
    assert saved.status_code == 303
    with shop.app_context():
        assert db.session.get(GiftSettings, 1).wrap_cents == 325
        assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.action == "gifts.wrap"))
    reference, _ = gift_checkout(buyer, stripe_sandbox, _book(shop))
    assert order_state(shop, reference).total_cents == 1600 + 325 + 500


def test_wrap_switched_off_after_the_details_sends_the_shopper_back(shop, buyer):
    buyer.add(_book(shop))
    assert buyer.give_details(**GIFT_FORM).status_code == 303
    _staff_client(shop).post("/staff/gifts", data={"wrap_price": "5.00"})
    review = buyer.client.get("/checkout/review")
    assert review.status_code == 302
    follow = buyer.client.get("/checkout")
    assert "Gift wrap is not offered" in follow.text
    assert "Gift wrap (+" not in follow.text


def test_a_bad_gift_message_or_receipt_address_is_refused_with_a_message(shop, buyer):
    buyer.add(_book(shop))
    response = buyer.give_details(
        **{"gift-is_gift": "y", "gift-message": "x" * 301, "gift-receipt_email": "not-an-email"}
    )
    assert response.status_code == 400
    assert "At most 300 characters." in response.text
    assert "Enter a valid email address" in response.text


def test_options_left_under_an_unticked_gift_box_neither_stop_nor_join_the_order(
    shop, buyer, stripe_sandbox
):
    # Filled in, then "This is a gift" unticked: the page hides the options, so what is left
    # in them is not checked, and the order is no gift (no wrap charged, no gift row).
    left = {"gift-message": "x" * 301, "gift-receipt_email": "not-an-email", "gift-wrap": "y"}
    done = buyer.checkout(_book(shop), **left)
    stripe_sandbox.pay(done.session_id)
    stripe_sandbox.wait_for_webhooks()
    assert order_state(shop, done.reference).total_cents == 1600 + 500
    with shop.app_context():
        assert db.session.scalar(select(OrderGift)) is None


def test_a_whole_refund_gives_back_the_wrap_too(shop, buyer, stripe_sandbox):
    reference, _ = gift_checkout(buyer, stripe_sandbox, _book(shop))
    staff = _staff_client(shop)
    data = {"refund-scope": "order", "refund-reason": "Changed mind"}
    first = staff.post(f"/staff/orders/{reference}/refund", data=data)
    assert first.status_code == 200
    assert "$26.00" in first.text
    done = staff.post(f"/staff/orders/{reference}/refund", data={**data, "refund-confirmed": "yes"})
    assert done.status_code == 303
    with shop.app_context():
        order = db.session.scalar(select(Order).where(Order.reference == reference))
        assert (order.refunded_cents, order.state) == (2600, OrderState.REFUNDED)
