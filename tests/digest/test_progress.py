"""``flask digest send`` draws a progress bar on a terminal, and only there.

click.progressbar draws only when its stream is a tty, so the first test runs the real
``flask`` command under a pseudo-terminal; the second runs it through CliRunner (no tty).
"""

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bookstore.dbtypes import utcnow
from bookstore.digest.builder import week_of
from bookstore.extensions import db
from tests.digest.helpers import make_subscriber
from tests.fixtures.database import app_on

PROJECT_ROOT = Path(__file__).resolve().parents[2]
FLASK = Path(sys.executable).with_name("flask")
EMAILS = [f"reader{n}@example.com" for n in range(3)]


@pytest.fixture
def sqlite_app(sqlite_database, tmp_path):
    """An app on the session's migrated SQLite file (a subprocess can open the same file)."""
    with app_on(sqlite_database, tmp_path / "instance") as app:
        yield app


@pytest.fixture
def subscribers(sqlite_app):
    with sqlite_app.app_context():
        for email in EMAILS:
            make_subscriber(email)
        db.session.commit()
        db.engine.dispose()  # nothing of ours holds the file while the command runs
    return EMAILS


def read_until_exit(master: int, process: subprocess.Popen, timeout: float = 60) -> str:
    """Everything the process writes to the terminal, until it exits."""
    chunks = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                data = os.read(master, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        elif process.poll() is not None:
            break
    else:
        process.kill()
        pytest.fail("flask digest send did not finish in time")
    process.wait(timeout=10)
    return b"".join(chunks).decode("utf-8", "replace")


def outbox_recipients(outbox: Path) -> list[str]:
    recipients = []
    for path in outbox.glob("*.eml"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("To: "):
                recipients.append(line.removeprefix("To: ").strip())
                break
    return sorted(recipients)


def test_send_on_a_terminal_draws_a_progress_bar_and_fills_the_outbox(
    sqlite_app, subscribers, tmp_path
):
    instance = tmp_path / "cli-instance"
    env = {
        **os.environ,
        "FLASK_APP": "wsgi.py",
        "DATABASE_URL": sqlite_app.config["SQLALCHEMY_DATABASE_URI"],
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": "test-secret-key",
        "MAIL_SERVER": "",
        "MAIL_OUTBOX": "",
        "REDIS_URL": "",
        "SHOP_BASE_URL": "http://127.0.0.1:5000",
        "COLUMNS": "100",
        "LINES": "40",
        "TERM": "xterm",
    }
    master, slave = pty.openpty()
    try:
        process = subprocess.Popen(
            [str(FLASK), "digest", "send"],
            cwd=PROJECT_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=slave,
            stderr=slave,
            close_fds=True,
        )
        os.close(slave)
        slave = None
        output = read_until_exit(master, process)
    finally:
        if slave is not None:
            os.close(slave)
        os.close(master)

    assert process.returncode == 0, output
    week = week_of(utcnow())
    assert f"{week}: sent 3, already had it 0, failed 0." in output
    # The bar itself: label, the filled bar and the percentage click draws on a tty.
    assert f"Sending {week}" in output
    assert "[####################################]" in output, output
    # It moves once per copy sent.
    assert "[############------------------------]   33%" in output, output
    assert "100%" in output, output
    assert "written to" not in output, "no log line per copy breaks up the bar"
    assert outbox_recipients(instance / "outbox") == subscribers


def test_send_without_a_terminal_prints_only_the_label(sqlite_app, subscribers):
    result = sqlite_app.test_cli_runner().invoke(args=["digest", "send"])
    assert result.exit_code == 0, result.output
    week = week_of(utcnow())
    assert f"{week}: sent 3" in result.output
    assert f"Sending {week}" in result.output
    assert "#" not in result.output
    assert "%" not in result.output
