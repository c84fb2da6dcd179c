"""Clients logged in as staff, as a customer, and anonymous."""

import pytest

from bookstore.accounts.models import Role
from bookstore.extensions import db
from tests.factories import make_user


def log_in(client, user) -> None:
    """Put the user in the client's session the way Flask-Login does after a login."""
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


@pytest.fixture
def staff_user(app):
    with app.app_context():
        user = make_user("staff@example.com", name="Sam Staff", role=Role.STAFF)
        db.session.commit()
        return db.session.get(type(user), user.id)


@pytest.fixture
def staff_client(app, staff_user):
    client = app.test_client()
    log_in(client, staff_user)
    return client


@pytest.fixture
def customer_client(app):
    with app.app_context():
        user = make_user("customer@example.com", name="Casey Customer")
        db.session.commit()
        client = app.test_client()
        log_in(client, user)
        return client
