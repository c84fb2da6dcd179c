"""Who may see an order: its browser, its logged-in owner, its signed link; anyone else 404."""

import pytest

from bookstore.checkout.downloads import order_link_token
from bookstore.checkout.models import Order
from bookstore.extensions import db
from tests.checkout.shoppers import Buyer
from tests.factories import TEST_PASSWORD, make_book, make_user


def _edition(app):
    with app.app_context():
        edition_id = make_book("Murder at the Dacha", on_hand=9).editions[0].id
        db.session.commit()
        return edition_id


def _login(app, email):
    client = app.test_client()
    response = client.post("/account/login", data={"email": email, "password": TEST_PASSWORD})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
    return client


@pytest.fixture
def users(shop):
    with shop.app_context():
        owner = make_user("owner@example.com")
        other = make_user("other@example.com")
        db.session.commit()
        return owner.email, other.email


def test_the_buying_browser_sees_its_order_and_a_stranger_gets_404(shop, buyer, stripe_sandbox):
    checkout = buyer.checkout(_edition(shop))
    paid = stripe_sandbox.pay(checkout.session_id)
    assert buyer.follow(paid.location).status_code == 200
    assert buyer.client.get(f"/account/orders/{checkout.reference}").status_code == 200

    stranger = Buyer(shop)
    assert stranger.follow(paid.location).status_code == 404
    assert stranger.client.get(f"/account/orders/{checkout.reference}").status_code == 404
    assert stranger.client.get(f"/checkout/cancel/{checkout.reference}").status_code == 404


def test_someone_elses_session_id_on_the_success_page_is_404(shop, stripe_sandbox):
    edition = _edition(shop)
    alice, bob = Buyer(shop), Buyer(shop)
    alice_checkout = alice.checkout(edition)
    bob.checkout(edition)
    paid = stripe_sandbox.pay(alice_checkout.session_id)
    assert bob.follow(paid.location).status_code == 404
    assert bob.client.get("/checkout/success?session_id=cs_test_nonsense").status_code == 404
    assert bob.client.get("/checkout/success").status_code == 404


def test_users_see_their_own_orders_only(shop, users, stripe_sandbox):
    owner_email, other_email = users
    edition = _edition(shop)
    owner = Buyer(shop, _login(shop, owner_email))
    checkout = owner.checkout(edition)
    stripe_sandbox.pay(checkout.session_id)

    history = owner.client.get("/account/orders")
    assert history.status_code == 200
    assert checkout.reference[:8].upper() in history.get_data(as_text=True)

    other = _login(shop, other_email)
    assert checkout.reference[:8].upper() not in other.get("/account/orders").get_data(as_text=True)
    assert other.get(f"/account/orders/{checkout.reference}").status_code == 404


def test_the_order_history_needs_a_login(shop):
    response = shop.test_client().get("/account/orders")
    assert response.status_code in (302, 401)


def test_the_checkout_email_is_prefilled_for_users(shop, users):
    owner_email, _ = users
    client = _login(shop, owner_email)
    client.post("/cart/add", data={"edition_id": str(_edition(shop)), "quantity": "1"})
    page = client.get("/checkout").get_data(as_text=True)
    assert f'value="{owner_email}"' in page


def test_a_guest_opens_the_order_through_the_signed_link(shop, buyer, stripe_sandbox, outbox):
    checkout = buyer.checkout(_edition(shop))
    stripe_sandbox.pay(checkout.session_id)
    stripe_sandbox.wait_for_webhooks()
    [mail] = outbox.to("buyer@example.com")
    link = next(w for w in mail.get_body(("plain",)).get_content().split() if "/orders/" in w)
    anyone = Buyer(shop)
    assert anyone.follow(link).status_code == 200
    assert "Murder at the Dacha" in anyone.follow(link).get_data(as_text=True)
    with shop.test_request_context():
        order = db.session.query(Order).filter_by(reference=checkout.reference).one()
        forged = order_link_token(order)[:-2] + "xx"
    assert anyone.client.get(f"/orders/{forged}").status_code == 404
    assert anyone.client.get(f"/orders/{checkout.reference}").status_code == 404


def test_a_guest_still_sees_the_order_placed_in_this_browser_after_logging_in(shop, stripe_sandbox):
    from tests.accounts.helpers import log_in

    with shop.app_context():
        edition_id = make_book("Kept Across Login", on_hand=3).editions[0].id
        make_user("reader@example.com")
        db.session.commit()
    buyer = Buyer(shop)
    checkout = buyer.checkout(edition_id, 1)
    assert buyer.client.get(f"/account/orders/{checkout.reference}").status_code == 200
    log_in(buyer.client, "reader@example.com")
    assert buyer.client.get(f"/account/orders/{checkout.reference}").status_code == 200
