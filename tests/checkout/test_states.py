"""The order state table: every pair of states, allowed or refused."""

import itertools

import pytest

from bookstore.checkout.states import OrderState, can_move, check_move
from bookstore.errors import InvalidTransition

S = OrderState

# The specification, written out independently of the implementation's table.
ALLOWED = {
    (S.PENDING_PAYMENT, S.PAID),
    (S.PENDING_PAYMENT, S.CANCELLED),
    (S.PENDING_PAYMENT, S.EXPIRED),
    (S.PENDING_PAYMENT, S.NEEDS_REVIEW),
    (S.PAID, S.SHIPPED),
    (S.PAID, S.REFUNDED),
    (S.PAID, S.PARTIALLY_REFUNDED),
    (S.SHIPPED, S.REFUNDED),
    (S.SHIPPED, S.PARTIALLY_REFUNDED),
    (S.PARTIALLY_REFUNDED, S.REFUNDED),
    (S.PARTIALLY_REFUNDED, S.PARTIALLY_REFUNDED),
    (S.PARTIALLY_REFUNDED, S.SHIPPED),
    (S.NEEDS_REVIEW, S.PAID),
    (S.NEEDS_REVIEW, S.CANCELLED),
    # A payment that lands after the order was cancelled or expired is held for staff.
    (S.CANCELLED, S.NEEDS_REVIEW),
    (S.EXPIRED, S.NEEDS_REVIEW),
}

PAIRS = list(itertools.product(OrderState, OrderState))


@pytest.mark.parametrize(("source", "target"), PAIRS, ids=[f"{s}->{t}" for s, t in PAIRS])
def test_each_move_is_allowed_only_if_the_table_says_so(source, target):
    allowed = (source, target) in ALLOWED
    assert can_move(source, target) is allowed
    if allowed:
        check_move(source, target)
    else:
        with pytest.raises(InvalidTransition):
            check_move(source, target)


def test_refunded_is_final():
    assert not any(can_move(S.REFUNDED, target) for target in OrderState)


def test_a_paid_order_can_never_go_back_to_pending_or_be_cancelled():
    assert not can_move(S.PAID, S.PENDING_PAYMENT)
    assert not can_move(S.PAID, S.CANCELLED)
    assert not can_move(S.SHIPPED, S.PAID)
