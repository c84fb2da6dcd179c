"""Races on PostgreSQL: simultaneous adds never duplicate a line, overfill it or fail."""

import threading

from bookstore.cart import services
from bookstore.cart.models import Cart, CartLine
from bookstore.extensions import db
from tests.cart.helpers import log_in
from tests.factories import make_book, make_user


def run_together(app, work, count=2):
    """Run ``work(i)`` in ``count`` threads, each in its own app context and transaction."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def runner(i):
        with app.app_context():
            try:
                results[i] = work(i, barrier)
            except Exception as error:  # noqa: BLE001  (reported by the assertion below)
                db.session.rollback()
                results[i] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def setup(app, on_hand=10):
    with app.app_context():
        edition_id = make_book(on_hand=on_hand).editions[0].id
        token = services.open_cart(None, None).token
        db.session.commit()
    return edition_id, token


def lines_of(app):
    with app.app_context():
        return [(ln.edition_id, ln.quantity) for ln in db.session.scalars(db.select(CartLine))]


def test_two_simultaneous_adds_of_a_new_line_make_one_line(pg_app):
    edition_id, token = setup(pg_app)

    def add(_i, barrier):
        cart = services.find_cart(None, token)
        services.cart_lines(cart)  # both have read the cart: neither has the line yet
        barrier.wait()
        services.add_item(cart, edition_id, 1, max_per_line=10)
        db.session.commit()
        return "ok"

    assert run_together(pg_app, add) == ["ok", "ok"]
    assert lines_of(pg_app) == [(edition_id, 2)]


def test_simultaneous_adds_never_overfill_a_line(pg_app):
    edition_id, token = setup(pg_app, on_hand=5)

    def add(_i, barrier):
        cart = services.find_cart(None, token)
        barrier.wait()
        services.add_item(cart, edition_id, 3, max_per_line=10)
        db.session.commit()
        return "ok"

    results = run_together(pg_app, add)
    assert results.count("ok") == 1, results
    refused = next(r for r in results if r != "ok")
    assert "Only 5 copies" in str(refused)
    assert lines_of(pg_app) == [(edition_id, 3)]


def test_simultaneous_first_adds_of_one_user_make_one_cart(pg_app):
    with pg_app.app_context():
        user = make_user()
        edition_id = make_book(on_hand=10).editions[0].id
        db.session.commit()
        clients = [pg_app.test_client() for _ in range(2)]
        for client in clients:
            log_in(client, user)

    def post(i, barrier):
        barrier.wait()
        response = clients[i].post("/cart/add", data={"edition_id": edition_id, "quantity": "1"})
        return response.status_code

    assert run_together(pg_app, post) == [303, 303]
    with pg_app.app_context():
        assert db.session.query(Cart).count() == 1
    assert lines_of(pg_app) == [(edition_id, 2)]
