"""Two claims of one gift at the same instant on PostgreSQL: exactly one membership."""

from sqlalchemy import select

from bookstore.accounts.models import User
from bookstore.dbtypes import utcnow
from bookstore.extensions import db
from bookstore.gifts import memberships
from bookstore.gifts.memberships import GiftLinkUsed
from bookstore.gifts.models import GiftMembership
from bookstore.members.models import Membership
from tests.cart.test_concurrency import run_together
from tests.factories import make_user
from tests.gifts.helpers import make_sent_gift


def test_two_simultaneous_claims_of_one_link_give_one_membership(pg_app):
    with pg_app.app_context():
        users = [make_user(f"claimer{i}@example.com").id for i in range(2)]
        token = make_sent_gift()
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
