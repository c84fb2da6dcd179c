"""The signed-in visitor's query runs on the driver's connection (``bookstore.driver_sql``):
the same values as SQLAlchemy's execution gives, in the session's transaction, and no
statement through SQLAlchemy."""

from datetime import timedelta

import pytest
from flask import g
from sqlalchemy import bindparam, event, literal, select

from bookstore.accounts import sessions
from bookstore.accounts.models import Role, User
from bookstore.dbtypes import UTCDateTime, utcnow
from bookstore.driver_sql import DriverSelect
from bookstore.extensions import db
from bookstore.members.services import grant_membership
from tests.factories import make_user


@pytest.fixture
def member(app_ctx):
    user = make_user("vera@example.com", name="Vera Figner", role=Role.STAFF)
    grant_membership(
        user, until=utcnow() + timedelta(days=30), actor=None, reason="test", now=utcnow()
    )
    db.session.commit()
    return user.id


def test_the_users_row_is_what_sqlalchemy_reads(member):
    names = tuple(sessions._FACTS)
    values = {"user_id": member, "now": utcnow()}
    connection = db.session.connection()
    query = DriverSelect.compile(sessions._user_query(names), connection.dialect)
    expected = tuple(connection.execute(sessions._user_query(names), values).one())
    found = query.first(connection, values)
    assert found == expected
    assert found[4] is Role.STAFF  # an enum, not its text
    assert found[6].tzinfo is not None  # an aware time, as UTCDateTime gives it
    assert found[-len(names) :] == expected[-len(names) :]
    assert dict(zip(names, found[-len(names) :], strict=True))["member_now"] is True


def test_no_row_is_none(member):
    connection = db.session.connection()
    query = DriverSelect.compile(sessions._user_query(()), connection.dialect)
    assert query.first(connection, {"user_id": member + 1000, "now": utcnow()}) is None


def test_constants_and_given_values_are_converted_for_the_driver(app_ctx):
    """A constant of the statement and a time given by the caller are bound as SQLAlchemy
    binds them (a SQLite time is text), and each column comes back in its Python type."""
    moment = utcnow().replace(microsecond=0)
    statement = select(
        literal("ok").label("word"),
        bindparam("moment", type_=UTCDateTime()).label("moment"),
        (bindparam("number") + 1).label("next"),
    )
    connection = db.session.connection()
    query = DriverSelect.compile(statement, connection.dialect)
    assert set(query.converts) == {"moment", "number"}
    assert query.first(connection, {"moment": moment, "number": 41}) == ("ok", moment, 42)


def test_it_reads_in_the_sessions_transaction(member):
    db.session.get(User, member).name = "Vera N. Figner"
    db.session.flush()
    connection = db.session.connection()
    query = DriverSelect.compile(sessions._user_query(()), connection.dialect)
    assert query.first(connection, {"user_id": member, "now": utcnow()})[2] == "Vera N. Figner"
    db.session.rollback()


def test_loading_the_signed_in_user_runs_nothing_through_sqlalchemy(app, member):
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args):
        seen.append(statement)

    with app.test_request_context("/"):
        event.listen(db.engine, "before_cursor_execute", note)
        try:
            user = sessions.load_user(f"{member}:1")
        finally:
            event.remove(db.engine, "before_cursor_execute", note)
        assert user is not None
        assert user.name == "Vera Figner"
        assert g.visitor_facts[1]["member_now"] is True
        assert not db.session.is_modified(user)
        assert db.session.get(User, member) is user  # in the session, as if the ORM loaded it
    assert seen == []


def test_an_older_session_version_loads_no_user(app, member):
    with app.test_request_context("/"):
        assert sessions.load_user(f"{member}:0") is None
        assert sessions.load_user(f"{member + 1000}:1") is None
