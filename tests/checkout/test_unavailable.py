"""When Stripe (or the stand-in) is down or hangs: a clear 503, the cart safe, a retry works."""

import socket
import threading
import time

import pytest

from bookstore.catalog.models import Edition
from bookstore.checkout.states import OrderState
from bookstore.dbtypes import utcnow
from bookstore.extensions import db
from tests.checkout.shoppers import Buyer, order_state
from tests.factories import make_book


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def hanging_server():
    """A socket that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                accepted.append(conn)
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join(5)
    for conn in accepted:
        conn.close()
    server.close()


def _edition(app):
    with app.app_context():
        edition_id = make_book("Murder at the Dacha", on_hand=3).editions[0].id
        db.session.commit()
        return edition_id


def _reserved(app, edition_id):
    with app.app_context():
        return db.session.get(Edition, edition_id).reserved


def _try_to_pay(app, edition_id):
    buyer = Buyer(app)
    buyer.add(edition_id, 2)
    assert buyer.give_details().status_code == 303
    started = time.monotonic()
    response = buyer.place()
    return buyer, response, time.monotonic() - started


def _last_order(app):
    from bookstore.checkout.models import Order

    with app.app_context():
        return db.session.query(Order).order_by(Order.id.desc()).first().reference


def test_a_closed_port_gives_the_payment_unavailable_page_and_keeps_the_order_retryable(make_app):
    app = make_app(STRIPE_API_BASE=f"http://127.0.0.1:{_closed_port()}")
    edition_id = _edition(app)
    buyer, response, _ = _try_to_pay(app, edition_id)
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "Payment service unavailable" in page
    assert "your cart is safe" in page.lower()
    reference = _last_order(app)
    order = order_state(app, reference)
    assert order.state is OrderState.PENDING_PAYMENT
    assert order.payment_attempts == 1
    # The order and its hold were committed before Stripe was called: the copies stay the
    # buyer's for the retry until the hold lapses (and count as free again once it has).
    assert order.reserved_until > utcnow()
    assert _reserved(app, edition_id) == 2
    assert "Murder at the Dacha" in buyer.client.get("/cart").get_data(as_text=True)


def test_a_hanging_stripe_costs_seconds_not_minutes(make_app, hanging_server):
    app = make_app(STRIPE_API_BASE=hanging_server, STRIPE_TIMEOUT_SECONDS=1)
    edition_id = _edition(app)
    _, response, elapsed = _try_to_pay(app, edition_id)
    assert response.status_code == 503
    # One try and one retry within the one-second budget, plus the SDK's backoff.
    assert elapsed < 6
    assert _reserved(app, edition_id) == 2


def test_once_stripe_is_back_a_retry_opens_a_new_session(make_app, stripe_sandbox):
    app = make_app(
        STRIPE_API_BASE=f"http://127.0.0.1:{_closed_port()}",
        STRIPE_WEBHOOK_SECRET=stripe_sandbox.webhook_secret,
    )
    edition_id = _edition(app)
    buyer, response, _ = _try_to_pay(app, edition_id)
    assert response.status_code == 503
    reference = _last_order(app)

    # Stripe answers again (the gateway is rebuilt from the settings).
    app.config["STRIPE_API_BASE"] = stripe_sandbox.url
    app.extensions.pop("bookstore_stripe", None)
    retried = buyer.client.post(f"/checkout/orders/{reference}/pay")
    assert retried.status_code == 303
    assert retried.headers["Location"].startswith(stripe_sandbox.url)
    order = order_state(app, reference)
    assert order.payment_attempts == 2
    assert order.stripe_session_id in retried.headers["Location"]
    assert _reserved(app, edition_id) == 2
    paid = stripe_sandbox.pay(order.stripe_session_id)
    assert buyer.follow(paid.location).status_code == 200
    assert order_state(app, reference).state is OrderState.PAID


def test_nobody_else_can_retry_an_order(make_app):
    app = make_app(STRIPE_API_BASE=f"http://127.0.0.1:{_closed_port()}")
    edition_id = _edition(app)
    _try_to_pay(app, edition_id)
    reference = _last_order(app)
    stranger = app.test_client()
    assert stranger.post(f"/checkout/orders/{reference}/pay").status_code == 404
