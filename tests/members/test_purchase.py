"""Buying and renewing a membership through the cart, checkout and the Stripe stand-in."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import func, select

from bookstore.accounts.models import User
from bookstore.checkout.models import Order
from bookstore.checkout.states import OrderState
from bookstore.dbtypes import utcnow
from bookstore.extensions import db
from bookstore.members.models import Membership, MembershipSource
from bookstore.members.services import add_years, membership_status
from tests.accounts.helpers import log_in
from tests.checkout.shoppers import Buyer, order_state
from tests.factories import make_book, make_user
from tests.test_page_cache import CART_COUNT

PASSWORD = "Volga sunsets over Kazan 1987!"


def join(client, email):
    """'Become a member' puts a year in the cart; checkout then goes to the stand-in's page."""
    response = client.post("/membership/join")
    assert response.status_code == 303, response.text[:1000]
    assert response.headers["Location"].endswith("/cart")
    buyer = Buyer(client.application, client)
    response = buyer.give_details(email=email, physical=False)
    assert response.status_code == 303, response.text[:2000]
    response = buyer.place()
    assert response.status_code == 303, response.text[:2000]
    return response.headers["Location"]


def path_of(url):
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def session_id_of(pay_url):
    return re.search(r"/c/pay/(cs_[A-Za-z0-9_]+)", pay_url)[1]


def status(app, email):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        return membership_status(user, utcnow())


def test_buying_a_membership_makes_a_member_for_a_year(shop, stripe_sandbox):
    with shop.app_context():
        make_user("new@example.com")
        db.session.commit()
    client = shop.test_client()
    log_in(client, "new@example.com")
    assert "Become a member: add to cart ($35.00)" in client.get("/membership").text
    session_id = session_id_of(join(client, "new@example.com"))
    items = stripe_sandbox.client().v1.checkout.sessions.line_items.list(session_id).data
    assert [(i.description, i.amount_total) for i in items] == [
        ("Annual membership (one year)", 3500)
    ]
    before = utcnow()
    paid = stripe_sandbox.pay(session_id)
    stripe_sandbox.wait_for_webhooks()
    assert client.get(path_of(paid.location)).status_code == 200
    now_status = status(shop, "new@example.com")
    assert now_status.is_member
    assert add_years(before) <= now_status.ends_at <= add_years(utcnow())
    assert "Renew for a year" in client.get("/membership").text


def test_renewing_before_expiry_adds_a_year_to_the_current_end(shop, stripe_sandbox):
    with shop.app_context():
        user = make_user("member@example.com")
        now = utcnow()
        db.session.add(
            Membership(
                user_id=user.id,
                starts_at=now,
                ends_at=now + timedelta(days=30),
                source=MembershipSource.GRANT,
                reason="test",
            )
        )
        db.session.commit()
    old_end = status(shop, "member@example.com").ends_at
    client = shop.test_client()
    log_in(client, "member@example.com")
    session_id = session_id_of(join(client, "member@example.com"))
    stripe_sandbox.pay(session_id)
    stripe_sandbox.wait_for_webhooks()
    assert status(shop, "member@example.com").ends_at == add_years(old_end)


def test_a_membership_is_added_once_however_often_payment_is_reported(shop, stripe_sandbox):
    with shop.app_context():
        make_user("new@example.com")
        db.session.commit()
    client = shop.test_client()
    log_in(client, "new@example.com")
    session_id = session_id_of(join(client, "new@example.com"))
    paid = stripe_sandbox.pay(session_id)
    stripe_sandbox.wait_for_webhooks()
    for event in stripe_sandbox.events("checkout.session.completed"):
        stripe_sandbox.replay(event["id"])
    stripe_sandbox.wait_for_webhooks()
    client.get(path_of(paid.location))
    with shop.app_context():
        terms = db.session.scalars(select(Membership)).all()
        assert len(terms) == 1
        assert order_state(shop, _reference(terms[0].order_id)).state is OrderState.PAID


def _reference(order_id):
    return db.session.get(Order, order_id).reference


