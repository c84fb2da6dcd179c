"""A slow Stripe never slows other shoppers: no database transaction waits on the network.

A TCP proxy in front of the Stripe stand-in holds one connection for several seconds. While
one shopper's Pay waits on it, other shoppers add to their carts, read book pages and check
out -- another book, and the same book -- each in well under a second, on SQLite (where an
open write transaction locks the whole database) and on PostgreSQL (where it locks the rows).
"""

import contextlib
import socket
import threading
import time

import pytest

from bookstore.checkout.models import Order
from bookstore.checkout.states import OrderState
from bookstore.extensions import db
from tests.checkout.shoppers import Buyer, order_state
from tests.factories import make_book

STRIPE_DELAY = 5.0
# Far below the delay: the other shoppers did not wait for the slow call.
QUICK = 1.5


class SlowProxy:
    """Forwards TCP connections to ``port``; the next one after ``hold_next`` waits first."""

    def __init__(self, port: int):
        self.target = port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.holding = threading.Event()
        self._delay = 0.0
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def hold_next(self, seconds: float) -> None:
        with self._lock:
            self._delay = seconds
        self.holding.clear()

    def close(self) -> None:
        self._closed = True
        self.listener.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self._lock:
                delay, self._delay = self._delay, 0.0
            threading.Thread(target=self._forward, args=(client, delay), daemon=True).start()

    def _forward(self, client: socket.socket, delay: float) -> None:
        if delay:
            self.holding.set()
            time.sleep(delay)
        with client, socket.create_connection(("127.0.0.1", self.target)) as upstream:
            pipes = [
                threading.Thread(target=_pipe, args=pair, daemon=True)
                for pair in ((client, upstream), (upstream, client))
            ]
            for pipe in pipes:
                pipe.start()
            for pipe in pipes:
                pipe.join(30)


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def proxy(stripe_sandbox):
    port = int(stripe_sandbox.url.rsplit(":", 1)[1])
    slow = SlowProxy(port)
    yield slow
    slow.close()


@pytest.fixture
def slow_shop(make_app, stripe_sandbox, proxy):
    app = make_app(
        STRIPE_API_BASE=proxy.url,
        STRIPE_WEBHOOK_SECRET=stripe_sandbox.webhook_secret,
        STRIPE_TIMEOUT_SECONDS=4 * STRIPE_DELAY,
    )
    stripe_sandbox.deliver_to_app(app)
    return app


def _timed(action):
    started = time.monotonic()
    result = action()
    return result, time.monotonic() - started


def test_while_one_pay_waits_on_stripe_other_shoppers_are_not_slowed(slow_shop, proxy):
    with slow_shop.app_context():
        dacha = make_book("Murder at the Dacha", on_hand=5)
        other = make_book("The Golden Calf", on_hand=5)
        dacha_id, other_id, other_slug = dacha.editions[0].id, other.editions[0].id, other.slug
        db.session.commit()

    waiting = Buyer(slow_shop)
    waiting.add(dacha_id)
    assert waiting.give_details().status_code == 303
    quote = waiting.quote()
    proxy.hold_next(STRIPE_DELAY)
    answer = {}
    pay = threading.Thread(
        target=lambda: answer.update(
            response=waiting.client.post("/checkout/place", data={"quote": quote})
        )
    )
    pay.start()
    assert proxy.holding.wait(10), "the Pay request never reached Stripe"

    # Meanwhile: another shopper's cart, a book page, a checkout of another book...
    shopper = Buyer(slow_shop)
    _, added = _timed(lambda: shopper.add(other_id))
    page, read = _timed(lambda: shopper.client.get(f"/books/{other_slug}"))
    assert page.status_code == 200
    shopper.give_details()
    placed, checked_out = _timed(shopper.place)
    assert placed.status_code == 303
    # ... and a checkout of the very book whose payment is waiting.
    rival = Buyer(slow_shop)
    rival.add(dacha_id)
    rival.give_details()
    same, same_book = _timed(rival.place)
    assert same.status_code == 303
    still_waiting = pay.is_alive()

    pay.join(4 * STRIPE_DELAY)
    assert still_waiting, "the slow payment finished before the others were measured"
    assert max(added, read, checked_out, same_book) < QUICK, (added, read, checked_out, same_book)
    assert answer["response"].status_code == 303
    with slow_shop.app_context():
        orders = db.session.query(Order).order_by(Order.id).all()
        assert [o.state for o in orders] == [OrderState.PENDING_PAYMENT] * 3
        assert all(o.stripe_session_id for o in orders)
    reference = orders[0].reference
    assert order_state(slow_shop, reference).stripe_session_id in answer["response"].location
