"""The mail server down while an order is paid: the order is paid at once, and the
confirmation arrives, once, when the mail server is back."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from bookstore.checkout.states import OrderState
from bookstore.dbtypes import utcnow
from bookstore.extensions import db
from bookstore.jobs import Job, JobState, run_due
from tests.checkout.shoppers import Buyer, order_state
from tests.factories import make_book
from tests.jobs.smtp import SwitchableSMTP


@pytest.fixture
def mail_down():
    smtp = SwitchableSMTP()  # not started: the mail server is down
    yield smtp
    smtp.stop()


def test_an_order_paid_while_mail_is_down_is_confirmed_once_mail_is_back(
    make_app, stripe_sandbox, mail_down
):
    app = make_app(
        STRIPE_API_BASE=stripe_sandbox.url,
        STRIPE_WEBHOOK_SECRET=stripe_sandbox.webhook_secret,
        MAIL_TIMEOUT_SECONDS=2,
        **mail_down.config,
    )
    stripe_sandbox.deliver_to_app(app)
    with app.app_context():
        edition_id = make_book("Murder at the Dacha", on_hand=5).editions[0].id
        db.session.commit()
    buyer = Buyer(app)
    checkout = buyer.checkout(edition_id)
    paid = stripe_sandbox.pay(checkout.session_id)
    stripe_sandbox.wait_for_webhooks()
    assert buyer.follow(paid.location).status_code == 200

    assert order_state(app, checkout.reference).state is OrderState.PAID
    with app.app_context():
        [job] = db.session.scalars(select(Job)).all()
        assert (job.kind, job.state, job.attempts) == ("email", JobState.PENDING, 1)
        # Still down ten minutes later: the retry fails too, and nothing is lost.
        assert run_due(now=utcnow() + timedelta(minutes=10)) == {"retry": 1}

    mail_down.start()
    with app.app_context():
        assert run_due(now=utcnow() + timedelta(hours=1)) == {"done": 1}
        assert run_due(now=utcnow() + timedelta(days=2)) == {}
    [message] = mail_down.server.messages
    assert str(message["To"]) == "buyer@example.com"
    assert str(message["Subject"]).startswith("Order confirmed")
