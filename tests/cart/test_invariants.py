"""Property test: whatever a shopper does, the cart's totals and quantities stay right."""

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bookstore.cart import services
from bookstore.errors import BookstoreError
from bookstore.extensions import db
from tests.cart.helpers import MAX, snapshot
from tests.factories import make_book

TODAY = date(2026, 11, 29)
FORMATS = ("paperback", "hardcover", "ebook", "paperback")

editions_index = st.integers(min_value=0, max_value=len(FORMATS) - 1)
any_quantity = st.integers(min_value=-2, max_value=MAX + 3)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("add"), editions_index, any_quantity),
        st.tuples(st.just("set"), editions_index, any_quantity),
        st.tuples(st.just("remove"), editions_index, st.just(0)),
        st.tuples(st.just("stock"), editions_index, st.integers(min_value=0, max_value=12)),
        st.tuples(st.just("price"), editions_index, st.integers(min_value=0, max_value=4000)),
        st.tuples(st.just("review"), st.just(0), st.just(0)),
    ),
    max_size=14,
)


def limit_of(edition) -> int:
    """The most one line may hold, written out independently of the code under test."""
    if not edition.is_physical:
        return 1
    return max(0, min(MAX, edition.on_hand - edition.reserved))


def check_invariants(app, cart) -> None:
    pricing = services.price_cart(cart, today=TODAY, config=app.config)
    stored = {line.edition_id: line for line in services.cart_lines(cart)}
    expected_subtotal = sum(
        line.edition.price_cents * min(line.quantity, limit_of(line.edition))
        for line in stored.values()
    )
    assert pricing.subtotal_cents == expected_subtotal
    physical = any(
        line.edition.is_physical and limit_of(line.edition) > 0 for line in stored.values()
    )
    free = expected_subtotal == 0 or not physical or expected_subtotal >= 5000
    assert pricing.shipping_cents == (0 if free else 500)
    assert pricing.total_cents == expected_subtotal + pricing.shipping_cents
    for priced in pricing.lines:
        assert priced.unit_price_cents == priced.edition.price_cents
        assert priced.line_total_cents == priced.unit_price_cents * priced.quantity
        if priced.available:
            assert 1 <= priced.quantity <= limit_of(priced.edition)
        else:
            assert priced.quantity == 0
    for line in stored.values():
        assert 1 <= line.quantity <= MAX


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=steps)
def test_cart_totals_and_quantities_hold_after_any_sequence(app_ctx, steps):
    try:
        editions = [make_book(formats=(fmt,), on_hand=5).editions[0] for fmt in FORMATS]
        cart = services.open_cart(None, None)
        for action, index, value in steps:
            edition = editions[index]
            before = snapshot(cart)
            try:
                if action == "add":
                    services.add_item(cart, edition.id, value, max_per_line=MAX)
                elif action == "set":
                    services.set_quantity(cart, edition.id, value, max_per_line=MAX)
                elif action == "remove":
                    services.remove_line(cart, edition.id)
                elif action == "stock" and edition.is_physical:
                    edition.on_hand, edition.reserved = value, 0
                elif action == "price":
                    edition.price_cents = value
                elif action == "review":
                    services.review_cart(cart, today=TODAY, config=app_ctx.config)
                    for line in services.cart_lines(cart):
                        assert line.quantity <= limit_of(line.edition)
                db.session.flush()
            except BookstoreError:
                assert snapshot(cart) == before, f"a refused {action} changed the cart"
            else:
                if action in {"add", "set"}:
                    line = {e: q for e, q, _ in snapshot(cart)}[edition.id]
                    assert line <= limit_of(edition)
            check_invariants(app_ctx, cart)
    finally:
        db.session.rollback()
