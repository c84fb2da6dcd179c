"""Shipping abroad: a parcel to another country pays that country's rate (or everywhere
else's), per copy, with only the methods that go there; the shop's own country keeps its
settings, and asks the database nothing."""

import re

import pytest
from flask import current_app

from bookstore.catalog.models import Format
from bookstore.checkout import services
from bookstore.checkout.models import Order
from bookstore.errors import InvalidInput
from bookstore.extensions import db
from bookstore.shipping.customs import declaration
from bookstore.shipping.services import RateSpec, Tariff, set_rate, tariff_for
from tests.checkout.helpers import ADDRESS, make_cart, place
from tests.checkout.shoppers import order_state
from tests.factories import make_book
from tests.staff.helpers import make_order

CANADA = RateSpec("CA", standard_cents=1400, extra_copy_cents=300, express_cents=3500)
ELSEWHERE = RateSpec("", standard_cents=2200, extra_copy_cents=600, free_over_cents=20000)
TO_JAPAN = {
    "ship_city": "Kyoto",
    "ship_region": "",
    "ship_postal_code": "600-8216",
    "ship_country": "JP",
}
TO_CANADA = {"ship_city": "Ottawa", "ship_region": "ON", "ship_postal_code": "K1A 0B1"}


def _rates():
    for spec in (CANADA, ELSEWHERE):
        set_rate(spec, config=current_app.config, actor_id=None)


def test_a_tariff_prices_each_method_and_copy():
    tariff = Tariff(standard_cents=1400, extra_copy_cents=300, express_cents=3500)
    assert tariff.cost("standard", 2000, 1) == 1400
    assert tariff.cost("standard", 4000, 3) == 1400 + 2 * 300
    assert tariff.cost("express", 4000, 3) == 3500 + 2 * 300
    assert Tariff(standard_cents=2200).cost("express", 2000, 1) is None
    free = Tariff(standard_cents=2200, free_over_cents=20000)
    assert (free.cost("standard", 19999, 9), free.cost("standard", 20000, 9)) == (2200 + 8 * 0, 0)


def test_each_country_finds_its_terms(app_ctx):
    home = tariff_for("US", app_ctx.config)
    assert (home.standard_cents, home.express_cents, home.free_over_cents) == (500, 1500, 5000)
    assert tariff_for("JP", app_ctx.config) == home  # no rates abroad: the same terms
    _rates()
    assert tariff_for("ca", app_ctx.config).standard_cents == 1400
    japan = tariff_for("JP", app_ctx.config)
    assert (japan.standard_cents, japan.country, japan.methods()) == (2200, "JP", ("standard",))
    assert tariff_for("US", app_ctx.config) == home
    assert tariff_for(None, app_ctx.config) == home


def test_the_shops_own_country_is_set_by_its_settings(app_ctx):
    refused = {
        "US is the shop's own": RateSpec("US", standard_cents=700),
        "two-letter code": RateSpec("Canada", standard_cents=700),
        "Express shipping: give an amount": RateSpec("CA", standard_cents=700, express_cents=-1),
    }
    for message, spec in refused.items():
        with pytest.raises(InvalidInput, match=message):
            set_rate(spec, config=app_ctx.config, actor_id=None)


def test_an_order_to_canada_pays_canadas_rate_for_each_copy(app_ctx):
    _rates()
    edition = make_book(price_cents=1999, on_hand=5).editions[0]
    order = place(make_cart((edition, 3)))  # to Vermont: $59.97 ships free
    assert order.shipping_cents == 0
    abroad = services.place_order(
        make_cart((edition, 2)),
        user=None,
        email="anna@example.com",
        shipping_method="express",
        address=services.ShippingAddress(**{**ADDRESS.__dict__, "country": "CA", "region": "ON"}),
        now=order.created_at,
        config=app_ctx.config,
    )
    assert abroad.shipping_cents == 3500 + 300
    assert abroad.total_cents == 2 * 1999 + 3500 + 300


def _book(app, **fields):
    with app.app_context():
        book = make_book("Murder at the Dacha", **{"on_hand": 9, "price_cents": 1999, **fields})
        _rates()
        db.session.commit()
        return book.editions[0].id


def test_a_buyer_in_japan_pays_elsewheres_rate_through_stripe(shop, buyer, stripe_sandbox):
    edition = _book(shop)
    checkout = buyer.checkout(edition, 3, **TO_JAPAN)
    order = order_state(shop, checkout.reference)
    assert order.shipping_cents == 2200 + 2 * 600
    assert order.total_cents == 3 * 1999 + 3400
    session = stripe_sandbox.client().v1.checkout.sessions.retrieve(checkout.session_id)
    assert session.amount_total == order.total_cents
    with shop.app_context():
        assert db.session.get(Order, order.id).ship_country == "JP"


