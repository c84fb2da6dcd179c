"""A paused or dead Redis costs the shop nothing: short timeouts, a circuit breaker, one warning
a minute, and rate limits that keep counting (in the database) across workers."""

from __future__ import annotations

import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
import redis
import requests

from bookstore.config import from_environment
from bookstore.extensions import db
from bookstore.redis_breaker import CircuitBreaker, redis_breaker
from tests.factories import make_book, make_user
from tests.fixtures.services import skip_or_fail

PROJECT_ROOT = Path(__file__).resolve().parent.parent
P95_LIMIT_SECONDS = 0.100


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on port {port}")


@pytest.fixture
def redis_server(tmp_path):
    """A redis-server of this test's own on a free port (paused and resumed by the test)."""
    binary = shutil.which("redis-server")
    if binary is None:
        skip_or_fail("the Redis outage tests need redis-server on the PATH")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
        + ["--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield process, f"redis://127.0.0.1:{port}/0"
    finally:
        process.send_signal(signal.SIGCONT)
        process.terminate()
        process.wait(timeout=10)
        redis_breaker.reset()


def test_redis_on_a_unix_socket_keeps_pages_and_counts_limits(make_app, tmp_path, monkeypatch):
    """REDIS_URL may name a socket (one host: no TCP between the shop and Redis)."""
    binary = shutil.which("redis-server")
    if binary is None:
        skip_or_fail("this test needs redis-server on the PATH")
    sock = tmp_path / "redis.sock"
    process = subprocess.Popen(
        [binary, "--port", "0", "--unixsocket", str(sock), "--save", "", "--appendonly", "no"]
        + ["--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 15
        while not sock.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sock.exists(), "redis-server opened no socket"
        monkeypatch.setenv("REDIS_URL", f"unix://{sock}?db=0")
        read = from_environment(str(tmp_path))
        names = ("REDIS_URL", "CACHE_TYPE", "CACHE_REDIS_URL", "RATELIMIT_STORAGE_URI")
        app = make_app(RATELIMIT_ENABLED=True, **{name: read[name] for name in names})
        with app.app_context():
            make_user("anna@example.com")
            db.session.commit()
        client = app.test_client()
        assert client.get("/about").headers["X-Page-Cache"] == "miss"
        assert client.get("/about").headers["X-Page-Cache"] == "hit"
        answer = client.post("/account/login", data={"email": "anna@example.com", "password": "x"})
        assert answer.status_code == 200
        keys = redis.Redis(unix_socket_path=str(sock)).keys()
        assert any(key.startswith(b"bookstore:page:") for key in keys), keys
        assert any(key.startswith(b"LIMITS") for key in keys), keys  # counted in Redis
        assert redis_breaker.allow()  # nothing failed
    finally:
        process.terminate()
        process.wait(timeout=10)
        redis_breaker.reset()


def redis_settings(url: str, **extra) -> dict:
    return {
        "REDIS_URL": url,
        "CACHE_TYPE": "RedisCache",
        "CACHE_REDIS_URL": url,
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "shop+" + url,
        "ACCOUNT_RATELIMIT_PER_ACCOUNT": "5/minute",
        "ACCOUNT_RATELIMIT_PER_IP": "1000/minute",
        **extra,
    }


def test_a_paused_redis_keeps_pages_fast_and_limits_holding(make_app, redis_server, caplog):
    process, url = redis_server
    app = make_app(**redis_settings(url))
    with app.app_context():
        slug = make_book("Murder at the Dacha").slug
        make_user("anna@example.com")
        db.session.commit()
    pages = ["/", "/about", f"/books/{slug}", "/journal/"]
    warm = app.test_client()
    for path in pages * 2:
        assert warm.get(path).status_code == 200
    assert warm.get(pages[0]).headers["X-Page-Cache"] == "hit"  # served from Redis

    caplog.set_level(logging.WARNING)
    process.send_signal(signal.SIGSTOP)  # paused, not killed: connections hang, none refused
    latencies: list[float] = []
    errors: list[str] = []
    stop = time.monotonic() + 4.0

    def browse(offset: int) -> None:
        client = app.test_client()
        n = offset
        while time.monotonic() < stop:
            path = pages[n % len(pages)]
            n += 1
            started = time.perf_counter()
            response = client.get(path)
            latencies.append(time.perf_counter() - started)
            if response.status_code != 200:
                errors.append(f"{response.status_code} {path}")

    threads = [threading.Thread(target=browse, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    # Meanwhile someone guesses a password: the sixth try in the minute is refused.
    guesser = app.test_client()
    answers = [
        guesser.post("/account/login", data={"email": "anna@example.com", "password": "x"})
        for _ in range(7)
    ]
    for thread in threads:
        thread.join(timeout=30)
    process.send_signal(signal.SIGCONT)

    assert not any(t.is_alive() for t in threads), "a request hung on the paused Redis"
    assert not errors, errors[:5]
    latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    print(f"\nRedis paused: {len(latencies)} requests, p95 {p95 * 1000:.1f} ms")
    assert len(latencies) >= 40
    assert p95 < P95_LIMIT_SECONDS, f"p95 {p95 * 1000:.0f} ms with Redis paused"
    assert [r.status_code for r in answers] == [200] * 5 + [429] * 2
    warnings = [r for r in caplog.records if r.name == "bookstore.redis"]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    assert not any(r.exc_info for r in caplog.records), "a traceback was logged"


def test_breaker_lets_one_trial_through_after_the_pause_and_warns_once_a_minute(caplog):
    now = [0.0]
    breaker = CircuitBreaker("Redis", retry_seconds=10, warn_every=60, clock=lambda: now[0])
    caplog.set_level(logging.WARNING, logger="bookstore.redis")
    assert breaker.allow()
    breaker.failed(TimeoutError("read timed out"))
    assert not breaker.allow()
    now[0] = 10.5
    assert breaker.allow()  # the one trial
    assert not breaker.allow()  # the others keep using the fallback meanwhile
    for second in range(11, 59):
        now[0] = float(second)
        breaker.failed(TimeoutError("read timed out"))
    now[0] = 61.0
    breaker.failed(TimeoutError("read timed out"))
    assert len(caplog.records) == 2
    breaker.succeeded()
    assert breaker.allow()
    assert caplog.records[-1].getMessage() == "Redis answers again"


# -- Two app processes, Redis down --------------------------------------------------------------


def _database_url(database) -> str:
    url, options = database
    path = options.get("connect_args", {}).get("options")
    if path:  # the session's private PostgreSQL schema
        return f"{url}?options={path.replace('=', '%3D')}"
    return url


def _serve(port: int, env: dict, log: Path) -> subprocess.Popen:
    command = [
        str(PROJECT_ROOT / ".venv" / "bin" / "gunicorn"),
        "--workers", "1", "--bind", f"127.0.0.1:{port}", "--no-control-socket", "wsgi:app",
    ]  # fmt: skip
    with log.open("w") as out:
        return subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=out, stderr=out)


def test_login_limit_holds_across_two_processes_with_redis_down(make_app, database, tmp_path):
    app = make_app()  # migrated database, emptied afterwards
    with app.app_context():
        make_user("anna@example.com")
        db.session.commit()
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(database),
        "SECRET_KEY": "two-process-secret",
        "SHOP_BASE_URL": "http://127.0.0.1",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",  # nothing listens: Redis is down
        "ACCOUNT_RATELIMIT_PER_ACCOUNT": "5/minute",
        "ACCOUNT_RATELIMIT_PER_IP": "1000/minute",
        "MAIL_SERVER": "",
        "PAGE_CACHE_SECONDS": "0",
    }
    env.pop("SHOP_DEVELOPMENT", None)
    ports = [free_port(), free_port()]
    servers = [_serve(p, env, tmp_path / f"gunicorn-{p}.log") for p in ports]
    try:
        for port in ports:
            wait_for_port(port, timeout=60)
        session = requests.Session()  # one browser: the same session cookie on both
        statuses = []
        for attempt in range(8):
            base = f"http://127.0.0.1:{ports[attempt % 2]}"
            page = session.get(f"{base}/account/login", timeout=10)
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)[1]
            answer = session.post(
                f"{base}/account/login",
                data={"email": "anna@example.com", "password": "wrong", "csrf_token": token},
                timeout=10,
            )
            statuses.append(answer.status_code)
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=20)
    logs = "\n".join(p.read_text() for p in tmp_path.glob("gunicorn-*.log"))
    assert statuses == [200] * 5 + [429] * 3, (statuses, logs[-3000:])
    assert "Traceback" not in logs
