"""Two claims of one gift at the same instant on PostgreSQL: exactly one membership."""

import secrets
from datetime import timedelta

from sqlalchemy import select

from bookstore.accounts.models import User
from bookstore.catalog.models import Format
from bookstore.dbtypes import utcnow
from bookstore.extensions import db
from bookstore.gifts import memberships
from bookstore.gifts.memberships import GiftLinkUsed
from bookstore.gifts.models import GiftMembership
from bookstore.members.models import Membership
from tests.cart.test_concurrency import run_together
from tests.factories import make_user
from tests.staff.helpers import make_order


def test_two_simultaneous_claims_of_one_link_give_one_membership(pg_app):
    token = secrets.token_urlsafe(32)
    with pg_app.app_context():
        users = [make_user(f"claimer{i}@example.com").id for i in range(2)]
        order = make_order(3500, fmt=Format.EBOOK)
        now = utcnow()
        db.session.add(
            GiftMembership(
                order_id=order.id,
                buyer_email="olga@example.com",
                recipient_email="vera@example.com",
                price_cents=3500,
                token_hash=memberships._hash(token),
                sent_at=now,
                expires_at=now + timedelta(days=30),
            )
        )
        db.session.commit()

    def claim(i, barrier):
        user = db.session.get(User, users[i])
        gift = memberships.gift_by_token(token)
        memberships.check_claimable(gift, now=utcnow())  # both see it unclaimed
        barrier.wait()
        memberships.claim(token, user, now=utcnow())
        db.session.commit()
        return "claimed"

    results = run_together(pg_app, claim)
    assert sorted(map(type, results), key=str) == sorted([str, GiftLinkUsed], key=str)
    with pg_app.app_context():
        terms = db.session.scalars(select(Membership)).all()
        assert len(terms) == 1
        gift = db.session.scalar(select(GiftMembership))
        assert gift.claimed_by_id == terms[0].user_id
        assert gift.membership_id == terms[0].id
