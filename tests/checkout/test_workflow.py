"""The order workflow: every move in the state table, with the effects of entering its state.

Each legal move is made through ``workflow.transition`` on an order brought to its source state
by the workflow itself, then the test checks what entering the target state must do (and what
it must not), on SQLite and PostgreSQL. Every move the table forbids raises, changing nothing.
"""

from itertools import product

import pytest
from sqlalchemy import func, select

from bookstore.cart.models import CartLine
from bookstore.catalog.models import Edition, StockMovement
from bookstore.checkout import workflow
from bookstore.checkout.models import DownloadLink, Order, OrderEvent, Shipment
from bookstore.checkout.states import TRANSITIONS, OrderState
from bookstore.errors import InvalidTransition
from bookstore.extensions import db
from bookstore.inventory.models import StockHold
from tests.checkout.helpers import make_cart, place
from tests.factories import make_book

S = OrderState
# How to reach each state from a new order, through legal moves only.
PATH = {
    S.PENDING_PAYMENT: [],
    S.PAID: [S.PAID],
    S.SHIPPED: [S.PAID, S.SHIPPED],
    S.PARTIALLY_REFUNDED: [S.PAID, S.PARTIALLY_REFUNDED],
    S.REFUNDED: [S.PAID, S.REFUNDED],
    S.CANCELLED: [S.CANCELLED],
    S.EXPIRED: [S.EXPIRED],
    S.NEEDS_REVIEW: [S.NEEDS_REVIEW],
}
LEGAL = [
    (source, target)
    for source, targets in TRANSITIONS.items()
    for target in sorted(targets, key=lambda state: state.value)
]
ILLEGAL = [
    (source, target)
    for source, target in product(OrderState, OrderState)
    if target not in TRANSITIONS[source]
]


class Shop:
    """One order for a printed book (2 copies) and an ebook, and what it changes."""

    def __init__(self):
        book = make_book("Murder at the Dacha", formats=("paperback", "ebook"), on_hand=5)
        self.printed, self.ebook = book.editions
        self.cart = make_cart((self.printed, 2), (self.ebook, 1))
        self.order = place(self.cart, email="reader@example.com")
        db.session.commit()

    def move(self, target: OrderState, **kwargs) -> bool:
        order = db.session.get(Order, self.order.id)
        refund = order.total_cents - order.refunded_cents
        if target is S.PARTIALLY_REFUNDED:
            refund = min(refund, 100)
        if target in (S.REFUNDED, S.PARTIALLY_REFUNDED):
            kwargs.setdefault("values", {"refunded_cents": order.refunded_cents + refund})
            kwargs.setdefault("restock", {self.printed.id: 1})
            kwargs.setdefault("refund_cents", refund)
        if target is S.SHIPPED:
            shipment = db.session.scalar(select(Shipment).where(Shipment.order_id == order.id))
            if shipment is None:
                shipment = Shipment(order_id=order.id, carrier="USPS", tracking_number="9400 1")
                db.session.add(shipment)
                db.session.flush()
            kwargs.setdefault("shipment", shipment)
        if target is S.PAID:
            kwargs.setdefault("values", {"stripe_payment_intent": "pi_test"})
        moved = workflow.transition(order, target, actor="test", **kwargs)
        db.session.commit()
        return moved

    def counts(self) -> tuple[int, int]:
        db.session.expire_all()
        edition = db.session.get(Edition, self.printed.id)
        return edition.on_hand, edition.reserved

    def held(self) -> int:
        return db.session.scalar(
            select(func.coalesce(func.sum(StockHold.quantity), 0)).where(
                StockHold.order_id == self.order.id
            )
        )

    def ledger(self) -> list[tuple[str, int]]:
        rows = db.session.execute(
            select(StockMovement.reason, StockMovement.delta).order_by(StockMovement.id)
        )
        return [tuple(row) for row in rows]

    def events(self) -> list[tuple[str | None, str]]:
        rows = db.session.execute(
            select(OrderEvent.from_state, OrderEvent.to_state)
            .where(OrderEvent.order_id == self.order.id)
            .order_by(OrderEvent.id)
        )
        return [tuple(row) for row in rows]


def _subjects(outbox) -> list[str]:
    return [m["Subject"] for m in outbox.to("reader@example.com")]


