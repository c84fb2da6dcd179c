"""Buying and renewing a membership through the Stripe stand-in."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import select

from bookstore.checkout.states import OrderState
from bookstore.dbtypes import utcnow
from bookstore.extensions import db
from bookstore.members.models import Membership, MembershipSource
from bookstore.members.services import add_years, membership_status
from tests.accounts.helpers import log_in
from tests.checkout.conftest import order_state
from tests.factories import make_user


def join(client):
    """Press 'Become a member': the 303 to the stand-in's pay page."""
    response = client.post("/membership/join")
    assert response.status_code == 303, response.text[:1000]
    return response.headers["Location"]


def path_of(url):
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def session_id_of(pay_url):
    return re.search(r"/c/pay/(cs_[A-Za-z0-9_]+)", pay_url)[1]


def status(app, email):
    with app.app_context():
        from bookstore.accounts.models import User

        user = db.session.scalar(select(User).where(User.email == email))
        return membership_status(user, utcnow())


def test_buying_a_membership_makes_a_member_for_a_year(shop, stripe_sandbox):
    with shop.app_context():
        make_user("new@example.com")
        db.session.commit()
    client = shop.test_client()
    log_in(client, "new@example.com")
    assert "Become a member ($35.00)" in client.get("/membership").text
    session_id = session_id_of(join(client))
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
    session_id = session_id_of(join(client))
    stripe_sandbox.pay(session_id)
    stripe_sandbox.wait_for_webhooks()
    assert status(shop, "member@example.com").ends_at == add_years(old_end)


def test_a_membership_is_added_once_however_often_payment_is_reported(shop, stripe_sandbox):
    with shop.app_context():
        make_user("new@example.com")
        db.session.commit()
    client = shop.test_client()
    log_in(client, "new@example.com")
    session_id = session_id_of(join(client))
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
    from bookstore.checkout.models import Order

    return db.session.get(Order, order_id).reference


def test_joining_needs_an_account(shop):
    response = shop.test_client().post("/membership/join")
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]
