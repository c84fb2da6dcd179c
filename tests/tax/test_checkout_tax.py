"""Sales tax at checkout: quoted for the address, kept on the order and its lines, charged
through Stripe as a line of its own, shown on every receipt, and given back with refunds."""

import csv
import html
import io
import re

import pytest
from flask import current_app
from sqlalchemy import select

from bookstore.accounts.models import Role
from bookstore.catalog.models import Edition
from bookstore.checkout import gateway, services
from bookstore.checkout.models import Order
from bookstore.checkout.refunds import refund_order
from bookstore.checkout.states import OrderState
from bookstore.extensions import db
from bookstore.tax.models import TaxRefund
from bookstore.tax.services import Place, RateSpec, set_rate, tax_on
from tests.checkout.helpers import ADDRESS, ADDRESS_FORM, make_cart, place
from tests.checkout.shoppers import order_state
from tests.factories import make_book, make_user
from tests.promotions.builders import NOW, make_code, place_with_code
from tests.staff.helpers import log_in

VERMONT = RateSpec("US", "VT", "Vermont sales tax", 6000)


def _vermont(**changes):
    spec = RateSpec(**{**VERMONT.__dict__, **changes})
    set_rate(spec, actor_id=None)


def test_an_order_shipped_to_a_taxed_state_pays_its_rate_on_books_and_shipping(app_ctx):
    _vermont()
    edition = make_book(price_cents=1999, on_hand=5).editions[0]
    order = place(make_cart((edition, 1)))  # to Montpelier, VT; standard shipping $5
    [line] = order.lines
    assert line.tax_cents == 120  # 6% of $19.99
    assert order.tax_cents == 120 + 30
    assert order.tax_label == "Vermont sales tax (6%)"
    assert order.total_cents == 1999 + 500 + 150


def test_a_rate_that_leaves_shipping_untaxed_taxes_the_books_only(app_ctx):
    _vermont(taxes_shipping=False)
    edition = make_book(price_cents=1999, on_hand=5).editions[0]
    order = place(make_cart((edition, 1)))
    assert (order.tax_cents, order.total_cents) == (120, 1999 + 500 + 120)


def test_ebooks_go_with_the_parcel_unless_the_rate_leaves_them_out(app_ctx):
    book = make_book(formats=("paperback", "ebook"), on_hand=5)
    paperback, ebook = book.editions
    _vermont(taxes_ebooks=False, taxes_shipping=False)
    order = place(make_cart((paperback, 1), (ebook, 1)))
    taxes = {line.format.value: line.tax_cents for line in order.lines}
    assert taxes == {"paperback": 96, "ebook": 0}
    _vermont(taxes_ebooks=True, taxes_shipping=False)
    order = place(make_cart((paperback, 1), (ebook, 1)))
    taxes = {line.format.value: line.tax_cents for line in order.lines}
    assert taxes == {"paperback": 96, "ebook": round(ebook.price_cents * 0.06)}


def test_an_order_with_no_parcel_has_no_address_and_no_tax(app_ctx):
    _vermont()
    ebook = make_book(formats=("ebook",)).editions[0]
    order = place(make_cart((ebook, 1)))
    assert order.shipping_method == "none"
    assert (order.tax_cents, order.tax_label, order.lines[0].tax_cents) == (0, "", 0)


def test_an_address_where_the_shop_charges_no_tax_pays_none(app_ctx):
    _vermont()
    edition = make_book(price_cents=1999, on_hand=5).editions[0]
    order = services.place_order(
        make_cart((edition, 1)),
        user=None,
        email="anna@example.com",
        shipping_method="standard",
        address=services.ShippingAddress(**{**ADDRESS.__dict__, "region": "NY"}),
        now=NOW,
        config=current_app.config,
    )
    assert (order.tax_cents, order.total_cents) == (0, 1999 + 500)


