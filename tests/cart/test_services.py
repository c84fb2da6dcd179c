"""Cart services against SQLite and PostgreSQL: add, change, remove, empty, price, merge."""

from datetime import date, timedelta

import pytest

from bookstore.cart import services
from bookstore.cart.models import Cart
from bookstore.dbtypes import utcnow
from bookstore.errors import InvalidInput, NotFound, OutOfStock
from bookstore.extensions import db
from tests.cart.helpers import MAX, snapshot
from tests.factories import make_user

TODAY = date(2026, 11, 29)


def config(app, **overrides):
    return {**app.config, **overrides}


def test_no_cart_is_created_until_something_is_added(app_ctx):
    assert services.find_cart(None, None) is None
    assert services.find_cart(None, services.new_token()) is None
    assert db.session.query(Cart).count() == 0


def test_adding_twice_adds_the_quantities_on_one_line(guest_cart, make_edition):
    edition = make_edition(on_hand=10, price_cents=1600)
    services.add_item(guest_cart, edition.id, 2, max_per_line=MAX)
    services.add_item(guest_cart, edition.id, 3, max_per_line=MAX)
    assert snapshot(guest_cart) == [(edition.id, 5, 1600)]


def test_price_seen_is_the_database_price(guest_cart, make_edition):
    edition = make_edition(price_cents=2350)
    line = services.add_item(guest_cart, edition.id, 1, max_per_line=MAX)
    assert line.price_seen_cents == 2350


@pytest.mark.parametrize("quantity", [0, -1, 11, 10**9, 1.5, "2", True, None])
def test_bad_quantities_are_refused_by_the_service(guest_cart, make_edition, quantity):
    edition = make_edition()
    with pytest.raises(InvalidInput, match="from 1 to 10"):
        services.add_item(guest_cart, edition.id, quantity, max_per_line=MAX)
    assert snapshot(guest_cart) == []


def test_unknown_edition_is_refused(guest_cart):
    with pytest.raises(NotFound, match="could not be found"):
        services.add_item(guest_cart, 987654, 1, max_per_line=MAX)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"active": False}, "no longer sold"),
        ({"out_of_print": True}, "out of print"),
        ({"on_hand": 0}, "out of stock"),
    ],
)
def test_editions_that_cannot_be_sold_are_refused(guest_cart, make_edition, fields, message):
    edition = make_edition(**fields)
    with pytest.raises(OutOfStock, match=message):
        services.add_item(guest_cart, edition.id, 1, max_per_line=MAX)
    assert snapshot(guest_cart) == []


def test_adding_more_than_is_available_is_refused_and_changes_nothing(guest_cart, make_edition):
    edition = make_edition(on_hand=5, reserved=2)
    services.add_item(guest_cart, edition.id, 2, max_per_line=MAX)
    with pytest.raises(OutOfStock, match="Only 3 copies .* You already have 2"):
        services.add_item(guest_cart, edition.id, 2, max_per_line=MAX)
    assert snapshot(guest_cart) == [(edition.id, 2, edition.price_cents)]


def test_a_line_never_holds_more_than_the_per_line_maximum(guest_cart, make_edition):
    edition = make_edition(on_hand=100)
    services.add_item(guest_cart, edition.id, 8, max_per_line=MAX)
    with pytest.raises(InvalidInput, match="at most 10"):
        services.add_item(guest_cart, edition.id, 3, max_per_line=MAX)
    assert snapshot(guest_cart)[0][1] == 8


def test_an_ebook_is_added_once(guest_cart, make_edition):
    ebook = make_edition("ebook")
    with pytest.raises(InvalidInput, match="quantity is always 1"):
        services.add_item(guest_cart, ebook.id, 2, max_per_line=MAX)
    services.add_item(guest_cart, ebook.id, 1, max_per_line=MAX)
    with pytest.raises(InvalidInput, match="already in your cart"):
        services.add_item(guest_cart, ebook.id, 1, max_per_line=MAX)
    assert snapshot(guest_cart)[0][1] == 1


def test_a_preorder_can_be_added_up_to_its_allocated_copies(guest_cart, make_edition):
    preorder = make_edition(on_hand=4, published_on=date(2099, 1, 1))
    services.add_item(guest_cart, preorder.id, 4, max_per_line=MAX)
    with pytest.raises(OutOfStock):
        services.add_item(guest_cart, preorder.id, 1, max_per_line=MAX)


def test_set_quantity_changes_the_line_within_stock(guest_cart, make_edition):
    edition = make_edition(on_hand=6)
    services.add_item(guest_cart, edition.id, 1, max_per_line=MAX)
    services.set_quantity(guest_cart, edition.id, 6, max_per_line=MAX)
    assert snapshot(guest_cart)[0][1] == 6
    with pytest.raises(OutOfStock, match="Only 6"):
        services.set_quantity(guest_cart, edition.id, 7, max_per_line=MAX)
    with pytest.raises(InvalidInput):
        services.set_quantity(guest_cart, edition.id, 0, max_per_line=MAX)
    assert snapshot(guest_cart)[0][1] == 6


