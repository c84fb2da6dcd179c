"""Confirming an account's email address: the link in the welcome email (or a new one from
the account page) proves the mailbox, and the orders placed and stock alerts set as a guest
with that address join the account then, and at later logins."""

from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from bookstore.accounts.confirming import confirm_url
from bookstore.accounts.models import User
from bookstore.alerts.models import AlertState, StockAlert
from bookstore.checkout.models import Order
from bookstore.extensions import db
from tests.accounts.helpers import link_in, log_in, sign_up
from tests.alerts.helpers import sold_out_edition, waiting_alert
from tests.factories import make_user
from tests.staff.helpers import make_order


def _guest_orders(app, *emails) -> list[int]:
    with app.app_context():
        ids = [make_order(1600, email=email).id for email in emails]
        db.session.commit()
        return ids


def _owners(app, order_ids) -> list[int | None]:
    with app.app_context():
        return [db.session.get(Order, order_id).user_id for order_id in order_ids]


def _user(app, email="anna@example.com") -> User:
    with app.app_context():
        user = db.session.scalars(select(User).where(User.email == email)).one()
        db.session.expunge(user)
        return user


def test_the_welcome_link_confirms_and_brings_the_guest_orders_in(app, client, outbox):
    mine = _guest_orders(app, "anna@example.com", "anna@example.com")
    theirs = _guest_orders(app, "boris@example.com")
    sign_up(client)
    assert _user(app).email_confirmed_at is None
    assert _owners(app, mine) == [None, None]  # an address typed at sign-up proves nothing
    [welcome] = outbox.to("anna@example.com")
    link = link_in(welcome, "/account/confirm/")
    response = client.get(link, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Thank you: anna@example.com is confirmed." in page
    assert "2 orders you placed as a guest with anna@example.com are now in your account." in page
    user = _user(app)
    assert user.email_confirmed_at is not None
    assert _owners(app, mine) == [user.id, user.id]
    assert _owners(app, theirs) == [None]
    assert "(confirmed)" in client.get("/account/").get_data(as_text=True)
    # The link again: still confirmed, nothing more to bring.
    again = client.get(link, follow_redirects=True).get_data(as_text=True)
    assert "is confirmed" in again
    assert "now in your account" not in again


def test_an_order_another_account_owns_stays_with_it(app, client, outbox):
    with app.app_context():
        boris = make_user("boris@example.com")
        owned = make_order(1600, email="anna@example.com")
        owned.user_id = boris.id  # Boris bought it while logged in, with Anna's address typed
        db.session.commit()
        owned_id, boris_id = owned.id, boris.id
    sign_up(client)
    client.get(link_in(outbox.to("anna@example.com")[0], "/account/confirm/"))
    assert _owners(app, [owned_id]) == [boris_id]


def test_a_confirmed_account_gathers_later_guest_orders_when_it_logs_in(app, client, outbox):
    sign_up(client)
    client.get(link_in(outbox.to("anna@example.com")[0], "/account/confirm/"))
    client.post("/account/logout")
    later = _guest_orders(app, "anna@example.com")
    response = log_in(client, "anna@example.com", password="samovar under the birch trees")
    assert response.status_code == 302
    page = client.get("/account/").get_data(as_text=True)
    assert "1 order you placed as a guest with anna@example.com is now in your account." in page
    assert _owners(app, later) == [_user(app).id]


def test_an_unconfirmed_account_gathers_nothing_at_login(app, client):
    sign_up(client)
    client.post("/account/logout")
    guest = _guest_orders(app, "anna@example.com")
    log_in(client, "anna@example.com", password="samovar under the birch trees")
    assert _owners(app, guest) == [None]


@pytest.mark.parametrize("token", ["nonsense", "a" * 400, "eyJ1aWQiOjF9.bad.sig"])
def test_a_bad_link_says_so(client, token):
    response = client.get(f"/account/confirm/{token}")
    assert response.status_code == 400
    assert "That confirmation link has expired" in response.get_data(as_text=True)


def test_a_link_for_an_address_no_longer_the_accounts_stops_working(app, client, outbox):
    sign_up(client)
    link = link_in(outbox.to("anna@example.com")[0], "/account/confirm/")
    client.post(
        "/account/email",
        data={"email": "anna@new.example", "password": "samovar under the birch trees"},
    )
    assert client.get(link).status_code == 400
    assert _user(app, "anna@new.example").email_confirmed_at is None
    [changed] = outbox.to("anna@new.example")
    client.get(link_in(changed, "/account/confirm/"))
    assert _user(app, "anna@new.example").email_confirmed_at is not None
    # Only the new mailbox got a link to confirm.
    assert "/account/confirm/" not in outbox.to("anna@example.com")[-1].as_string()


def test_changing_the_address_makes_it_unconfirmed_again(app, client, outbox):
    sign_up(client)
    client.get(link_in(outbox.to("anna@example.com")[0], "/account/confirm/"))
    client.post(
        "/account/email",
        data={"email": "anna@new.example", "password": "samovar under the birch trees"},
    )
    assert _user(app, "anna@new.example").email_confirmed_at is None
    assert "(not confirmed yet)" in client.get("/account/").get_data(as_text=True)


def test_the_account_page_sends_a_new_link(app, client, outbox):
    sign_up(client)
    page = client.get("/account/").get_data(as_text=True)
    assert "(not confirmed yet)" in page
    assert "Email me a link to confirm it" in page
    response = client.post("/account/confirm", follow_redirects=True)
    assert "We sent a link to anna@example.com" in response.get_data(as_text=True)
    sent = outbox.to("anna@example.com")[-1]
    assert sent["Subject"] == "Confirm your email address"
    client.get(link_in(sent, "/account/confirm/"))
    assert _user(app).email_confirmed_at is not None
    again = client.post("/account/confirm", follow_redirects=True).get_data(as_text=True)
    assert "anna@example.com is already confirmed." in again


def test_confirming_needs_no_session_and_sends_to_login(app, client, outbox):
    sign_up(client)
    link = link_in(outbox.to("anna@example.com")[0], "/account/confirm/")
    other = app.test_client()  # the email opened in another browser
    response = other.get(link)
    assert response.status_code == 302
    assert response.location.startswith("/account/login")
    assert _user(app).email_confirmed_at is not None


def test_a_link_made_for_one_account_confirms_only_it(app):
    with app.test_request_context():
        anna = make_user("anna@example.com")
        make_user("boris@example.com")
        db.session.commit()
        path = urlsplit(confirm_url(anna)).path
    assert app.test_client().get(path).status_code == 302
    assert _user(app).email_confirmed_at is not None
    assert _user(app, "boris@example.com").email_confirmed_at is None


def test_the_data_file_says_when_the_address_was_confirmed(app, client, outbox):
    sign_up(client)
    client.get(link_in(outbox.to("anna@example.com")[0], "/account/confirm/"))
    data = client.get("/account/data").get_json()
    assert data["account"]["email_confirmed_at"].startswith("20")


def test_confirming_brings_the_guests_stock_alerts_in(app, client, outbox):
    with app.app_context():
        titles = ("Dacha", "Davai!", "Winter Tales", "Cold Spring")
        first, second, both, unasked = (sold_out_edition(title) for title in titles)
        waiting_alert(first, email="anna@example.com")
        waiting_alert(second, email="anna@example.com")
        guest_twin = waiting_alert(both, email="anna@example.com").id
        unconfirmed = waiting_alert(unasked, email="anna@example.com")
        unconfirmed.state = AlertState.PENDING  # the guest never followed its own link
        waiting_alert(first, email="boris@example.com")
        db.session.commit()
    sign_up(client)
    with app.app_context():
        own = waiting_alert(both, user_id=_user(app).id).id  # set while logged in
        db.session.commit()
    page = client.get(
        link_in(outbox.to("anna@example.com")[0], "/account/confirm/"), follow_redirects=True
    ).get_data(as_text=True)
    assert "2 stock alerts you set as a guest with anna@example.com are now in your account." in (
        page
    )
    with app.app_context():
        alerts = db.session.scalars(select(StockAlert).order_by(StockAlert.id)).all()
        user_id = _user(app).id
        kept = {(a.edition_id, a.user_id, a.email, a.state) for a in alerts}
    waiting = AlertState.WAITING
    assert kept == {
        (first, user_id, None, waiting),
        (second, user_id, None, waiting),
        (both, None, "anna@example.com", AlertState.CANCELLED),  # the account's own stands
        (unasked, None, "anna@example.com", AlertState.PENDING),
        (first, None, "boris@example.com", waiting),
        (both, user_id, None, waiting),
    }
    assert {guest_twin, own} <= {a.id for a in alerts}
    account = client.get("/account/wishlist").get_data(as_text=True)
    assert "Dacha" in account
    assert "Davai!" in account
