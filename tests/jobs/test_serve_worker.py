"""``flask serve`` (``make run``) runs the job worker on threads of its own process."""

import signal
import time

from bookstore.extensions import db
from bookstore.jobs.queue import start_in_process
from bookstore.mail import send_after_commit
from tests.fixtures.mail import Outbox

WELCOME = {"name": "Anna", "account_url": "http://x/account", "reset_url": "http://x/r"}


def test_the_in_process_worker_sends_queued_mail_and_stops_cleanly(make_app):
    app = make_app(JOBS_RUN_INLINE=False)
    outbox = Outbox(app.config["MAIL_OUTBOX"])
    ctrl_c = signal.getsignal(signal.SIGINT)

    consumer = start_in_process(app, workers=1)
    try:
        # Ctrl+C still belongs to the web server, which stops the worker on its way out.
        assert signal.getsignal(signal.SIGINT) is ctrl_c
        with app.app_context():
            send_after_commit("anna@example.com", "Welcome", "welcome", **WELCOME)
            db.session.commit()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not outbox.to("anna@example.com"):
            time.sleep(0.1)
    finally:
        started = time.monotonic()
        consumer.stop(graceful=True)
    assert time.monotonic() - started < 5
    assert [m["Subject"] for m in outbox.to("anna@example.com")] == ["Welcome"]
    assert not any(thread.is_alive() for _, thread in consumer.worker_threads)