def test_a_guest_makes_the_account_at_checkout_and_buys_a_book_with_the_membership(
    shop, stripe_sandbox
):
    with shop.app_context():
        edition_id = make_book("Murder at the Dacha", price_cents=1600).editions[0].id
        db.session.commit()
    buyer = Buyer(shop)
    buyer.add(edition_id)
    buyer.client.post("/membership/join")
    cart = buyer.client.get("/cart").text
    assert "A year of membership" in cart
    assert CART_COUNT.findall(cart) == ["2"]
    assert "$56.00" in cart  # $16.00 + $35.00 + $5.00 shipping

    # Not logged in: checkout asks for a name and password, and refuses without them.
    assert "Your account" in buyer.client.get("/checkout").text
    refused = buyer.give_details(email="nadia@example.com")
    assert refused.status_code == 400
    assert "Enter your name." in refused.text
    made = buyer.give_details(
        email="nadia@example.com",
        account_name="Nadia Orlova",
        password=PASSWORD,
        confirm=PASSWORD,
    )
    assert made.status_code == 303
    review = buyer.review().text
    assert "A year of membership" in review
    assert "Pay $56.00 securely with Stripe" in review

    placed = buyer.place()
    session_id = session_id_of(placed.headers["Location"])
    items = stripe_sandbox.client().v1.checkout.sessions.line_items.list(session_id).data
    assert sorted((i.description, i.amount_total) for i in items) == [
        ("Annual membership (one year)", 3500),
        ("Murder at the Dacha (Paperback)", 1600),
        ("Shipping (standard)", 500),
    ]
    paid = stripe_sandbox.pay(session_id)
    stripe_sandbox.wait_for_webhooks()
    page = buyer.client.get(path_of(paid.location)).text
    assert "A year of membership" in page
    assert status(shop, "nadia@example.com").is_member
    cart = buyer.client.get("/cart").text
    assert "Your cart is empty." in cart, "what was bought leaves the cart, membership too"
    with shop.app_context():
        order = db.session.scalar(select(Order).where(Order.email == "nadia@example.com"))
        assert db.session.get(User, order.user_id).name == "Nadia Orlova"
        assert (order.subtotal_cents, order.shipping_cents, order.total_cents) == (5100, 500, 5600)


def test_a_taken_address_at_checkout_makes_no_account_and_keeps_the_cart(shop):
    with shop.app_context():
        make_user("taken@example.com")
        db.session.commit()
    buyer = Buyer(shop)
    buyer.client.post("/membership/join")
    response = buyer.give_details(
        email="taken@example.com", account_name="Someone", password=PASSWORD, confirm=PASSWORD
    )
    assert response.status_code == 400
    assert "We could not create an account with this address" in response.text
    assert "A year of membership" in buyer.client.get("/cart").text
    with shop.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 1


def test_a_membership_is_never_ordered_without_an_account(shop):
    buyer = Buyer(shop)
    buyer.client.post("/membership/join")
    with buyer.client.session_transaction() as session:
        # Forged details that skip the account step.
        session["checkout_details"] = {"email": "guest@example.com"}
    response = buyer.place()
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/checkout")
    with shop.app_context():
        assert db.session.scalar(select(func.count(Order.id))) == 0


def test_the_membership_can_be_taken_out_of_the_cart(shop):
    client = shop.test_client()
    client.post("/membership/join")
    client.post("/membership/join")  # twice: still one year
    assert CART_COUNT.findall(client.get("/cart").text) == ["1"]
    client.post("/membership/leave-cart")
    cart = client.get("/cart").text
    assert "A year of membership" not in cart
    assert "Your cart is empty." in cart


def test_a_guest_carts_membership_moves_into_the_account_on_login(shop):
    with shop.app_context():
        make_user("anna@example.com")
        db.session.commit()
    client = shop.test_client()
    client.post("/membership/join")
    log_in(client, "anna@example.com")
    assert "A year of membership" in client.get("/cart").text


def test_making_accounts_at_checkout_is_rate_limited_like_the_sign_up_page(make_app, database):
    from bookstore.extensions import limiter

    app = make_app(
        RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://", SIGNUP_RATELIMIT_PER_IP="2/hour"
    )
    limiter.reset()
    codes = []
    for n in range(3):
        client = app.test_client()
        client.post("/membership/join")
        details = {"email": f"reader{n}@example.com", "account_name": "Reader", "confirm": PASSWORD}
        response = client.post("/checkout", data={**details, "password": PASSWORD})
        codes.append(response.status_code)
    assert codes == [303, 303, 429]
    # Details without an account to make are not counted.
    with app.app_context():
        edition_id = make_book("Murder at the Dacha").editions[0].id
        db.session.commit()
    buyer = Buyer(app)
    buyer.add(edition_id)
    assert [buyer.give_details().status_code for _ in range(3)] == [303, 303, 303]
    limiter.reset()
