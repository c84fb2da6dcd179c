"""Clients logged in as staff, as a customer, and anonymous. Helpers (``log_in``,
``make_order``) are in ``tests.staff.helpers``."""

import pytest

from bookstore.accounts.models import Role
from bookstore.extensions import db
from tests.factories import make_user
from tests.staff.helpers import log_in


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