def test_tax_is_on_what_the_books_cost_after_a_code(app_ctx):
    _vermont(taxes_shipping=False)
    make_code("SAVE10")
    edition = make_book(price_cents=2000, on_hand=5).editions[0]
    order = place_with_code(make_cart((edition, 2)), "SAVE10")
    assert order.promo_discount_cents == 400
    assert order.lines[0].tax_cents == 216  # 6% of $36.00
    assert order.total_cents == 4000 - 400 + order.shipping_cents + 216


def test_the_quote_changes_when_the_rate_does(app_ctx):
    edition = make_book(price_cents=1999, on_hand=5).editions[0]
    cart = make_cart((edition, 1))

    def quote():
        return services.quote_cart(
            cart,
            shipping_method="standard",
            now=NOW,
            config=current_app.config,
            ship_to=Place("US", "Vermont"),
        )

    before = quote()
    _vermont()
    after = quote()
    assert (before.tax_cents, after.tax_cents) == (0, 150)
    assert before.fingerprint != after.fingerprint


def _book(app, **fields):
    with app.app_context():
        book = make_book("Murder at the Dacha", **{"on_hand": 5, **fields})
        _vermont()
        db.session.commit()
        return book.editions[0].id


def test_stripe_is_asked_for_the_tax_as_a_line_of_its_own(shop, buyer, stripe_sandbox):
    edition = _book(shop, price_cents=1999)
    checkout = buyer.checkout(edition, 1)
    client = stripe_sandbox.client()
    items = client.v1.checkout.sessions.line_items.list(checkout.session_id).data
    assert [(i.description, i.quantity, i.amount_total) for i in items] == [
        ("Murder at the Dacha (Paperback)", 1, 1999),
        ("Shipping (standard)", 1, 500),
        ("Vermont sales tax (6%)", 1, 150),
    ]
    with shop.app_context():
        session = client.v1.checkout.sessions.retrieve(checkout.session_id)
    assert session.amount_total == order_state(shop, checkout.reference).total_cents == 2649


def test_receipts_show_the_tax(shop, buyer, stripe_sandbox, outbox):
    edition = _book(shop, price_cents=1999)
    buyer.add(edition)
    buyer.give_details()
    review = buyer.review().get_data(as_text=True)
    assert re.search(r"Vermont sales tax \(6%\)</dt><dd>\$1\.50", review)
    assert "$26.49" in review
    checkout = buyer.checkout()
    paid = stripe_sandbox.pay(checkout.session_id)
    stripe_sandbox.wait_for_webhooks()  # the email goes from whichever settles the order
    page = buyer.follow(paid.location).get_data(as_text=True)
    assert re.search(r"Vermont sales tax \(6%\)</dt><dd>\$1\.50", page)
    [mail] = outbox.to("buyer@example.com")
    assert "Vermont sales tax (6%): $1.50" in mail.get_body(("plain",)).get_content()
    assert "Vermont sales tax (6%)" in mail.get_body(("html",)).get_content()


def _summary_quote(page: str) -> str:
    return re.search(r'id="quote" name="quote" type="hidden" value="([^"]+)"', page).group(1)


def test_the_checkout_page_says_tax_may_follow_then_shows_it_before_anything_is_charged(
    shop, buyer, stripe_sandbox
):
    edition = _book(shop, price_cents=1999)
    buyer.add(edition)
    first = buyer.client.get("/checkout").get_data(as_text=True)
    assert "Added for your address, where due" in first
    assert "$24.99" in first  # no tax yet: the address is not known
    # Pay with the summary as shown: the Vermont address adds tax, so nothing is charged
    # and the page shows the new total.
    data = {"email": "buyer@example.com", **ADDRESS_FORM, "quote": _summary_quote(first)}
    changed = buyer.client.post("/checkout", data=data)
    assert changed.status_code == 409
    text = changed.get_data(as_text=True)
    alert = "Vermont sales tax (6%) for your address adds $1.50: the total is now $26.49."
    assert alert in html.unescape(text)
    assert re.search(r"Vermont sales tax \(6%\)</dt><dd>\$1\.50", text)
    with shop.app_context():
        assert db.session.query(Order).count() == 0
    paying = buyer.client.post("/checkout", data={**data, "quote": _summary_quote(text)})
    assert paying.status_code == 303
    assert stripe_sandbox.url.split("//")[1].split("/")[0] in paying.headers["Location"]


