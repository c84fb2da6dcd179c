"""Inventory: holds with one conditional UPDATE, lapsed holds free at once, sales in the ledger."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from bookstore.catalog.models import StockMovement
from bookstore.checkout.models import Order
from bookstore.dbtypes import utcnow
from bookstore.errors import InvalidInput, OutOfStock
from bookstore.extensions import db
from bookstore.inventory import availability, holds, ledger
from bookstore.inventory.models import StockHold
from tests.checkout.helpers import edition_counts, make_cart, place
from tests.factories import make_book


def _hold(order_id: int, quantities: dict[int, int], *, minutes: int = 30) -> None:
    now = utcnow()
    holds.hold_copies(order_id, quantities, until=now + timedelta(minutes=minutes), now=now)


def _held(order_id: int) -> dict[int, int]:
    rows = db.session.execute(
        select(StockHold.edition_id, StockHold.quantity).where(StockHold.order_id == order_id)
    )
    return dict(rows.all())


def test_holding_within_stock_holds_the_copies(app_ctx):
    edition = make_book(on_hand=5).editions[0]
    order = place(make_cart((edition, 2)))
    assert edition_counts(edition.id) == (5, 2)
    assert _held(order.id) == {edition.id: 2}


def test_holding_more_than_is_available_names_the_title_and_changes_nothing(app_ctx):
    edition = make_book("Murder at the Dacha", on_hand=2).editions[0]
    order = place(make_cart((edition, 1)))
    with pytest.raises(OutOfStock, match="Murder at the Dacha is sold out") as caught:
        _hold(order.id, {edition.id: 3})
    assert caught.value.edition_id == edition.id


def test_a_hold_is_all_or_nothing_across_editions(app_ctx):
    plenty = make_book(on_hand=10).editions[0]
    scarce = make_book(on_hand=1).editions[0]
    cart = make_cart((plenty, 2), (scarce, 2))
    db.session.commit()
    with pytest.raises(OutOfStock):
        place(cart)
    db.session.rollback()
    assert edition_counts(plenty.id) == (10, 0)
    assert edition_counts(scarce.id) == (1, 0)


def test_releasing_a_hold_gives_its_copies_back_exactly_once(app_ctx):
    edition = make_book(on_hand=4).editions[0]
    order = place(make_cart((edition, 3)))
    assert edition_counts(edition.id) == (4, 3)
    assert holds.release_hold(order.id) is True
    assert holds.release_hold(order.id) is False
    assert edition_counts(edition.id) == (4, 0)
    assert _held(order.id) == {}


def test_a_lapsed_hold_is_free_for_the_next_buyer_before_expire_stale_runs(app_ctx):
    edition = make_book(on_hand=1).editions[0]
    earlier = utcnow() - timedelta(hours=2)
    first = place(make_cart((edition, 1)), now=earlier)
    assert first.reserved_until < utcnow()
    second = place(make_cart((edition, 1)))
    db.session.expire_all()
    assert edition_counts(edition.id) == (1, 1)
    assert _held(first.id) == {}
    assert _held(second.id) == {edition.id: 1}
    assert db.session.get(Order, second.id).reserved_until > utcnow()


def test_a_hold_taken_again_replaces_the_earlier_one(app_ctx):
    edition = make_book(on_hand=4).editions[0]
    order = place(make_cart((edition, 2)))
    _hold(order.id, {edition.id: 2})
    assert edition_counts(edition.id) == (4, 2)
    assert _held(order.id) == {edition.id: 2}


def test_displayed_availability_counts_lapsed_holds_as_free(app_ctx):
    edition = make_book(on_hand=3).editions[0]
    place(make_cart((edition, 1)))
    place(make_cart((edition, 2)), now=utcnow() - timedelta(hours=2))  # lapsed since
    assert edition_counts(edition.id) == (3, 3)
    assert availability.free_copies([edition.id]) == {edition.id: 2}
    lapsed, next_lapse = availability.lapsed_snapshot(utcnow())
    assert lapsed == {edition.id: 2}
    assert next_lapse is not None
    assert next_lapse > utcnow()


def test_a_carts_own_checkout_counts_as_free_to_that_cart_only(app_ctx):
    edition = make_book(on_hand=2).editions[0]
    cart = make_cart((edition, 2))
    place(cart)
    assert availability.free_copies([edition.id]) == {edition.id: 0}
    assert availability.free_for_cart(cart.id, [edition.id]) == {edition.id: 2}
    other = make_cart()
    assert availability.free_for_cart(other.id, [edition.id]) == {edition.id: 0}


def test_releasing_lapsed_holds_names_their_checkouts(app_ctx):
    edition = make_book(on_hand=5).editions[0]
    other = make_book(on_hand=5).editions[0]
    lapsed = place(make_cart((edition, 2)), now=utcnow() - timedelta(hours=2))
    running = place(make_cart((other, 1)))
    assert holds.release_lapsed(utcnow()) == [lapsed.id]
    assert edition_counts(edition.id) == (5, 0)
    assert _held(running.id) == {other.id: 1}


def _sell(order: Order) -> None:
    quantities = {line.edition_id: line.quantity for line in order.lines}
    holds.sell_copies(order.id, quantities)


def test_a_sale_lowers_on_hand_and_reserved_with_one_ledger_row_per_edition(app_ctx):
    one = make_book(on_hand=5).editions[0]
    two = make_book(on_hand=5).editions[0]
    order = place(make_cart((one, 2), (two, 1)))
    _sell(order)
    assert edition_counts(one.id) == (3, 0)
    assert edition_counts(two.id) == (4, 0)
    rows = db.session.scalars(select(StockMovement).order_by(StockMovement.edition_id)).all()
    assert [(r.edition_id, r.delta, r.reason, r.order_id) for r in rows] == [
        (one.id, -2, "sale", order.id),
        (two.id, -1, "sale", order.id),
    ]


def test_a_sale_after_the_hold_lapsed_takes_free_stock_or_refuses(app_ctx):
    edition = make_book(on_hand=1).editions[0]
    order = place(make_cart((edition, 1)), now=utcnow() - timedelta(hours=2))
    holds.release_lapsed(utcnow())
    place(make_cart((edition, 1)))  # someone else now holds the last copy
    with pytest.raises(OutOfStock):
        _sell(order)
    assert edition_counts(edition.id) == (1, 1)
    assert db.session.scalars(select(StockMovement)).all() == []


def test_receiving_and_adjusting_stock_write_the_ledger(app_ctx):
    edition = make_book(on_hand=2).editions[0]
    ledger.receive_stock(edition.id, 5, actor_id=None, note="delivery")
    ledger.adjust_stock(edition.id, -1, reason="damage", actor_id=None)
    assert edition_counts(edition.id) == (6, 0)
    reasons = db.session.scalars(select(StockMovement.reason).order_by(StockMovement.id)).all()
    assert reasons == ["receive", "damage"]


def test_stock_cannot_be_adjusted_below_the_copies_held_for_orders(app_ctx):
    edition = make_book(on_hand=3).editions[0]
    place(make_cart((edition, 2)))
    with pytest.raises(InvalidInput):
        ledger.adjust_stock(edition.id, -2, reason="count", actor_id=None)
    assert edition_counts(edition.id) == (3, 2)


def test_deleting_an_order_keeps_its_ledger_rows(app_ctx):
    edition = make_book(on_hand=3).editions[0]
    order = place(make_cart((edition, 1)))
    _sell(order)
    db.session.delete(order)
    db.session.flush()
    db.session.expire_all()
    row = db.session.scalars(select(StockMovement)).one()
    assert row.order_id is None
    assert row.delta == -1