def test_set_quantity_of_a_book_not_in_the_cart_is_refused(guest_cart, make_edition):
    edition = make_edition()
    with pytest.raises(NotFound, match="not in your cart"):
        services.set_quantity(guest_cart, edition.id, 1, max_per_line=MAX)


def test_set_quantity_of_a_retired_edition_asks_to_remove_it(guest_cart, make_edition):
    edition = make_edition()
    services.add_item(guest_cart, edition.id, 2, max_per_line=MAX)
    edition.active = False
    with pytest.raises(OutOfStock, match="remove it"):
        services.set_quantity(guest_cart, edition.id, 1, max_per_line=MAX)


def test_remove_and_empty(guest_cart, make_edition):
    first, second = make_edition(), make_edition()
    services.add_item(guest_cart, first.id, 1, max_per_line=MAX)
    services.add_item(guest_cart, second.id, 1, max_per_line=MAX)
    services.remove_line(guest_cart, first.id)
    assert [line[0] for line in snapshot(guest_cart)] == [second.id]
    with pytest.raises(NotFound):
        services.remove_line(guest_cart, first.id)
    assert services.empty_cart(guest_cart) == 1
    assert snapshot(guest_cart) == []
    assert services.find_cart(None, guest_cart.token) is not None


def test_another_carts_line_cannot_be_changed_through_my_cart(guest_cart, make_edition):
    edition = make_edition()
    other = services.open_cart(None, None)
    services.add_item(other, edition.id, 2, max_per_line=MAX)
    with pytest.raises(NotFound):
        services.set_quantity(guest_cart, edition.id, 1, max_per_line=MAX)
    with pytest.raises(NotFound):
        services.remove_line(guest_cart, edition.id)
    assert snapshot(other) == [(edition.id, 2, edition.price_cents)]


def test_a_token_never_finds_a_users_cart(app_ctx):
    user = make_user()
    cart = services.open_cart(user)
    assert services.find_cart(user, None) is cart
    assert services.find_cart(None, cart.token) is None


def test_price_cart_totals_from_database_prices(app, guest_cart, make_edition):
    paperback = make_edition(price_cents=1600)
    ebook = make_edition("ebook", price_cents=999)
    services.add_item(guest_cart, paperback.id, 2, max_per_line=MAX)
    services.add_item(guest_cart, ebook.id, 1, max_per_line=MAX)
    pricing = services.price_cart(guest_cart, today=TODAY, config=config(app))
    assert pricing.subtotal_cents == 2 * 1600 + 999
    assert pricing.shipping_cents == 500
    assert pricing.total_cents == 2 * 1600 + 999 + 500
    assert pricing.has_physical
    assert pricing.item_count == 3
    assert not pricing.needs_review
    assert [line.line_total_cents for line in pricing.lines] == [3200, 999]


def test_ebook_only_cart_ships_free(app, guest_cart, make_edition):
    ebook = make_edition("ebook", price_cents=999)
    services.add_item(guest_cart, ebook.id, 1, max_per_line=MAX)
    pricing = services.price_cart(guest_cart, today=TODAY, config=config(app))
    assert (pricing.shipping_cents, pricing.total_cents, pricing.has_physical) == (0, 999, False)


def test_free_shipping_from_the_threshold(app, guest_cart, make_edition):
    edition = make_edition(price_cents=2500)
    services.add_item(guest_cart, edition.id, 2, max_per_line=MAX)
    pricing = services.price_cart(guest_cart, today=TODAY, config=config(app))
    assert (pricing.subtotal_cents, pricing.shipping_cents) == (5000, 0)


def test_a_price_change_is_warned_once_then_remembered(app, guest_cart, make_edition):
    edition = make_edition(price_cents=1600)
    services.add_item(guest_cart, edition.id, 1, max_per_line=MAX)
    edition.price_cents = 1800
    db.session.flush()
    first = services.review_cart(guest_cart, today=TODAY, config=config(app))
    line = first.lines[0]
    assert (line.unit_price_cents, line.price_changed_from) == (1800, 1600)
    assert "went up from $16.00 to $18.00" in first.warnings[0]
    assert first.total_cents == 1800 + 500
    second = services.review_cart(guest_cart, today=TODAY, config=config(app))
    assert second.warnings == []
    assert second.lines[0].price_changed_from is None


def test_a_stock_fall_lowers_the_quantity_with_a_warning(app, guest_cart, make_edition):
    edition = make_edition(on_hand=8)
    services.add_item(guest_cart, edition.id, 5, max_per_line=MAX)
    edition.on_hand = 2
    db.session.flush()
    pricing = services.price_cart(guest_cart, today=TODAY, config=config(app))
    assert pricing.lines[0].quantity == 2
    assert pricing.lines[0].requested_quantity == 5
    assert pricing.subtotal_cents == 2 * edition.price_cents
    assert "went from 5 to 2" in pricing.warnings[0]
    assert snapshot(guest_cart)[0][1] == 5, "price_cart itself changes nothing"
    services.review_cart(guest_cart, today=TODAY, config=config(app))
    assert snapshot(guest_cart)[0][1] == 2