def test_a_shopper_whose_address_is_known_sees_the_tax_at_once(shop, buyer):
    edition = _book(shop, price_cents=1999)
    buyer.add(edition)
    buyer.give_details()
    page = buyer.client.get("/checkout").get_data(as_text=True)
    assert re.search(r"Vermont sales tax \(6%\)</dt><dd>\$1\.50", page)
    assert "Added for your address" not in page


def test_the_note_is_not_shown_where_the_shop_charges_no_tax(shop, buyer):
    with shop.app_context():
        edition = make_book(on_hand=5).editions[0].id
        db.session.commit()
    buyer.add(edition)
    assert "Added for your address" not in buyer.client.get("/checkout").get_data(as_text=True)


def test_a_refunded_copy_gives_back_its_tax(shop, buyer, stripe_sandbox):
    edition = _book(shop, price_cents=1999)
    checkout = buyer.checkout(edition, 2)  # $39.98 and $5 shipping
    paid = stripe_sandbox.pay(checkout.session_id)
    stripe_sandbox.wait_for_webhooks()
    buyer.follow(paid.location)
    with shop.app_context():
        packer = make_user("packer@example.com", role=Role.STAFF)
        db.session.commit()
        order = db.session.query(Order).filter_by(reference=checkout.reference).one()
        assert (order.tax_cents, order.total_cents) == (240 + 30, 3998 + 500 + 270)
        line = order.lines[0]
        first = refund_order(order, copies={line.id: 1}, restock=True, reason="", actor=packer)
        db.session.commit()
        assert first.amount_cents == 1999 + 120
        assert _tax_refunds(order) == [120]  # the copy's own tax
        rest = refund_order(order, copies=None, restock=False, reason="", actor=packer)
        db.session.commit()
        assert rest.amount_cents == 1999 + 120 + 500 + 30  # the rest: shipping too
        assert _tax_refunds(order) == [120, 150]  # all that was left
    assert order_state(shop, checkout.reference).state is OrderState.REFUNDED


def _tax_refunds(order) -> list[int]:
    rows = select(TaxRefund.cents).where(TaxRefund.order_id == order.id).order_by(TaxRefund.id)
    return list(db.session.scalars(rows))


@pytest.mark.parametrize("webhook_first", [False, True], ids=["staff-first", "webhook-first"])
def test_copies_refunded_one_by_one_give_back_the_line_tax_exactly(
    shop, buyer, stripe_sandbox, monkeypatch, webhook_first
):
    edition = _book(shop, price_cents=1999)
    checkout = buyer.checkout(edition, 3)  # $59.97 ships free; tax 360, 120 a copy
    stripe_sandbox.pay(checkout.session_id)
    stripe_sandbox.wait_for_webhooks()
    # Stripe tells of each refund by webhook, before or after the shop has written it down:
    # held here, and delivered in the order the test asks for.
    told: set[str] = set()

    def tell_of_refunds():
        stripe_sandbox.deliver_to_app(shop)
        for event in stripe_sandbox.events("charge.refunded"):
            if event["id"] not in told:
                told.add(event["id"])
                stripe_sandbox.replay(event["id"])
        stripe_sandbox.wait_for_webhooks()
        stripe_sandbox.webhook_url = None

    stripe_sandbox.webhook_url = None
    create_refund = gateway.create_refund

    def refund_then_tell(*args, **kwargs):
        refund = create_refund(*args, **kwargs)
        if webhook_first:
            tell_of_refunds()
        return refund

    monkeypatch.setattr(gateway, "create_refund", refund_then_tell)
    with shop.app_context():
        packer = make_user("packer@example.com", role=Role.STAFF)
        order = db.session.query(Order).filter_by(reference=checkout.reference).one()
        assert (order.tax_cents, order.total_cents) == (360, 5997 + 360)
        line = order.lines[0]
        line.tax_cents = 359  # a line whose tax does not share evenly over its copies
        order.tax_cents, order.total_cents = 359, 5997 + 359
        db.session.commit()
        for _ in range(3):
            refund_order(order, copies={line.id: 1}, restock=False, reason="", actor=packer)
            db.session.commit()
            tell_of_refunds()
        assert order.state is OrderState.REFUNDED
        assert order.refunded_cents == order.total_cents
        # Each copy's own share of the line's tax, whoever recorded the refund first (the
        # webhook alone would have given back each amount's share: 120, 120 and 119).
        assert _tax_refunds(order) == [119, 120, 120]


