"""A year of membership given by email: bought in the cart, claimed once through the link,
into an existing or a new account; used twice, expired or refunded links are refused."""

import re
from datetime import timedelta

from sqlalchemy import select, update

from bookstore.accounts.models import Role, User
from bookstore.dbtypes import utcnow
from bookstore.extensions import db
from bookstore.gifts.models import GiftMembership
from bookstore.members.models import Membership
from bookstore.members.services import membership_status
from tests.accounts.helpers import log_in
from tests.checkout.shoppers import Buyer
from tests.factories import make_user
from tests.fixtures.mail import text_body
from tests.gifts.helpers import path_of
from tests.staff.helpers import log_in as staff_log_in

PASSWORD = "Volga sunsets over Kazan 1987!"
CLAIM = re.compile(r"https?://[^/\s]+(/gifts/claim/[A-Za-z0-9_-]+)")


def give(shop, stripe_sandbox, *, recipient="vera@example.com", buyer_email="olga@example.com"):
    """A guest gives a year to ``recipient`` and pays; returns (buyer, order reference)."""
    buyer = Buyer(shop)
    added = buyer.client.post(
        "/gifts/membership",
        data={
            "recipient_email": recipient,
            "recipient_name": "Vera",
            "message": "For your Russian lessons",
        },
    )
    assert added.status_code == 303, added.text[:1000]
    cart = buyer.client.get("/cart").text
    assert "Gift: a year of membership" in cart
    assert recipient in cart
    done = buyer.checkout(email=buyer_email, physical=False)
    paid = stripe_sandbox.pay(done.session_id)
    stripe_sandbox.wait_for_webhooks()
    buyer.client.get(path_of(paid.location))
    return buyer, done


def claim_path(outbox, recipient="vera@example.com"):
    [mail] = outbox.to(recipient)
    return CLAIM.search(text_body(mail))[1]


def is_member(app, email):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        return user is not None and membership_status(user, utcnow()).is_member


def test_the_recipient_gets_a_claim_link_and_the_buyer_sees_its_state(shop, stripe_sandbox, outbox):
    buyer, done = give(shop, stripe_sandbox)
    items = stripe_sandbox.client().v1.checkout.sessions.line_items.list(done.session_id).data
    assert [(i.description, i.amount_total) for i in items] == [
        ("Gift: a year of membership", 3500)
    ]
    [mail] = outbox.to("vera@example.com")
    assert "For your Russian lessons" in text_body(mail)
    assert "olga@example.com" in text_body(mail)
    page = buyer.client.get(f"/account/orders/{done.reference}").text
    assert "the claim link was emailed" in page
    # The cart no longer holds the gift.
    assert "Gift: a year of membership" not in buyer.client.get("/cart").text


def test_claiming_into_an_existing_account_starts_the_year(shop, stripe_sandbox, outbox):
    with shop.app_context():
        make_user("vera@example.com", password=PASSWORD)
        db.session.commit()
    buyer, done = give(shop, stripe_sandbox)
    path = claim_path(outbox)
    client = shop.test_client()
    page = client.get(path)
    assert page.status_code == 200
    assert "Log in to claim it" in page.text
    log_in(client, "vera@example.com", PASSWORD)
    page = client.get(path)
    assert "Claim it for my account (vera@example.com)" in page.text
    claimed = client.post(path)
    assert claimed.status_code == 303
    assert is_member(shop, "vera@example.com")
    assert "claimed on" in buyer.client.get(f"/account/orders/{done.reference}").text


def test_claiming_into_a_new_account_makes_it_and_signs_in(shop, stripe_sandbox, outbox):
    give(shop, stripe_sandbox)
    path = claim_path(outbox)
    client = shop.test_client()
    refused = client.post(path, data={"account-name": "Vera", "account-password": "short"})
    assert refused.status_code == 400
    claimed = client.post(
        path,
        data={"account-name": "Vera", "account-password": PASSWORD, "account-confirm": PASSWORD},
    )
    assert claimed.status_code == 303, claimed.text[:2000]
    assert is_member(shop, "vera@example.com")
    assert "vera@example.com" in client.get("/account/").text  # signed in


