"""The rule "no Stripe or mail call inside an open write transaction" is enforced, not hoped for.

The tests run with ``NETWORK_GUARD=raise`` (tests/fixtures/database.py), so every other test
proves the shop keeps the rule; these prove the guard itself notices a write and forgets it
on commit.
"""

import pytest
from sqlalchemy import select, update

from bookstore.catalog.models import Edition
from bookstore.checkout import gateway
from bookstore.extensions import db
from bookstore.mail import send_email
from bookstore.txguard import NetworkInTransaction, check_no_write_transaction
from tests.factories import make_book


def _write() -> int:
    edition = make_book(on_hand=3).editions[0]
    db.session.execute(update(Edition).where(Edition.id == edition.id).values(on_hand=4))
    return edition.id


def test_a_stripe_call_after_a_write_not_yet_committed_fails_loudly(app_ctx):
    _write()
    with pytest.raises(NetworkInTransaction, match="Stripe"):
        gateway.retrieve_session("cs_test_anything")


def test_an_email_sent_inside_a_write_transaction_fails_loudly(app_ctx):
    _write()
    with pytest.raises(NetworkInTransaction, match="Mail"):
        send_email("reader@example.com", "Hello", "password_changed", user=None)


def test_after_the_commit_and_after_reads_the_network_may_be_used(app_ctx):
    edition_id = _write()
    db.session.commit()
    check_no_write_transaction("after commit")
    db.session.scalar(select(Edition.on_hand).where(Edition.id == edition_id))
    check_no_write_transaction("after a read")


def test_a_rollback_ends_the_write_too(app_ctx):
    _write()
    db.session.rollback()
    check_no_write_transaction("after rollback")


def test_log_mode_reports_and_lets_the_call_through(make_app, caplog):
    app = make_app(NETWORK_GUARD="log")
    with app.app_context():
        _write()
        check_no_write_transaction("Stripe (test)")
    assert "Stripe (test) called inside an open database write transaction" in caplog.text


def test_an_unknown_mode_is_refused_at_start(make_app):
    with pytest.raises(RuntimeError, match="NETWORK_GUARD"):
        make_app(NETWORK_GUARD="sometimes")
