"""Shoppers racing for a limited code on PostgreSQL: threads, each in its own transaction."""

import threading

import pytest
from sqlalchemy import func, select

from bookstore.cart.models import Cart
from bookstore.errors import PromoCodeRefused
from bookstore.extensions import db
from bookstore.promotions.models import PromoCode, PromoCodeUse, UseLimit
from tests.checkout.helpers import make_cart
from tests.factories import make_book
from tests.promotions.builders import make_code, place_with_code

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def race(app, attempts):
    """Each (cart id, email) places its order with the code at once; the outcome of each."""
    barrier = threading.Barrier(len(attempts))
    outcomes = []
    lock = threading.Lock()

    def attempt(cart_id, email):
        # Wait before touching the database: the pool has fewer connections than threads.
        barrier.wait()
        with app.app_context():
            try:
                place_with_code(db.session.get(Cart, cart_id), "race5", email=email)
                db.session.commit()
                outcome = "placed"
            except PromoCodeRefused as refused:
                db.session.rollback()
                outcome = str(refused)
            except Exception as exc:  # noqa: BLE001  (reported by the test, not lost in a thread)
                db.session.rollback()
                outcome = f"error: {exc!r}"
            finally:
                db.session.remove()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=attempt, args=a) for a in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def _carts(n):
    edition = make_book(on_hand=500, price_cents=2000).editions[0]
    return [make_cart((edition, 1)).id for _ in range(n)]


def test_fifty_shoppers_racing_for_a_code_limited_to_five_uses_get_exactly_five(pg_app):
    with pg_app.app_context():
        make_code("RACE5", total_uses=5)
        carts = _carts(50)
        db.session.commit()
    outcomes = race(pg_app, [(c, f"racer{n}@example.com") for n, c in enumerate(carts)])
    assert outcomes.count("placed") == 5, outcomes
    assert outcomes.count("Sorry, the code “RACE5” has been used up.") == 45, outcomes
    with pg_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PromoCodeUse)) == 5
        assert db.session.scalar(select(PromoCode.remaining_uses)) == 0


def test_one_shopper_racing_from_ten_tabs_uses_a_once_per_email_code_once(pg_app):
    with pg_app.app_context():
        make_code("RACE5", total_uses=5, use_limit=UseLimit.EMAIL)
        carts = _carts(10)
        db.session.commit()
    outcomes = race(pg_app, [(c, "same@example.com") for c in carts])
    assert outcomes.count("placed") == 1, outcomes
    assert all(o == "placed" or "already used" in o for o in outcomes), outcomes
    with pg_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PromoCodeUse)) == 1
        # The refused rows gave their decrement back.
        assert db.session.scalar(select(PromoCode.remaining_uses)) == 4
