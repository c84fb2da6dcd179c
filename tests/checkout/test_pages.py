"""The checkout pages: details, validation, review, sold out, amounts from the server only."""

from bookstore.catalog.models import Edition
from bookstore.checkout.models import Order
from bookstore.extensions import db
from tests.checkout.shoppers import order_state
from tests.factories import make_book


def _edition(app, title="Murder at the Dacha", **kwargs):
    with app.app_context():
        book = make_book(title, **kwargs)
        edition_id = book.editions[0].id
        db.session.commit()
        return edition_id


def test_an_empty_cart_goes_back_to_the_cart_with_a_message(shop, buyer):
    response = buyer.client.get("/checkout", follow_redirects=True)
    assert response.request.path == "/cart"
    assert "Your cart is empty" in response.get_data(as_text=True)


def test_the_details_page_asks_for_an_address_for_printed_books(shop, buyer):
    buyer.add(_edition(shop))
    page = buyer.client.get("/checkout").get_data(as_text=True)
    assert "Shipping address" in page
    assert 'name="ship_postal_code"' in page
    assert "Express" in page


def test_an_ebooks_only_checkout_skips_the_address(shop, buyer):
    buyer.add(_edition(shop, "Davai!", formats=("ebook",)))
    page = buyer.client.get("/checkout").get_data(as_text=True)
    assert "Shipping address" not in page
    assert buyer.give_details(physical=False).status_code == 303
    review = buyer.review().get_data(as_text=True)
    assert "Ship to" not in review
    assert "$10.00" in review


def test_a_bad_address_is_explained_field_by_field(shop, buyer):
    buyer.add(_edition(shop))
    response = buyer.give_details(ship_postal_code="ABC", ship_city="", ship_region="")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Enter a ZIP code such as 05602" in page
    assert "Enter the city or town." in page
    assert "Enter the state, province or region." in page
    assert 'aria-invalid="true"' in page


def test_an_unknown_country_or_method_is_refused(shop, buyer):
    buyer.add(_edition(shop))
    assert buyer.give_details(ship_country="XX").status_code == 400
    assert buyer.give_details(shipping_method="teleport").status_code == 400


def test_the_review_shows_every_amount_computed_by_the_server(shop, buyer):
    buyer.add(_edition(shop, price_cents=1600), 2)
    buyer.give_details(shipping_method="express")
    page = buyer.review().get_data(as_text=True)
    for amount in ("$16.00", "$32.00", "$15.00", "$47.00"):
        assert amount in page
    assert "Anna Petrova" in page


def test_posted_prices_and_totals_are_ignored(shop, buyer):
    edition = _edition(shop, price_cents=1600)
    buyer.add(edition, 1)
    buyer.give_details(total_cents="1", price_cents="1")
    response = buyer.place(total="0.01", total_cents="1", price="1", unit_price_cents="1")
    assert response.status_code == 303
    with shop.app_context():
        order = db.session.query(Order).one()
        assert order.total_cents == 2100
        assert order.lines[0].unit_price_cents == 1600


def test_a_cart_changed_since_the_review_is_shown_again(shop, buyer):
    edition = _edition(shop, price_cents=1600)
    buyer.add(edition)
    buyer.give_details()
    quote = buyer.quote()
    with shop.app_context():
        db.session.get(Edition, edition).price_cents = 1900
        db.session.commit()
    response = buyer.client.post("/checkout/place", data={"quote": quote})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/checkout/review")
    with shop.app_context():
        assert db.session.query(Order).count() == 0


def test_sold_out_at_the_last_moment_names_the_title_and_keeps_the_cart(shop, buyer):
    edition = _edition(shop, "The Last Copy", on_hand=2)
    buyer.add(edition, 2)
    buyer.give_details()
    quote = buyer.quote()
    with shop.app_context():
        db.session.get(Edition, edition).on_hand = 1  # someone bought one meanwhile
        db.session.commit()
    response = buyer.client.post("/checkout/place", data={"quote": quote}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.request.path == "/cart"
    assert "The Last Copy is sold out" in page
    with shop.app_context():
        assert db.session.query(Order).count() == 0
        assert db.session.get(Edition, edition).reserved == 0


def test_the_pay_button_leads_to_stripe_with_a_303(shop, buyer, stripe_sandbox):
    buyer.add(_edition(shop))
    buyer.give_details()
    response = buyer.place()
    assert response.status_code == 303
    assert response.headers["Location"].startswith(stripe_sandbox.url)


def test_the_csp_leaves_form_action_open_for_the_redirect_to_stripe(shop, buyer):
    buyer.add(_edition(shop))
    policy = buyer.client.get("/checkout").headers["Content-Security-Policy"]
    assert "form-action" not in policy


def test_the_order_page_shows_the_history(shop, buyer, stripe_sandbox):
    checkout = buyer.checkout(_edition(shop))
    stripe_sandbox.pay(checkout.session_id)
    stripe_sandbox.wait_for_webhooks()
    page = buyer.client.get(f"/account/orders/{checkout.reference}").get_data(as_text=True)
    assert "Pending payment" in page
    assert "Paid" in page
    assert order_state(shop, checkout.reference).events[-1].actor in ("stripe", "customer")


def test_paying_again_after_coming_back_from_stripe_replaces_the_first_checkout(
    shop, buyer, stripe_sandbox
):
    edition = _edition(shop, "The Last Copy", on_hand=1)
    first = buyer.checkout(edition)
    # The browser's Back button, then Pay again: the last copy is not held against the buyer.
    second = buyer.place()
    assert second.status_code == 303
    assert order_state(shop, first.reference).state.value == "cancelled"
    with shop.app_context():
        assert db.session.get(Edition, edition).reserved == 1
    assert stripe_sandbox.pay(first.session_id).status != 303  # the old session is closed
