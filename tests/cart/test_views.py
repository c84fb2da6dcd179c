"""Cart pages and forms through the test client, on SQLite and PostgreSQL."""

import html
import re
from datetime import date

import pytest
from flask_login import login_user
from sqlalchemy import event
from werkzeug.datastructures import MultiDict

from bookstore.cart import services
from bookstore.cart.add_form import PageForm, add_form_html, add_form_part, edition_offer
from bookstore.cart.models import Cart
from bookstore.cart.views import cart_template_helpers
from bookstore.catalog.filters import availability
from bookstore.extensions import db
from tests.accounts.helpers import log_in as log_in_through_form
from tests.cart.helpers import log_in, new_user, snapshot
from tests.cart.test_rules import BAD_QUANTITIES


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def edition(make_edition):
    edition = make_edition(on_hand=6, price_cents=1600)
    db.session.commit()
    return edition


def add(client, edition_id, quantity="1", **extra):
    return client.post("/cart/add", data={"edition_id": edition_id, "quantity": quantity, **extra})


def the_cart(client):
    """The client's guest cart, found by the token in its session."""
    with client.session_transaction() as session:
        token = session.get("cart_token")
    return services.find_cart(None, token)


def test_empty_cart_page_creates_nothing(client, app_ctx):
    response = client.get("/cart")
    assert response.status_code == 200
    assert "Your cart is empty." in page(response)
    assert db.session.query(Cart).count() == 0
    with client.session_transaction() as session:
        assert "cart_token" not in session


def test_guest_adds_a_book_and_sees_it_priced_from_the_database(client, edition):
    response = add(client, edition.id, "2", next="/books/somewhere")
    assert response.status_code == 303
    assert response.headers["Location"] == "/books/somewhere"
    assert snapshot(the_cart(client)) == [(edition.id, 2, 1600)]
    text = page(client.get("/cart"))
    assert edition.book.title in text
    assert "$32.00" in text  # line total and subtotal
    assert "$5.00" in text  # flat shipping
    assert "$37.00" in text
    assert 'class="cart-count" aria-label="2 items in cart">2<' in text


def test_redirects_after_posting_go_only_to_same_site_paths(client, edition):
    response = add(client, edition.id, next="//evil.example/x")
    assert response.headers["Location"] == "/cart"
    response = add(client, edition.id, next="https://evil.example/")
    assert response.headers["Location"] == "/cart"


@pytest.mark.parametrize("quantity", BAD_QUANTITIES)
def test_bad_quantities_are_refused_with_a_message_and_nothing_changes(client, edition, quantity):
    add(client, edition.id, "2")
    before = snapshot(the_cart(client))
    for url in ("/cart/add", "/cart/update"):
        response = client.post(url, data={"edition_id": edition.id, "quantity": quantity})
        assert response.status_code == 303
        text = page(client.get("/cart"))
        assert "Please choose a quantity from 1 to 10, as a whole number." in text
    assert snapshot(the_cart(client)) == before


@pytest.mark.parametrize(
    "data",
    [
        [("edition_id", "{id}"), ("quantity", "1"), ("quantity", "2")],
        [("edition_id", "{id}"), ("edition_id", "{id}"), ("quantity", "1")],
        [("edition_id", "{id}"), ("quantity", "1"), ("price", "0.01")],
        [("edition_id", "{id}"), ("quantity", "1"), ("price_cents", "1")],
        [("edition_id", "{id}"), ("quantity", "1"), ("currency", "RUB")],
        [("quantity", "1")],
        [("edition_id", "{id}")],
        [("edition_id", "abc"), ("quantity", "1")],
        [("edition_id", "-{id}"), ("quantity", "1")],
    ],
    ids=[
        "repeated-quantity",
        "repeated-edition",
        "price",
        "cents",
        "currency",
        "no-edition",
        "no-quantity",
        "bad-edition",
        "negative-edition",
    ],
)
def test_tampered_forms_are_refused_and_nothing_changes(client, edition, data):
    add(client, edition.id, "2")
    before = snapshot(the_cart(client))
    form = MultiDict([(key, value.format(id=edition.id)) for key, value in data])
    for url in ("/cart/add", "/cart/update"):
        response = client.post(url, data=form, follow_redirects=True)
        assert response.status_code == 200
        assert 'class="flash flash-error"' in page(response)
    assert snapshot(the_cart(client)) == before