@pytest.mark.parametrize(("source", "target"), LEGAL, ids=lambda s: s.value)
def test_each_legal_move_runs_the_effects_of_its_target(app_ctx, outbox, source, target):
    shop = Shop()
    for step in PATH[source]:
        assert shop.move(step)
    before_counts, before_ledger, before_mail = shop.counts(), shop.ledger(), _subjects(outbox)
    held_before = shop.held()

    assert shop.move(target)

    order = db.session.get(Order, shop.order.id)
    assert order.state is target
    assert shop.events()[-1] == (source.value, target.value)
    new_mail = _subjects(outbox)[len(before_mail) :]
    new_ledger = shop.ledger()[len(before_ledger) :]
    if target is S.PAID:
        # The held copies are sold, the ebook gets its link, the cart is emptied, one email.
        assert shop.held() == 0
        assert shop.counts() == (before_counts[0] - 2, before_counts[1] - held_before)
        assert new_ledger == [("sale", -2)]
        assert db.session.scalar(select(func.count()).select_from(DownloadLink)) == 1
        assert (
            db.session.scalars(select(CartLine).where(CartLine.cart_id == shop.cart.id)).all() == []
        )
        assert [s.split(":")[0] for s in new_mail] == ["Order confirmed"]
    elif target in (S.CANCELLED, S.EXPIRED):
        # The copies are free again; nothing is sold and nobody is emailed.
        assert shop.held() == 0
        assert shop.counts() == (5, 0)
        assert order.reserved_until is None
        assert (new_ledger, new_mail) == ([], [])
    elif target is S.NEEDS_REVIEW:
        # A person decides: the copies stay as they were.
        assert shop.held() == held_before
        assert shop.counts() == before_counts
        assert (new_ledger, new_mail) == ([], [])
    elif target is S.SHIPPED:
        assert new_ledger == []
        [shipped] = new_mail
        assert "is on its way" in shipped
    else:  # refunded, partly refunded: the copy asked for goes back, the buyer is emailed
        assert new_ledger == [("return", 1)]
        assert shop.counts()[0] == before_counts[0] + 1
        [refunded] = new_mail
        assert refunded.startswith("Refund for your order")


@pytest.mark.parametrize(("source", "target"), ILLEGAL, ids=lambda s: s.value)
def test_each_move_the_table_forbids_raises_and_changes_nothing(app_ctx, source, target):
    shop = Shop()
    for step in PATH[source]:
        assert shop.move(step)
    counts, events = shop.counts(), shop.events()
    with pytest.raises(InvalidTransition):
        shop.move(target)
    db.session.rollback()
    assert db.session.get(Order, shop.order.id).state is source
    assert (shop.counts(), shop.events()) == (counts, events)


def test_a_move_lost_to_someone_else_changes_nothing_and_runs_no_effect(app_ctx, outbox):
    shop = Shop()
    assert shop.move(S.CANCELLED)
    counts, events = shop.counts(), shop.events()
    # A caller that still believes the order is pending loses the conditional UPDATE.
    order = db.session.get(Order, shop.order.id)
    assert not workflow.transition(order, S.PAID, actor="late", source=S.PENDING_PAYMENT)
    db.session.commit()
    assert db.session.get(Order, shop.order.id).state is S.CANCELLED
    assert (shop.counts(), shop.events()) == (counts, events)
    assert _subjects(outbox) == []


def test_paid_after_the_copies_were_sold_elsewhere_is_held_for_review(app_ctx, outbox):
    shop = Shop()
    # The hold lapses and is released; another buyer takes every copy.
    order = db.session.get(Order, shop.order.id)
    db.session.execute(
        StockHold.__table__.update()
        .where(StockHold.order_id == order.id)
        .values(expires_at=order.created_at)
    )
    other = place(make_cart((shop.printed, 5)), email="other@example.com")
    db.session.commit()
    assert other.state is S.PENDING_PAYMENT

    assert shop.move(S.PAID)

    order = db.session.get(Order, shop.order.id)
    assert order.state is S.NEEDS_REVIEW
    assert "sold out" in order.review_reason
    assert order.paid_at is None
    assert shop.events()[-1] == ("pending_payment", "needs_review")
    assert shop.ledger() == []
    assert _subjects(outbox) == []