def test_a_link_used_twice_gives_one_membership(shop, stripe_sandbox, outbox):
    with shop.app_context():
        make_user("vera@example.com", password=PASSWORD)
        make_user("other@example.com", password=PASSWORD)
        db.session.commit()
    give(shop, stripe_sandbox)
    path = claim_path(outbox)
    first = shop.test_client()
    log_in(first, "vera@example.com", PASSWORD)
    assert first.post(path).status_code == 303
    second = shop.test_client()
    log_in(second, "other@example.com", PASSWORD)
    again = second.get(path)
    assert again.status_code == 410
    assert "already been claimed" in again.text
    assert second.post(path).status_code == 410
    assert not is_member(shop, "other@example.com")
    with shop.app_context():
        assert len(db.session.scalars(select(Membership)).all()) == 1


def test_an_expired_link_is_refused_and_staff_can_send_a_new_one(shop, stripe_sandbox, outbox):
    give(shop, stripe_sandbox)
    path = claim_path(outbox)
    with shop.app_context():
        db.session.execute(
            update(GiftMembership).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        staff_client = shop.test_client()
        staff_log_in(staff_client, make_user("staff@example.com", role=Role.STAFF))
        db.session.commit()
        gift_id = db.session.scalar(select(GiftMembership.id))
    client = shop.test_client()
    expired = client.get(path)
    assert expired.status_code == 410
    assert "expired" in expired.text
    assert client.post(path, data={"account-name": "V"}).status_code == 410
    assert not is_member(shop, "vera@example.com")

    listing = staff_client.get("/staff/gifts").text
    assert "vera@example.com" in listing
    assert "expired" in listing
    assert staff_client.post(f"/staff/gifts/{gift_id}/resend").status_code == 303
    new_path = CLAIM.search(text_body(outbox.to("vera@example.com")[-1]))[1]
    assert new_path != path
    assert client.get(path).status_code == 404  # the old link no longer works
    assert client.get(new_path).status_code == 200


def test_an_unknown_link_is_not_found(shop):
    assert shop.test_client().get("/gifts/claim/nothing-here").status_code == 404


def test_the_buyer_cannot_give_to_their_own_address_or_claim_their_own_gift(
    shop, stripe_sandbox, outbox
):
    with shop.app_context():
        make_user("olga@example.com", password=PASSWORD)
        db.session.commit()
    client = shop.test_client()
    log_in(client, "olga@example.com", PASSWORD)
    own = client.post("/gifts/membership", data={"recipient_email": "OLGA@example.com"})
    assert own.status_code == 400
    assert "That is your own address" in own.text
    assert (
        client.post("/gifts/membership", data={"recipient_email": "vera@example.com"}).status_code
        == 303
    )
    done = Buyer(shop, client).checkout(email="olga@example.com", physical=False)
    stripe_sandbox.pay(done.session_id)
    stripe_sandbox.wait_for_webhooks()
    path = claim_path(outbox)
    assert "You bought this gift" in client.get(path).text
    refused = client.post(path)
    assert refused.status_code == 303
    assert "You bought this gift" in client.get(path).text
    assert not is_member(shop, "olga@example.com")


def test_a_refunded_gift_cannot_be_claimed(shop, stripe_sandbox, outbox):
    _buyer, done = give(shop, stripe_sandbox)
    path = claim_path(outbox)
    with shop.app_context():
        staff = make_user("staff@example.com", role=Role.STAFF)
        db.session.commit()
        staff_client = shop.test_client()
        staff_log_in(staff_client, staff)
    data = {"refund-scope": "order", "refund-reason": "Wrong person", "refund-confirmed": "yes"}
    assert staff_client.post(f"/staff/orders/{done.reference}/refund", data=data).status_code == 303
    with shop.app_context():
        assert db.session.scalar(select(GiftMembership.voided_at)) is not None
    page = shop.test_client().get(path)
    assert page.status_code == 410
    assert "cancelled" in page.text