def test_unknown_retired_and_out_of_print_editions_are_refused(client, make_edition):
    retired = make_edition(active=False)
    out_of_print = make_edition(out_of_print=True)
    sold_out = make_edition(on_hand=0)
    db.session.commit()
    cases = [
        (987654, "That book could not be found."),
        (retired.id, "is no longer sold."),
        (out_of_print.id, "is out of print."),
        (sold_out.id, "is out of stock."),
    ]
    for edition_id, message in cases:
        response = add(client, edition_id)
        assert response.headers["Location"] == "/cart"
        assert message in page(client.get("/cart"))
    assert db.session.query(Cart).count() == 0, "a refused first add creates no cart"


def test_asking_for_more_than_is_in_stock_is_refused(client, edition):
    add(client, edition.id, "5")
    response = add(client, edition.id, "2", next="/cart")
    assert response.status_code == 303
    assert "Only 6 copies" in page(client.get("/cart"))
    assert snapshot(the_cart(client))[0][1] == 5


def test_update_remove_and_empty_through_forms(client, make_edition):
    first, second = make_edition(), make_edition()
    db.session.commit()
    add(client, first.id)
    add(client, second.id)
    assert (
        client.post("/cart/update", data={"edition_id": first.id, "quantity": "4"}).status_code
        == 303
    )
    assert snapshot(the_cart(client))[0][1] == 4
    client.post("/cart/remove", data={"edition_id": first.id})
    assert [line[0] for line in snapshot(the_cart(client))] == [second.id]
    response = client.post("/cart/empty", follow_redirects=True)
    assert "Your cart is now empty." in page(response)
    assert snapshot(the_cart(client)) == []


