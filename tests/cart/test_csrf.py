"""With CSRF protection on (as in production), cart forms need their token."""

import pytest
from flask_wtf.csrf import generate_csrf

from bookstore.cart import services
from bookstore.extensions import db
from tests.factories import make_book


@pytest.fixture
def csrf_app(make_app):
    return make_app(WTF_CSRF_ENABLED=True)


def page_token(app, client) -> str:
    """The token a page would put in its forms, for this client's session."""
    with app.test_request_context():
        from flask import session

        token = generate_csrf()
        raw = session["csrf_token"]
    with client.session_transaction() as client_session:
        client_session["csrf_token"] = raw
    return token


def test_cart_posts_without_a_token_are_refused_and_change_nothing(csrf_app):
    client = csrf_app.test_client()
    with csrf_app.app_context():
        edition_id = make_book().editions[0].id
        db.session.commit()
        response = client.post("/cart/add", data={"edition_id": edition_id, "quantity": "1"})
        assert response.status_code == 400
        assert "Your form expired" in response.get_data(as_text=True)
        assert services.cart_item_count(None, None) == 0
        with client.session_transaction() as session:
            assert "cart_token" not in session


def test_cart_posts_with_the_pages_token_work_including_the_scripts_json(csrf_app):
    client = csrf_app.test_client()
    with csrf_app.app_context():
        edition_id = make_book().editions[0].id
        db.session.commit()
    token = page_token(csrf_app, client)
    data = {"edition_id": edition_id, "quantity": "1", "csrf_token": token}
    assert client.post("/cart/add", data=data).status_code == 303
    response = client.post(
        "/cart/update",
        data={**data, "quantity": "2"},
        headers={"Accept": "application/json"},
    )
    assert response.get_json()["item_count"] == 2
    # The cart page's own forms carry the token.
    assert 'name="csrf_token" value="' in client.get("/cart").get_data(as_text=True)