def test_a_refund_at_stripes_dashboard_gives_back_its_share_of_tax(shop, buyer, stripe_sandbox):
    edition = _book(shop, price_cents=1999)
    checkout = buyer.checkout(edition, 1)  # $19.99 + $5 shipping + $1.50 tax = $26.49
    stripe_sandbox.pay(checkout.session_id)
    stripe_sandbox.wait_for_webhooks()
    order = order_state(shop, checkout.reference)
    client = stripe_sandbox.client()
    client.v1.refunds.create({"payment_intent": order.stripe_payment_intent, "amount": 1000})
    stripe_sandbox.wait_for_webhooks()
    with shop.app_context():
        order = db.session.query(Order).filter_by(reference=checkout.reference).one()
        assert _tax_refunds(order) == [57]  # $10.00 of $26.49 carried 56.6 cents of tax
    client.v1.refunds.create({"payment_intent": order.stripe_payment_intent})
    stripe_sandbox.wait_for_webhooks()
    with shop.app_context():
        assert _tax_refunds(order) == [57, 93]
        staff = shop.test_client()
        log_in(staff, make_user("packer@example.com", role=Role.STAFF))
        db.session.commit()
    page = staff.get(f"/staff/orders/{checkout.reference}").get_data(as_text=True)
    assert "$26.49 (sales tax $1.50)" in page
    [row] = csv.DictReader(
        io.StringIO(staff.get("/staff/export/orders.csv").get_data(as_text=True))
    )
    assert (row["refunded"], row["tax_refunded"]) == ("26.49", "1.50")


@pytest.mark.parametrize("region", ["Vermont", "vt"])
def test_the_address_may_spell_the_state_out(shop, buyer, region):
    edition = _book(shop, price_cents=1999)
    buyer.add(edition)
    buyer.give_details(ship_region=region)
    assert "Vermont sales tax (6%)" in buyer.review().get_data(as_text=True)


def _ebook(app, **rate):
    with app.app_context():
        book = make_book("Murder at the Dacha", formats=("ebook",))
        _vermont(**rate)
        db.session.commit()
        return book.editions[0].id


def _price(app, edition_id):
    with app.app_context():
        return db.session.get(Edition, edition_id).price_cents


def test_an_ebook_buyer_says_where_they_live_and_pays_that_places_tax(shop, buyer):
    edition = _ebook(shop)
    buyer.add(edition)
    first = buyer.client.get("/checkout").get_data(as_text=True)
    assert "Where you live" in first
    assert "Added for where you live, where due" in first
    assert "Nothing in your order is posted" in first
    data = {
        "email": "reader@example.com",
        "ship_country": "US",
        "ship_region": "Vermont",
        "quote": _summary_quote(first),
    }
    changed = buyer.client.post("/checkout", data=data)
    assert changed.status_code == 409
    text = html.unescape(changed.get_data(as_text=True))
    price = _price(shop, edition)
    tax = tax_on(price, 6000)
    assert f"Vermont sales tax (6%) for where you live adds ${tax / 100:.2f}" in text
    paying = buyer.client.post("/checkout", data={**data, "quote": _summary_quote(text)})
    assert paying.status_code == 303
    with shop.app_context():
        order = db.session.scalars(db.select(Order)).one()
        assert (order.tax_cents, order.total_cents) == (tax, price + tax)
        assert (order.tax_country, order.tax_region, order.ship_line1) == ("US", "VT", "")