def test_checkout_offers_only_the_methods_that_go_there(shop, buyer):
    edition = _book(shop)
    buyer.add(edition, 2)
    home = buyer.client.get("/checkout").get_data(as_text=True)
    assert "Express, arrives by" in home  # no address yet: the shop's own terms
    buyer.give_details(**TO_JAPAN)
    page = buyer.client.get("/checkout").get_data(as_text=True)
    assert "Standard to Japan: $28.00" in page
    assert 'value="express"' not in page
    buyer.give_details(**TO_CANADA, ship_country="CA")
    page = buyer.client.get("/checkout").get_data(as_text=True)
    assert "Standard to Canada: $17.00" in page
    assert "Express to Canada: $38.00" in page
    review = buyer.review().get_data(as_text=True)
    assert "$17.00" in review


def test_express_to_a_country_it_does_not_reach_is_caught_before_paying(shop, buyer):
    edition = _book(shop)
    buyer.add(edition, 1)
    page = buyer.client.get("/checkout").get_data(as_text=True)
    token = re.search(r'name="quote" type="hidden" value="([^"]+)"', page).group(1)
    # Express was offered for the shop's own country; the address typed is in Japan.
    response = buyer.give_details(**TO_JAPAN, shipping_method="express", quote=token)
    assert response.status_code == 409
    text = response.get_data(as_text=True)
    assert (
        "Express shipping does not go to Japan: the order ships by standard shipping ($22.00), "
        "and the total is now $41.99." in text
    )
    assert re.search(r'value="standard"[^>]*checked|checked[^>]*value="standard"', text)
    with shop.app_context():
        assert db.session.query(Order).count() == 0  # nothing placed, nothing charged


def test_the_cart_says_its_shipping_is_for_home_when_abroad_costs_otherwise(shop, buyer):
    edition = _book(shop)
    buyer.add(edition, 1)
    cart = buyer.client.get("/cart").get_data(as_text=True)
    assert (
        "Shipping shown is for the United States (free from $50.00); checkout prices it for "
        "your address." in cart
    )


def test_the_review_page_says_express_does_not_go_there(shop, buyer, stripe_sandbox):
    edition = _book(shop)
    buyer.add(edition, 1)
    assert buyer.give_details(**TO_JAPAN, shipping_method="express").status_code == 303
    review = buyer.review().get_data(as_text=True)
    assert "Express shipping does not go to Japan: the order ships by standard." in review
    assert "$22.00" in review
    checkout = buyer.place()
    assert checkout.status_code == 303
    with shop.app_context():
        order = db.session.query(Order).one()
        assert (order.shipping_method, order.shipping_cents) == ("standard", 2200)


def test_days_given_for_a_country_promise_a_date_there(shop, buyer):
    edition = _book(shop)
    with shop.app_context():
        spec = RateSpec(**{**CANADA.__dict__, "standard_days": "7-12", "express_days": "3-5"})
        set_rate(spec, config=current_app.config, actor_id=None)
        db.session.commit()
    buyer.add(edition, 1)
    buyer.give_details(**TO_CANADA, ship_country="CA")
    page = buyer.client.get("/checkout").get_data(as_text=True)
    date = r"[A-Z][a-z]{2}, [A-Z][a-z]{2} \d{1,2}"
    assert re.search(
        rf"Standard to Canada, arrives by {date} \(7 to 12 business days\): \$14\.00", page
    )
    assert re.search(
        rf"Express to Canada, arrives by {date} \(3 to 5 business days\): \$35\.00", page
    )
    buyer.give_details(**TO_JAPAN)  # everywhere else: no days given, no date promised
    page = buyer.client.get("/checkout").get_data(as_text=True)
    assert "Standard to Japan: $22.00" in page


def test_a_declaration_is_for_parcels_abroad_and_says_when_they_are_gifts(app_ctx):
    order = make_order(3200, fmt=Format.PAPERBACK)
    order.lines[0].quantity, order.lines[0].unit_price_cents = 2, 1600
    order.lines[0].tax_cents = 192  # not part of the value customs counts
    order.ship_country = "US"
    assert declaration(order, gift=False, config=app_ctx.config) is None
    order.ship_country = "ca"
    gift = declaration(order, gift=True, config=app_ctx.config)
    assert gift is not None
    assert (gift.gift, gift.copies, gift.total_cents, gift.hs_code) == (True, 2, 3200, "4901.99")
    ebook = make_order(1000, fmt=Format.EBOOK)
    ebook.ship_country = "CA"
    assert declaration(ebook, gift=False, config=app_ctx.config) is None  # nothing to post
