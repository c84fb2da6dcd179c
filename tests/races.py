"""Run one piece of work in several threads released at once, as racing requests would."""

from __future__ import annotations

import threading
from collections.abc import Callable

from bookstore.extensions import db


def race(app, count: int, work: Callable[[int], object]) -> list:
    """Run ``work(i)`` in ``count`` threads released together, each in its own app context
    and session, committing what it did; return each one's result, or the exception it raised
    (of any kind: a deadlock too), in thread order."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i):
        with app.app_context():
            barrier.wait()
            try:
                results[i] = work(i)
                db.session.commit()
            except Exception as exc:  # noqa: BLE001  (the test inspects what each got)
                db.session.rollback()
                results[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results