def test_quantity_update_answers_json_for_the_script(client, edition):
    add(client, edition.id)
    response = client.post(
        "/cart/update",
        data={"edition_id": edition.id, "quantity": "3"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200
    data = response.get_json()
    assert data["ok"] is True
    assert (data["quantity"], data["line_total"], data["subtotal"]) == (3, "$48.00", "$48.00")
    assert (data["shipping"], data["total"], data["item_count"]) == ("$5.00", "$53.00", 3)


def test_a_refused_json_update_answers_400_with_the_message(client, edition):
    add(client, edition.id)
    response = client.post(
        "/cart/update",
        data={"edition_id": edition.id, "quantity": "1.5"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 400
    assert response.get_json() == {
        "ok": False,
        "error": "Please choose a quantity from 1 to 10, as a whole number.",
    }


def test_another_visitor_cannot_touch_my_cart(app, client, edition):
    add(client, edition.id, "2")
    mine = snapshot(the_cart(client))
    token = the_cart(client).token
    intruder = app.test_client()
    intruder.post("/cart/update", data={"edition_id": edition.id, "quantity": "5"})
    intruder.post("/cart/remove", data={"edition_id": edition.id})
    intruder.post("/cart/empty")
    intruder.post(
        "/cart/add", data={"edition_id": edition.id, "quantity": "1", "cart_token": token}
    )
    assert snapshot(the_cart(client)) == mine
    # A cookie forged with someone else's token but not signed with the shop's key is ignored.
    forger = app.test_client()
    forger.set_cookie("session", f'{{"cart_token":"{token}"}}')
    forger.post("/cart/empty")
    assert edition.book.title not in page(forger.get("/cart"))
    assert snapshot(the_cart(client)) == mine


def test_the_cart_page_warns_once_when_price_changed_and_stock_fell(client, make_edition):
    pricier, scarcer = make_edition(price_cents=1600), make_edition(on_hand=8)
    db.session.commit()
    add(client, pricier.id)
    add(client, scarcer.id, "5")
    pricier.price_cents = 1900
    scarcer.on_hand = 3
    db.session.commit()
    text = page(client.get("/cart"))
    assert "Your cart has changed" in text
    assert "went up from $16.00 to $19.00" in text
    assert "your quantity went from 5 to 3" in text
    assert snapshot(the_cart(client)) == [
        (pricier.id, 1, 1900),
        (scarcer.id, 3, scarcer.price_cents),
    ]
    assert "Your cart has changed" not in page(client.get("/cart"))


def test_a_logged_in_users_cart_is_found_by_the_user(app, client, edition):
    user = new_user()
    log_in(client, user)
    add(client, edition.id, "2")
    with client.session_transaction() as session:
        assert "cart_token" not in session
    assert snapshot(services.find_cart(user, None)) == [(edition.id, 2, 1600)]


def test_login_merges_the_guest_cart_with_a_message(app, make_edition):
    user = new_user()
    edition = make_edition(on_hand=3)
    mine = services.open_cart(user)
    services.add_item(mine, edition.id, 2, max_per_line=10)
    guest = services.open_cart(None, None)
    services.add_item(guest, edition.id, 2, max_per_line=10)
    db.session.commit()
    with app.test_request_context("/account/login", method="POST"):
        from flask import get_flashed_messages, session

        session["cart_token"] = guest.token
        login_user(user)
        messages = get_flashed_messages()
        assert "cart_token" not in session
    assert messages[0] == "We added the 1 item from your guest cart to your cart."
    assert "only 3 can be ordered now, so your cart has 3, not 4" in messages[1]
    db.session.expire_all()
    assert snapshot(services.find_cart(user, None))[0][1] == 3
    assert services.find_cart(None, guest.token) is None


def test_logging_in_through_the_form_keeps_the_guest_cart(client, make_edition):
    user = new_user()
    first, second = make_edition(price_cents=1600), make_edition(price_cents=2100)
    db.session.commit()
    assert add(client, first.id, "2").status_code == 303
    assert add(client, second.id).status_code == 303
    guest_token = the_cart(client).token

    response = log_in_through_form(client, user.email)
    assert response.status_code == 302, "the login form should accept the password"
    with client.session_transaction() as session:
        assert "cart_token" not in session

    text = page(client.get("/cart"))
    lines = re.findall(r'<tr class="cart-line" data-edition-id="(\d+)"', text)
    assert sorted(int(edition_id) for edition_id in lines) == sorted([first.id, second.id])
    assert "We added the 3 items from your guest cart to your cart." in text
    assert snapshot(services.find_cart(user, None)) == [
        (first.id, 2, 1600),
        (second.id, 1, 2100),
    ]
    assert services.find_cart(None, guest_token) is None
    assert "from your guest cart" not in page(client.get("/cart")), "the message shows once"


def add_to_cart_forms(text: str) -> list[str]:
    return re.findall(r'<form class="add-to-cart"[^>]*>.*?</form>', text, flags=re.DOTALL)


def test_the_book_page_has_one_add_form_per_edition(client, app_ctx):
    from tests.factories import make_book

    book = make_book("Two Formats", formats=("paperback", "ebook"), on_hand=4)
    db.session.commit()
    paperback, ebook = sorted(book.editions, key=lambda e: e.format.value != "paperback")
    assert (paperback.format.value, ebook.format.value) == ("paperback", "ebook")

    response = client.get(f"/books/{book.slug}")
    assert response.status_code == 200
    forms = add_to_cart_forms(page(response))
    assert len(forms) == 2
    by_edition = {}
    for form in forms:
        assert 'action="/cart/add"' in form
        ids = re.findall(r'<input type="hidden" name="edition_id" value="(\d+)">', form)
        assert len(ids) == 1, form
        by_edition[int(ids[0])] = form
    assert set(by_edition) == {paperback.id, ebook.id}
    # The paperback offers a choice of quantity up to stock; the ebook is always one copy.
    assert f'<select id="add-qty-{paperback.id}" name="quantity">' in by_edition[paperback.id]
    assert '<option value="4">4</option>' in by_edition[paperback.id]
    assert '<option value="5">' not in by_edition[paperback.id]
    assert '<input type="hidden" name="quantity" value="1">' in by_edition[ebook.id]
    assert "<select" not in by_edition[ebook.id]

    # Posting the ebook's form adds the ebook, and only it.
    assert add(client, ebook.id, "1", next=f"/books/{book.slug}").status_code == 303
    assert snapshot(the_cart(client)) == [(ebook.id, 1, ebook.price_cents)]


def count_queries(app, fn):
    statements = []

    def listener(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            result = fn()
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
    return result, statements


def test_cart_count_costs_no_query_for_a_guest_without_a_cart(app, app_ctx):
    with app.test_request_context("/"):
        helpers, statements = count_queries(app, cart_template_helpers)
    assert helpers["cart_count"] == 0
    assert statements == []


def test_cart_count_costs_one_query_for_a_guest_with_a_cart(app, edition):
    cart = services.open_cart(None, None)
    services.add_item(cart, edition.id, 3, max_per_line=10)
    db.session.commit()
    with app.test_request_context("/"):
        from flask import session

        session["cart_token"] = cart.token
        helpers, statements = count_queries(app, cart_template_helpers)
    assert helpers["cart_count"] == 3
    assert len(statements) == 1


def render_add_form(app, edition):
    """The book page's add-to-cart part for ``edition``, as text."""
    with app.test_request_context("/books/x"):
        return html.unescape(add_form_part()(edition, availability(edition)))


def render_offer(app, edition):
    """The form's HTML for what the cart may offer for ``edition``, whatever its state."""
    with app.test_request_context("/books/x"):
        form = PageForm(action="/cart/add", csrf_token="token", next="/books/x")
        return html.unescape(add_form_html(edition, edition_offer(edition), form))


def test_add_form_offers_quantities_up_to_stock(app, make_edition):
    edition = make_edition(on_hand=3)
    text = render_add_form(app, edition)
    assert f'name="edition_id" value="{edition.id}"' in text
    assert '<option value="3">3</option>' in text
    assert '<option value="4">' not in text
    assert f'<label for="add-qty-{edition.id}">Quantity' in text
    assert 'name="next" value="/books/x"' in text
    assert "Add to cart" in text


def test_add_form_for_an_ebook_is_one_copy(app, make_edition):
    text = render_add_form(app, make_edition("ebook"))
    assert '<input type="hidden" name="quantity" value="1">' in text
    assert "<select" not in text
    assert "Add to cart" in text


def test_add_form_for_a_preorder_says_preorder(app, make_edition):
    text = render_add_form(app, make_edition(on_hand=5, published_on=date(2099, 1, 1)))
    assert "Preorder" in text


@pytest.mark.parametrize(
    ("fields", "message"),
    [({"on_hand": 0}, "Out of stock"), ({"out_of_print": True}, "Out of print")],
)
def test_add_form_shows_no_button_when_it_cannot_be_bought(app, make_edition, fields, message):
    text = render_offer(app, make_edition(**fields))
    assert "<button" not in text
    assert message in text


@pytest.mark.parametrize("fields", [{"on_hand": 0}, {"out_of_print": True}, {"active": False}])
def test_the_book_page_shows_no_add_form_for_an_edition_it_cannot_sell(app, make_edition, fields):
    # The edition's badge already says why (out of stock, out of print).
    assert render_add_form(app, make_edition(**fields)) == ""


def test_add_form_escapes_a_hostile_title(app, make_edition):
    edition = make_edition(on_hand=2)
    edition.book.title = '<script>alert("x")</script> & co'
    with app.test_request_context("/books/x"):
        raw = add_form_part()(edition, availability(edition))
    assert "<script>" not in raw
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; co, Paperback" in raw


def test_cart_page_has_one_heading_labels_and_the_script(client, edition):
    add(client, edition.id)
    text = page(client.get("/cart"))
    assert text.count("<h1") == 1
    assert f'<label for="qty-{edition.id}"' in text
    assert "/static/js/cart.js" in text
    assert "style=" not in text


def test_checkout_button_only_when_checkout_exists(app, client, edition):
    add(client, edition.id)
    text = page(client.get("/cart"))
    assert "cart-checkout" in text


def test_get_on_a_post_endpoint_is_not_allowed(client):
    assert client.get("/cart/add").status_code == 405


def test_cart_count_failure_never_breaks_a_page(app, client, monkeypatch):
    from sqlalchemy.exc import OperationalError

    def broken(*_args):
        raise OperationalError("SELECT", {}, Exception("database went away"))

    monkeypatch.setattr(services, "cart_item_count", broken)
    with client.session_transaction() as session:
        session["cart_token"] = services.new_token()
    response = client.get("/cart")
    assert response.status_code == 200
    assert 'aria-label="0 items in cart"' in page(response)


def test_copies_held_by_an_expired_checkout_can_be_added_again(app, client):
    from datetime import timedelta

    from bookstore.dbtypes import utcnow
    from bookstore.inventory.availability import free_copies
    from tests.checkout.helpers import edition_counts, make_cart, place
    from tests.factories import make_book

    with app.app_context():
        book = make_book("Last Copy", on_hand=1)
        edition = book.editions[0]
        place(make_cart((edition, 1)), now=utcnow() - timedelta(hours=2))
        db.session.commit()
        edition_id = edition.id
        assert edition_counts(edition_id) == (1, 1)
    response = client.post("/cart/add", data={"edition_id": str(edition_id), "quantity": "1"})
    assert response.status_code == 303
    with app.app_context():
        # Nothing was written to free it: the lapsed hold simply counts as free.
        assert edition_counts(edition_id) == (1, 1)
        assert free_copies([edition_id]) == {edition_id: 1}
    assert "Last Copy" in client.get("/cart").get_data(as_text=True)
