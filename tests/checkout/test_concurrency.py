"""Races on PostgreSQL: threads, each with its own app context and database session."""

from pathlib import Path

import pytest
from flask import current_app
from sqlalchemy import func, select

from bookstore.cart.models import Cart
from bookstore.catalog.models import Edition, StockMovement
from bookstore.checkout import services
from bookstore.checkout.models import Order
from bookstore.checkout.payments import confirm_session
from bookstore.checkout.states import OrderState
from bookstore.dbtypes import utcnow
from bookstore.errors import OutOfStock
from bookstore.extensions import db
from tests.checkout.helpers import ADDRESS, make_cart
from tests.checkout.shoppers import Buyer
from tests.factories import make_book
from tests.fixtures.mail import Outbox
from tests.races import race

pytestmark = pytest.mark.postgres


def test_twenty_checkouts_racing_for_the_last_three_copies(pg_app):
    with pg_app.app_context():
        edition = make_book("Murder at the Dacha", on_hand=3).editions[0]
        cart_ids = [make_cart((edition, 1)).id for _ in range(20)]
        edition_id = edition.id
        db.session.commit()

    def checkout(i):
        cart = db.session.get(Cart, cart_ids[i])
        return services.place_order(
            cart,
            user=None,
            email=f"buyer{i}@example.com",
            shipping_method="standard",
            address=ADDRESS,
            now=utcnow(),
            config=current_app.config,
        ).id

    results = race(pg_app, 20, checkout)

    placed = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, OutOfStock)]
    assert len(placed) == 3
    assert len(refused) == 17
    assert all("Murder at the Dacha is sold out" in str(r) for r in refused)
    with pg_app.app_context():
        edition = db.session.get(Edition, edition_id)
        assert (edition.on_hand, edition.reserved) == (3, 3)
        assert db.session.scalar(select(func.count()).select_from(Order)) == 3


def test_ten_fulfilments_of_one_session_pay_once(pg_app, stripe_sandbox):
    pg_app.config.update(
        STRIPE_API_BASE=stripe_sandbox.url, STRIPE_WEBHOOK_SECRET=stripe_sandbox.webhook_secret
    )
    stripe_sandbox.webhook_url = None
    with pg_app.app_context():
        first = make_book("Murder at the Dacha", on_hand=5).editions[0].id
        second = make_book("Davai!", formats=("paperback", "ebook"), on_hand=5).editions
        second_ids = [e.id for e in second]
        db.session.commit()
    buyer = Buyer(pg_app)
    buyer.add(first, 2)
    for edition_id in second_ids:
        buyer.add(edition_id, 1)
    checkout = buyer.checkout()
    stripe_sandbox.pay(checkout.session_id)

    results = race(
        pg_app,
        10,
        lambda _i: confirm_session(checkout.session_id, now=utcnow(), actor="stripe").newly_paid,
    )

    assert sorted(results, key=str) == [False] * 9 + [True]
    with pg_app.app_context():
        order = db.session.scalars(select(Order)).one()
        assert order.state is OrderState.PAID
        ledger = db.session.execute(
            select(StockMovement.edition_id, StockMovement.delta).order_by(StockMovement.edition_id)
        ).all()
        assert ledger == [(first, -2), (second_ids[0], -1)]
        assert len(order.download_links) == 1
        assert db.session.get(Edition, first).reserved == 0
    assert len(Outbox(Path(pg_app.config["MAIL_OUTBOX"]))) == 1