@pytest.mark.parametrize(
    "change", [{"on_hand": 0}, {"active": False}, {"out_of_print": True}], ids=str
)
def test_a_line_that_can_no_longer_be_bought_is_removed_with_a_warning(
    app, guest_cart, make_edition, change
):
    keep, gone = make_edition(price_cents=1000), make_edition(price_cents=2000)
    services.add_item(guest_cart, keep.id, 1, max_per_line=MAX)
    services.add_item(guest_cart, gone.id, 3, max_per_line=MAX)
    for name, value in change.items():
        setattr(gone, name, value)
    db.session.flush()
    pricing = services.review_cart(guest_cart, today=TODAY, config=config(app))
    assert pricing.subtotal_cents == 1000
    assert "removed from your cart" in pricing.warnings[0]
    assert [line[0] for line in snapshot(guest_cart)] == [keep.id]


def test_merge_adds_quantities_caps_them_and_says_so(app_ctx, make_edition):
    user = make_user()
    plenty, scarce, ebook = make_edition(on_hand=50), make_edition(on_hand=4), make_edition("ebook")
    only_guest = make_edition(on_hand=5)
    mine = services.open_cart(user)
    services.add_item(mine, plenty.id, 7, max_per_line=MAX)
    services.add_item(mine, scarce.id, 3, max_per_line=MAX)
    services.add_item(mine, ebook.id, 1, max_per_line=MAX)
    guest = services.open_cart(None, None)
    services.add_item(guest, plenty.id, 6, max_per_line=MAX)
    services.add_item(guest, scarce.id, 3, max_per_line=MAX)
    services.add_item(guest, ebook.id, 1, max_per_line=MAX)
    services.add_item(guest, only_guest.id, 2, max_per_line=MAX)
    guest_token = guest.token

    notes = services.merge_on_login(user, guest_token, max_per_line=MAX)

    quantities = {line[0]: line[1] for line in snapshot(mine)}
    assert quantities == {plenty.id: 10, scarce.id: 4, ebook.id: 1, only_guest.id: 2}
    assert notes[0] == "We added the 6 items from your guest cart to your cart."
    assert any("at most 10 per order, so your cart has 10, not 13" in n for n in notes)
    assert any("only 4 can be ordered now, so your cart has 4, not 6" in n for n in notes)
    assert any("already in your cart" in n for n in notes)
    assert services.find_cart(None, guest_token) is None
    assert db.session.query(Cart).count() == 1


def test_merge_into_a_user_without_a_cart_creates_one(app_ctx, make_edition):
    user = make_user()
    edition, retired = make_edition(), make_edition()
    guest = services.open_cart(None, None)
    services.add_item(guest, edition.id, 2, max_per_line=MAX)
    services.add_item(guest, retired.id, 1, max_per_line=MAX)
    retired.active = False
    db.session.flush()
    notes = services.merge_on_login(user, guest.token, max_per_line=MAX)
    cart = services.find_cart(user, None)
    assert snapshot(cart) == [(edition.id, 2, edition.price_cents)]
    assert notes == [
        "We added the 2 items from your guest cart to your cart.",
        f"{retired.book.title} (paperback) is no longer sold. It was not added to your cart.",
    ]


def test_merge_without_a_guest_cart_does_nothing(app_ctx):
    user = make_user()
    assert services.merge_on_login(user, None, max_per_line=MAX) == []
    assert services.merge_on_login(user, services.new_token(), max_per_line=MAX) == []
    assert services.find_cart(user, None) is None


def test_purge_deletes_old_guest_carts_only(app_ctx, make_edition):
    edition = make_edition()
    old_guest = services.open_cart(None, None)
    services.add_item(old_guest, edition.id, 1, max_per_line=MAX)
    fresh_guest = services.open_cart(None, None)
    old_user_cart = services.open_cart(make_user())
    long_ago = utcnow() - timedelta(days=40)
    old_guest.updated_at = long_ago
    old_user_cart.updated_at = long_ago
    db.session.flush()
    assert services.purge_guest_carts(older_than=timedelta(days=30)) == 1
    db.session.expire_all()
    remaining = set(db.session.scalars(db.select(Cart.id)))
    assert remaining == {fresh_guest.id, old_user_cart.id}


def test_cart_item_count_counts_copies(app_ctx, make_edition):
    user = make_user()
    cart = services.open_cart(user)
    services.add_item(cart, make_edition().id, 3, max_per_line=MAX)
    services.add_item(cart, make_edition("ebook").id, 1, max_per_line=MAX)
    assert services.cart_item_count(user, None) == 4
    assert services.cart_item_count(None, None) == 0
    assert services.cart_item_count(None, "not-a-real-token-but-long-enough") == 0