def test_the_review_page_says_where_an_ebook_buyer_lives(shop, buyer):
    edition = _ebook(shop)
    buyer.add(edition)
    details = {"ship_country": "US", "ship_region": "vt"}
    assert buyer.give_details(physical=False, **details).status_code == 303
    page = buyer.review().get_data(as_text=True)
    assert "Where you live" in page
    assert "vt, United States" in page
    assert "Vermont sales tax (6%)" in page


def test_an_ebook_buyer_in_the_us_must_name_their_state(shop, buyer):
    edition = _ebook(shop)
    buyer.add(edition)
    response = buyer.give_details(physical=False, ship_country="US", ship_region="")
    assert response.status_code == 400
    assert "Enter the state, province or region." in response.get_data(as_text=True)


def test_where_no_rate_taxes_ebooks_an_ebook_buyer_is_asked_nothing(shop, buyer):
    edition = _ebook(shop, taxes_ebooks=False)
    buyer.add(edition)
    page = buyer.client.get("/checkout").get_data(as_text=True)
    assert "Where you live" not in page
    assert "Added for" not in page
    assert buyer.give_details(physical=False).status_code == 303
    assert "sales tax" not in buyer.review().get_data(as_text=True)


def test_the_cart_says_tax_may_follow_only_where_the_shop_charges_any(shop, buyer):
    with shop.app_context():
        edition = make_book(on_hand=5).editions[0].id
        db.session.commit()
    buyer.add(edition)
    note = "Sales tax, where due, is added at checkout"
    assert note not in buyer.client.get("/cart").get_data(as_text=True)
    with shop.app_context():
        _vermont()
        db.session.commit()
    assert note in buyer.client.get("/cart").get_data(as_text=True)


def test_staff_see_that_a_refund_of_copies_carries_their_tax(shop, buyer, stripe_sandbox):
    edition = _book(shop, price_cents=1999)
    checkout = buyer.checkout(edition, 2)
    paid = stripe_sandbox.pay(checkout.session_id)
    stripe_sandbox.wait_for_webhooks()
    buyer.follow(paid.location)
    with shop.app_context():
        packer = make_user("packer@example.com", role=Role.STAFF)
        db.session.commit()
        order = db.session.query(Order).filter_by(reference=checkout.reference).one()
        line_id = order.lines[0].id
        staff = shop.test_client()
        log_in(staff, packer)
    page = staff.get(f"/staff/orders/{checkout.reference}").get_data(as_text=True)
    assert "when refunding chosen copies, with their sales tax" in page
    confirm = staff.post(
        f"/staff/orders/{checkout.reference}/refund",
        data={"refund-scope": "lines", f"copies-{line_id}": "1", "refund-reason": ""},
    ).get_data(as_text=True)
    assert "Refund $21.19 to buyer@example.com?" in confirm  # $19.99 and its $1.20 of tax
    assert "with their share of the Vermont sales tax (6%)" in confirm


def test_the_orders_export_has_the_tax_and_where_it_went(shop, buyer, stripe_sandbox):
    edition = _book(shop, price_cents=1999)
    checkout = buyer.checkout(edition, 1, ship_region="Vermont")
    paid = stripe_sandbox.pay(checkout.session_id)
    stripe_sandbox.wait_for_webhooks()
    buyer.follow(paid.location)
    with shop.app_context():
        staff = shop.test_client()
        log_in(staff, make_user("packer@example.com", role=Role.STAFF))
        db.session.commit()
        order = db.session.query(Order).filter_by(reference=checkout.reference).one()
        assert (order.tax_country, order.tax_region) == ("US", "VT")
    text = staff.get("/staff/export/orders.csv").get_data(as_text=True)
    [row] = csv.DictReader(io.StringIO(text))
    assert (row["tax"], row["total"], row["ship_region"]) == ("1.50", "26.49", "Vermont")
