"""A real ``flask jobs worker`` killed with SIGKILL in the middle of sending: after a restart
the message goes out, once, and every digest subscriber still gets exactly one copy."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import select

from bookstore.dbtypes import utcnow
from bookstore.digest.builder import build_digest, week_of
from bookstore.digest.models import DeliveryState, DigestDelivery
from bookstore.digest.sender import queue_copies
from bookstore.extensions import db
from bookstore.journal.models import Post
from bookstore.mail import send_after_commit
from tests.digest.helpers import make_subscriber

PROJECT_ROOT = Path(__file__).resolve().parents[2]
FLASK = Path(sys.executable).with_name("flask")
WELCOME = {"name": "Anna", "account_url": "http://x/account", "reset_url": "http://x/r"}
EVERYONE = sorted(["buyer@example.com", "reader0@example.com", "reader1@example.com"])

pytestmark = pytest.mark.slow


def database_url(database: tuple[str, dict]) -> str:
    """The test database's URL for another process (PostgreSQL's private schema included)."""
    url, options = database
    search_path = options.get("connect_args", {}).get("options")
    if search_path:
        url += ("&" if "?" in url else "?") + "options=" + quote(search_path)
    return url


def start_worker(env: dict, log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(
            [str(FLASK), "jobs", "worker", "--workers", "1"],
            cwd=PROJECT_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_for(condition, timeout: float, log: Path, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"{what} did not happen in {timeout} s; worker log:\n{log.read_text()[-4000:]}")


def test_a_worker_killed_mid_send_sends_again_after_restart_and_once(
    make_app, database, switchable_smtp, tmp_path
):
    queue = f"sqlite:///{tmp_path / 'queue.db'}"
    app = make_app(
        **switchable_smtp.config, JOBS_RUN_INLINE=False, JOBS_URL=queue, JOBS_LEASE_SECONDS=3
    )
    switchable_smtp.start()
    switchable_smtp.handler.stall = True  # the first message hangs in DATA
    now = utcnow()
    with app.app_context():
        send_after_commit("buyer@example.com", "Order confirmed", "welcome", **WELCOME)
        db.session.commit()
        for n in range(2):
            make_subscriber(f"reader{n}@example.com")
        db.session.add(Post(title="Chekhov", slug="chekhov", published_at=now - timedelta(days=1)))
        db.session.commit()
        assert queue_copies(build_digest(week_of(now), now), now).queued == 2
        db.engine.dispose()

    env = {
        **os.environ,
        "FLASK_APP": "wsgi.py",
        "DATABASE_URL": database_url(database),
        "INSTANCE_PATH": str(tmp_path / "worker-instance"),
        "SECRET_KEY": "test-secret-key",
        "SHOP_DEVELOPMENT": "1",
        "MAIL_SERVER": switchable_smtp.server.host,
        "MAIL_PORT": str(switchable_smtp.server.port),
        "JOBS_URL": queue,
        "JOBS_LEASE_SECONDS": "3",
        "REDIS_URL": "",
    }
    log = tmp_path / "worker.log"
    worker = start_worker(env, log)
    try:
        wait_for(switchable_smtp.handler.stalled.is_set, 30, log, "a send stalling in DATA")
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        assert switchable_smtp.server.messages == []

        worker = start_worker(env, log)
        wait_for(lambda: len(switchable_smtp.server.messages) >= 3, 40, log, "every message")
        time.sleep(2)  # anything sent twice would arrive by now
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()

    assert switchable_smtp.recipients() == EVERYONE
    with app.app_context():
        states = db.session.scalars(select(DigestDelivery.state)).all()
    assert states == [DeliveryState.SENT] * 2
