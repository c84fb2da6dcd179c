"""Builders for the alert, wishlist and reminder tests."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from bookstore.accounts.models import Role
from bookstore.alerts.models import AlertKind, AlertState, StockAlert
from bookstore.extensions import db
from tests.digest.helpers import link_path  # noqa: F401  (links in the emails)
from tests.factories import make_book, make_user
from tests.staff.helpers import log_in


def sold_out_edition(title: str = "Murder at the Dacha", **fields) -> int:
    """A paperback with no copies; its id."""
    return make_book(title, on_hand=0, **fields).editions[0].id


def preorder_edition(title: str = "Winter Tales", *, on_hand: int = 5) -> int:
    """A paperback published next year (a preorder); its id."""
    return make_book(title, on_hand=on_hand, published_on=date(2099, 1, 1)).editions[0].id


def waiting_alert(
    edition_id: int,
    *,
    user_id: int | None = None,
    email: str | None = None,
    kind: AlertKind = AlertKind.BACK_IN_STOCK,
) -> StockAlert:
    """A confirmed, waiting alert."""
    alert = StockAlert(
        edition_id=edition_id, user_id=user_id, email=email, kind=kind, state=AlertState.WAITING
    )
    db.session.add(alert)
    db.session.flush()
    return alert


def reader_client(app, email: str = "reader@example.com", role: Role = Role.CUSTOMER):
    """A test client logged in as a new user (a customer by default); (client, user id)."""
    with app.app_context():
        user = make_user(email, name="Rita Reader", role=role)
        db.session.commit()
        user_id = user.id
        client = app.test_client()
        log_in(client, user)
    return client, user_id


def alert_states(app, edition_id: int) -> list[str]:
    """The states of an edition's alerts, oldest first."""
    with app.app_context():
        return [
            a.state.value
            for a in db.session.scalars(
                select(StockAlert)
                .where(StockAlert.edition_id == edition_id)
                .order_by(StockAlert.id)
            )
        ]
