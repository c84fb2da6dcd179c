"""Buy again: an earlier order's editions go back in the cart; the unavailable are named."""

from bookstore.catalog.models import Edition
from bookstore.extensions import db
from tests.accounts.helpers import log_in
from tests.checkout.shoppers import Buyer
from tests.factories import make_book, make_user


def _bought(shop, stripe_sandbox):
    with shop.app_context():
        make_user("anna@example.com")
        kept = make_book("Murder at the Dacha", on_hand=10).editions[0].id
        retired = make_book("The Bronze Horseman", on_hand=10).editions[0].id
        db.session.commit()
    client = shop.test_client()
    log_in(client, "anna@example.com")
    buyer = Buyer(shop, client)
    buyer.add(kept, 2)
    buyer.add(retired)
    done = buyer.checkout(email="anna@example.com")
    stripe_sandbox.pay(done.session_id)
    stripe_sandbox.wait_for_webhooks()
    return client, done.reference, kept, retired


def test_buy_again_puts_the_books_still_sold_in_the_cart(shop, stripe_sandbox):
    client, reference, _kept, retired = _bought(shop, stripe_sandbox)
    with shop.app_context():
        db.session.get(Edition, retired).active = False
        db.session.commit()
    orders = client.get("/account/orders").text
    assert "Buy again" in orders
    assert "Buy again" in client.get(f"/account/orders/{reference}").text
    response = client.post(f"/account/orders/{reference}/buy-again")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/cart")
    cart = client.get("/cart").text
    assert "Added to your cart: Murder at the Dacha (Paperback)." in cart
    assert "The Bronze Horseman" in cart
    assert "no longer" in cart
    assert 'value="2"' in cart


def test_buy_again_of_someone_elses_order_is_not_found(shop, stripe_sandbox):
    _client, reference, _kept, _retired = _bought(shop, stripe_sandbox)
    with shop.app_context():
        make_user("boris@example.com")
        db.session.commit()
    other = shop.test_client()
    log_in(other, "boris@example.com")
    assert other.post(f"/account/orders/{reference}/buy-again").status_code == 404
