"""Saved addresses: kept at checkout when asked, filled in next time, managed in the account."""

from sqlalchemy import select

from bookstore.addresses.models import SavedAddress
from bookstore.extensions import db
from tests.accounts.helpers import log_in
from tests.checkout.helpers import ADDRESS_FORM
from tests.checkout.shoppers import Buyer
from tests.factories import make_book, make_user

NEW = {
    "ship_name": "Misha Ivanov",
    "ship_line1": "12 Elm Street",
    "ship_line2": "",
    "ship_city": "Burlington",
    "ship_region": "VT",
    "ship_postal_code": "05401",
    "ship_country": "US",
}


def _signed_in(app, email="anna@example.com"):
    with app.app_context():
        make_user(email)
        edition_id = make_book("Murder at the Dacha").editions[0].id
        db.session.commit()
    client = app.test_client()
    assert log_in(client, email).status_code in (302, 303)
    return client, edition_id


def _addresses(app):
    with app.app_context():
        rows = db.session.scalars(select(SavedAddress).order_by(SavedAddress.id)).all()
        return [(a.name, a.city, a.is_default) for a in rows]


def test_ticking_save_keeps_the_address_and_the_next_checkout_fills_it_in(app):
    client, edition_id = _signed_in(app)
    buyer = Buyer(app, client)
    buyer.add(edition_id)
    page = client.get("/checkout").text
    assert "Save this address to my account" in page
    assert buyer.give_details(email="anna@example.com", save_address="y").status_code == 303
    assert _addresses(app) == [("Anna Petrova", "Montpelier", True)]
    # Saved twice, kept once.
    buyer.give_details(email="anna@example.com", save_address="y")
    assert len(_addresses(app)) == 1
    with client.session_transaction() as session:
        session.pop("checkout_details")
    page = client.get("/checkout").text
    assert 'value="73 Main Street"' in page
    assert "Your saved addresses" in page


def test_a_guest_is_not_offered_to_save_an_address(app):
    with app.app_context():
        edition_id = make_book().editions[0].id
        db.session.commit()
    buyer = Buyer(app)
    buyer.add(edition_id)
    assert "Save this address" not in buyer.client.get("/checkout").text
    assert buyer.give_details(save_address="y").status_code == 303
    assert _addresses(app) == []


def test_picking_a_saved_address_fills_in_the_form(app):
    client, edition_id = _signed_in(app)
    assert client.post("/account/addresses/new", data=NEW).status_code == 303
    client.post("/account/addresses/new", data={**ADDRESS_FORM, "make_default": "y"})
    Buyer(app, client).add(edition_id)
    with app.app_context():
        misha = db.session.scalar(
            select(SavedAddress.id).where(SavedAddress.name == "Misha Ivanov")
        )
    page = client.get("/checkout").text
    assert 'value="73 Main Street"' in page  # the default
    page = client.get(f"/checkout?address={misha}").text
    assert 'value="12 Elm Street"' in page
    # Someone else's (or no such) address fills in nothing.
    assert 'value="12 Elm Street"' not in client.get("/checkout?address=999999").text


def test_addresses_are_added_changed_made_default_and_deleted(app):
    client, _ = _signed_in(app)
    refused = client.post("/account/addresses/new", data={**NEW, "ship_postal_code": "ABC"})
    assert refused.status_code == 400
    assert "Enter a ZIP code" in refused.text
    client.post("/account/addresses/new", data=NEW)
    client.post("/account/addresses/new", data=ADDRESS_FORM)
    assert _addresses(app) == [
        ("Misha Ivanov", "Burlington", True),
        ("Anna Petrova", "Montpelier", False),
    ]
    with app.app_context():
        first, second = db.session.scalars(select(SavedAddress.id).order_by(SavedAddress.id)).all()
    listing = client.get("/account/addresses/")
    assert listing.status_code == 200
    assert "12 Elm Street" in listing.text
    assert client.post(f"/account/addresses/{second}/default").status_code == 303
    assert _addresses(app)[1][2] is True
    assert _addresses(app)[0][2] is False
    changed = client.post(f"/account/addresses/{first}", data={**NEW, "ship_city": "Stowe"})
    assert changed.status_code == 303
    assert _addresses(app)[0][1] == "Stowe"
    assert client.post(f"/account/addresses/{second}/delete").status_code == 303
    assert _addresses(app) == [("Misha Ivanov", "Stowe", True)]
    account = client.get("/account/").text
    assert "Saved addresses" in account
    assert "Stowe" in account


def test_another_shoppers_address_is_not_found(app):
    client, _ = _signed_in(app)
    client.post("/account/addresses/new", data=NEW)
    with app.app_context():
        address_id = db.session.scalar(select(SavedAddress.id))
    other, _ = _signed_in(app, "boris@example.com")
    assert other.get(f"/account/addresses/{address_id}").status_code == 404
    assert other.post(f"/account/addresses/{address_id}/delete").status_code == 404
    assert len(_addresses(app)) == 1


def test_addresses_need_a_login(app):
    response = app.test_client().get("/account/addresses/")
    assert response.status_code in (302, 303, 401)
