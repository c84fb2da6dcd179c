"""The wishlist: save for later (book page and cart lines), the page with price and
availability, move to cart."""

from sqlalchemy import select

from bookstore.cart.models import Cart, CartLine
from bookstore.extensions import db
from bookstore.wishlist.models import WishlistItem
from tests.alerts.helpers import reader_client
from tests.factories import make_book


def saved(app, user_id):
    with app.app_context():
        return sorted(
            db.session.scalars(
                select(WishlistItem.edition_id).where(WishlistItem.user_id == user_id)
            )
        )


def cart_lines(app, user_id):
    with app.app_context():
        return {
            line.edition_id: line.quantity
            for line in db.session.scalars(
                select(CartLine).join(Cart).where(Cart.user_id == user_id)
            )
        }


def books(app):
    with app.app_context():
        stocked = make_book("Murder at the Dacha", on_hand=5, price_cents=1600)
        sold_out = make_book("The Samovar", on_hand=0, price_cents=2100)
        db.session.commit()
        return stocked.editions[0].id, stocked.slug, sold_out.editions[0].id


def test_save_for_later_from_the_book_page_and_see_price_and_availability(app):
    stocked, slug, sold_out = books(app)
    client, user_id = reader_client(app)
    page = client.get(f"/books/{slug}")
    assert "Save for later" in page.text
    for edition_id in (stocked, sold_out, stocked):
        response = client.post("/account/wishlist/add", data={"edition_id": edition_id})
        assert response.status_code == 303
    assert saved(app, user_id) == sorted([stocked, sold_out])
    page = client.get("/account/wishlist")
    assert page.status_code == 200
    for text in ("$16.00", "$21.00", "In stock", "Out of stock"):
        assert text in page.text
    # In stock: move it; sold out: ask to be told.
    assert page.text.count("Move to cart") == 1
    assert "Email me when it's available" in page.text
    assert "Saved on" in client.get(f"/books/{slug}").text


def test_move_to_cart_puts_one_copy_in_the_cart_and_takes_it_off_the_list(app):
    stocked, _, _ = books(app)
    client, user_id = reader_client(app)
    client.post("/account/wishlist/add", data={"edition_id": stocked})
    response = client.post("/account/wishlist/move-to-cart", data={"edition_id": stocked})
    assert response.status_code == 303
    assert cart_lines(app, user_id) == {stocked: 1}
    assert saved(app, user_id) == []


def test_a_sold_out_book_stays_on_the_list_when_it_cannot_move(app):
    _, _, sold_out = books(app)
    client, user_id = reader_client(app)
    client.post("/account/wishlist/add", data={"edition_id": sold_out})
    page = client.post(
        "/account/wishlist/move-to-cart", data={"edition_id": sold_out}, follow_redirects=True
    )
    assert "out of stock" in page.text
    assert saved(app, user_id) == [sold_out]
    assert cart_lines(app, user_id) == {}


def test_save_for_later_on_a_cart_line_moves_it_out_of_the_cart(app):
    stocked, _, _ = books(app)
    client, user_id = reader_client(app)
    client.post("/cart/add", data={"edition_id": stocked, "quantity": "2"})
    assert "Save for later" in client.get("/cart").text
    response = client.post("/account/wishlist/save-cart-line", data={"edition_id": stocked})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/cart")
    assert cart_lines(app, user_id) == {}
    assert saved(app, user_id) == [stocked]


def test_removing_from_the_wishlist(app):
    stocked, _, _ = books(app)
    client, user_id = reader_client(app)
    client.post("/account/wishlist/add", data={"edition_id": stocked})
    client.post("/account/wishlist/remove", data={"edition_id": stocked})
    assert saved(app, user_id) == []
    page = client.post(
        "/account/wishlist/remove", data={"edition_id": stocked}, follow_redirects=True
    )
    assert "not on your wishlist" in page.text


def test_guests_are_asked_to_log_in(app, client):
    stocked, slug, _ = books(app)
    assert "to save it for later" in client.get(f"/books/{slug}").text
    response = client.get("/account/wishlist")
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]
    assert client.post("/account/wishlist/add", data={"edition_id": stocked}).status_code == 302


def test_bad_wishlist_input_gets_a_message_not_an_error(app):
    client, _ = reader_client(app)
    for data in ({"edition_id": "abc"}, {"edition_id": "99999"}, {}):
        page = client.post("/account/wishlist/add", data=data, follow_redirects=True)
        assert page.status_code == 200
        assert "could not be found" in page.text


def test_the_account_page_links_to_the_wishlist(app):
    client, _ = reader_client(app)
    assert "/account/wishlist" in client.get("/account/").text
