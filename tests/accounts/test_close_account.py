"""Closing an account: what goes with it, what stays, and what stops it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bookstore.accounts.models import Role, User
from bookstore.addresses.models import SavedAddress
from bookstore.alerts.models import StockAlert
from bookstore.cart.models import Cart
from bookstore.catalog.models import Book, Format
from bookstore.checkout.models import Order, Shipment
from bookstore.checkout.states import OrderState
from bookstore.deals.models import DealClaim
from bookstore.digest.models import Subscriber
from bookstore.extensions import db
from bookstore.members.models import Membership
from bookstore.reviews.models import Review, ReviewVote
from bookstore.wishlist.models import WishlistItem
from tests.accounts.everything import reader_with_everything
from tests.accounts.helpers import is_logged_in, log_in, sign_up
from tests.factories import TEST_PASSWORD, make_book, make_user
from tests.reviews.helpers import buy

ANNA = "anna@example.com"


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


@pytest.fixture
def anna(app):
    """A member with something in every corner of the shop (``reader_with_everything``)."""
    with app.app_context():
        return reader_with_everything(ANNA)


def close(client, password=TEST_PASSWORD):
    return client.post("/account/close", data={"password": password})


def test_the_account_page_links_to_closing_it(client, anna):
    log_in(client, ANNA)
    assert 'href="/account/close"' in client.get("/account/").get_data(as_text=True)


def test_the_close_page_says_what_goes_what_stays_and_that_the_membership_ends(client, anna):
    log_in(client, ANNA)
    page = client.get("/account/close").get_data(as_text=True)
    assert "What closing deletes" in page
    assert "Orders you placed stay in our records" in page
    assert "Your membership, paid until" in page
    assert "The messages you sent us through the contact form stay" in page
    assert 'name="password"' in page


def test_a_reader_closes_their_account_and_what_was_theirs_goes(app, client, anna, outbox):
    user_id, dacha_id, nina_review_id = anna
    log_in(client, ANNA)
    response = close(client)
    assert response.status_code == 303
    assert response.location == "/"
    home = client.get("/").get_data(as_text=True)
    assert f"Your account is closed. We have sent a note to {ANNA}." in home
    assert not is_logged_in(client)

    with app.app_context():
        assert db.session.get(User, user_id) is None
        for model in (SavedAddress, WishlistItem, Cart, Membership, DealClaim, ReviewVote, Review):
            assert count(model, model.user_id == user_id) == 0, model
        # The alert and the digest kept by address, not by account, stay: their emails stop them.
        assert db.session.scalars(select(StockAlert.email)).all() == [ANNA]
        assert db.session.scalars(select(Subscriber.email)).all() == [ANNA]
        # Her order stays for the shop's accounts, with its address, without the account.
        [order] = db.session.scalars(select(Order)).all()
        assert (order.user_id, order.email, order.state) == (None, ANNA, OrderState.SHIPPED)
        # The book's rating and Nina's helpful votes no longer count hers.
        book = db.session.get(Book, dacha_id)
        assert (book.review_count, book.rating_total) == (1, 5)
        assert db.session.get(Review, nina_review_id).helpful_count == 0

    [note] = outbox.to(ANNA)[-1:]
    assert note["Subject"] == "Your Russian Life Books account is closed"
    assert "Orders you placed stay in our records" in note.get_body(("plain",)).get_content()


def test_a_closed_account_logs_in_nowhere_and_its_address_can_sign_up_again(app, client, anna):
    elsewhere = app.test_client()
    log_in(elsewhere, ANNA)
    log_in(client, ANNA)
    assert close(client).status_code == 303
    assert not is_logged_in(elsewhere)
    assert log_in(app.test_client(), ANNA).status_code == 200  # the form again: no account
    assert sign_up(app.test_client(), email=ANNA).location == "/account/"


def test_a_wrong_password_closes_nothing(app, client, anna):
    log_in(client, ANNA)
    response = close(client, password="not my password")
    assert response.status_code == 200
    assert "Your password is not right." in response.get_data(as_text=True)
    assert is_logged_in(client)
    with app.app_context():
        assert db.session.get(User, anna[0]) is not None


def test_an_empty_password_is_asked_for(client, anna):
    log_in(client, ANNA)
    page = close(client, password="").get_data(as_text=True)
    assert "Enter your password to close your account." in page
    assert is_logged_in(client)


@pytest.mark.parametrize(
    ("state", "fmt", "shipped", "says"),
    [
        (OrderState.PENDING_PAYMENT, Format.PAPERBACK, False, "is waiting for payment"),
        (OrderState.NEEDS_REVIEW, Format.EBOOK, False, "is being checked by our staff"),
        (OrderState.PAID, Format.PAPERBACK, False, "has not shipped yet"),
        (OrderState.PARTIALLY_REFUNDED, Format.HARDCOVER, False, "has not shipped yet"),
    ],
)
def test_an_order_under_way_stops_closing_until_it_is_settled(
    app, client, state, fmt, shipped, says
):
    with app.app_context():
        user = make_user(ANNA)
        book = make_book("Murder at the Dacha", formats=(fmt,))
        order = buy(user, book, state)
        reference, order_id = order.reference, order.id
        db.session.commit()
    log_in(client, ANNA)
    page = client.get("/account/close").get_data(as_text=True)
    assert f"Order {reference[:8].upper()} {says}" in page
    assert f'href="/account/orders/{reference}"' in page
    assert 'name="password"' not in page  # nothing to submit yet
    # Submitted anyway (an old tab): refused, with the same reasons, the account kept.
    assert says in close(client).get_data(as_text=True)
    assert is_logged_in(client)

    with app.app_context():
        settled = db.session.get(Order, order_id)
        if state.is_shippable:
            db.session.add(Shipment(order_id=order_id, carrier="USPS"))
        else:
            settled.state = OrderState.CANCELLED
        db.session.commit()
    assert close(client).status_code == 303


@pytest.mark.parametrize(
    ("state", "fmt"),
    [
        (OrderState.SHIPPED, Format.PAPERBACK),
        (OrderState.PAID, Format.EBOOK),  # nothing to send
        (OrderState.REFUNDED, Format.PAPERBACK),
        (OrderState.EXPIRED, Format.PAPERBACK),
    ],
)
def test_settled_orders_do_not_stop_closing(app, client, state, fmt):
    with app.app_context():
        user = make_user(ANNA)
        buy(user, make_book("Murder at the Dacha", formats=(fmt,)), state)
        db.session.commit()
    log_in(client, ANNA)
    assert close(client).status_code == 303


def test_staff_accounts_are_not_closed_from_the_shop(app, client):
    with app.app_context():
        make_user(ANNA, role=Role.STAFF)
        db.session.commit()
    log_in(client, ANNA)
    page = client.get("/account/close").get_data(as_text=True)
    assert "A staff or admin account cannot be closed from the shop" in page
    assert "cannot be closed" in close(client).get_data(as_text=True)
    assert is_logged_in(client)


def test_the_book_page_forgets_the_closed_readers_review(app, client, anna):
    _user_id, dacha_id, _nina = anna
    with app.app_context():
        slug = db.session.get(Book, dacha_id).slug
    reader = app.test_client()
    for _view in range(2):  # kept by the page cache from its second view
        assert "Not for me, sadly." in reader.get(f"/books/{slug}").get_data(as_text=True)
    log_in(client, ANNA)
    assert close(client).status_code == 303
    page = reader.get(f"/books/{slug}").get_data(as_text=True)
    assert "Not for me, sadly." not in page
    assert "Wonderful dacha." in page


def test_staff_close_an_account_at_its_owners_request(app, runner, anna, outbox):
    result = runner.invoke(args=["users", "close", "Anna@Example.com", "--yes"])
    assert result.exit_code == 0, result.output
    assert f"Closed the account {ANNA}" in result.output
    with app.app_context():
        assert db.session.get(User, anna[0]) is None
    assert outbox.to(ANNA)[-1]["Subject"] == "Your Russian Life Books account is closed"


def test_staff_are_told_what_stops_a_closing_and_about_unknown_addresses(app, runner):
    with app.app_context():
        user = make_user(ANNA)
        reference = buy(user, make_book("Murder at the Dacha"), OrderState.PAID).reference
        db.session.commit()
    result = runner.invoke(args=["users", "close", ANNA, "--yes"])
    assert result.exit_code == 1
    assert f"Order {reference[:8].upper()} has not shipped yet" in result.output
    result = runner.invoke(args=["users", "close", "nobody@example.com", "--yes"])
    assert result.exit_code == 1
    assert "No account uses nobody@example.com." in result.output


def test_the_only_admin_is_not_closed(app, runner):
    with app.app_context():
        make_user("boss@example.com", role=Role.ADMIN)
        db.session.commit()
    result = runner.invoke(args=["users", "close", "boss@example.com", "--yes"])
    assert result.exit_code == 1
    assert "the only admin" in result.output


def test_staff_confirm_before_an_account_closes(app, runner, anna):
    result = runner.invoke(args=["users", "close", ANNA], input="n\n")
    assert result.exit_code == 1
    assert "Aborted" in result.output
    with app.app_context():
        assert db.session.get(User, anna[0]) is not None
