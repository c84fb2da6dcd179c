"""Claims racing on PostgreSQL: threads, each in its own app context and transaction."""

import threading

import pytest
from sqlalchemy import func, select

from bookstore.accounts.models import User
from bookstore.deals.models import Deal, DealClaim
from bookstore.deals.services import claim_deal
from bookstore.errors import DealAlreadyClaimed, DealUnavailable
from bookstore.extensions import db
from tests.deals.builders import NOW, make_deal, make_member

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def race(app, deal_id, user_ids):
    """Every user claims the deal at once; returns the outcome of each attempt."""
    barrier = threading.Barrier(len(user_ids))
    outcomes = []
    lock = threading.Lock()

    def attempt(user_id):
        # Wait before touching the database: the pool has fewer connections than threads.
        barrier.wait()
        with app.app_context():
            try:
                user = db.session.get(User, user_id)
                deal = db.session.get(Deal, deal_id)
                claim_deal(deal, user, NOW)
                db.session.commit()
                outcome = "claimed"
            except DealAlreadyClaimed:
                db.session.rollback()
                outcome = "already"
            except DealUnavailable:
                db.session.rollback()
                outcome = "sold out"
            except Exception as exc:  # noqa: BLE001  (reported by the test, not lost in a thread)
                db.session.rollback()
                outcome = f"error: {exc!r}"
            finally:
                db.session.remove()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=attempt, args=(uid,)) for uid in user_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def test_hundred_members_racing_for_ten_claims_get_exactly_ten(pg_app):
    with pg_app.app_context():
        deal_id = make_deal(limit=10).id
        member_ids = [make_member(f"racer{n}@example.com").id for n in range(100)]
        db.session.commit()

    outcomes = race(pg_app, deal_id, member_ids)

    assert sorted(set(outcomes)) == ["claimed", "sold out"], outcomes
    assert outcomes.count("claimed") == 10
    with pg_app.app_context():
        rows = db.session.scalar(select(func.count()).where(DealClaim.deal_id == deal_id))
        remaining = db.session.get(Deal, deal_id).remaining_claims
    assert rows == 10
    assert remaining == 0


def test_one_member_claiming_twenty_times_at_once_gets_one_claim(pg_app):
    with pg_app.app_context():
        deal_id = make_deal(limit=50).id
        member_id = make_member("eager@example.com").id
        db.session.commit()

    outcomes = race(pg_app, deal_id, [member_id] * 20)

    assert outcomes.count("claimed") == 1, outcomes
    assert outcomes.count("already") == 19
    with pg_app.app_context():
        rows = db.session.scalar(select(func.count()).where(DealClaim.deal_id == deal_id))
        remaining = db.session.get(Deal, deal_id).remaining_claims
    assert rows == 1
    # The losers' decrements were rolled back with their savepoints.
    assert remaining == 49
