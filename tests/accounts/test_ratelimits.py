"""Login and reset are rate limited per client IP and per account, on memory and on Redis.

Limits here: 10 per minute per IP, 5 per minute per email address (the defaults). Each test
uses its own client IPs and addresses, so tests sharing one Redis never share a counter.
"""

import secrets
from concurrent.futures import ThreadPoolExecutor

import pytest

from bookstore.extensions import db, limiter
from tests.factories import TEST_PASSWORD, make_user

LIMITED_FORMS = ["/account/login", "/account/reset"]


def random_ip() -> str:
    return "10." + ".".join(str(secrets.randbelow(250) + 1) for _ in range(3))


WRONG_PASSWORD = "not the right password"


def attempt(app, path, email, ip, password=WRONG_PASSWORD):
    """One POST of the login or reset form from ``ip``; returns the status code."""
    client = app.test_client()
    data = {"email": email, "password": password}
    return client.post(path, data=data, environ_base={"REMOTE_ADDR": ip}).status_code


@pytest.fixture(params=["memory", "redis"])
def limited_app(request, make_app):
    """An app with rate limits on, counting in memory, then in Redis."""
    if request.param == "redis":
        # Never reset Redis: other test runs may share it (their keys differ from ours).
        url = request.getfixturevalue("redis_url")
        yield make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=url)
        return
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://")
    limiter.reset()
    yield app
    limiter.reset()


def unique_email() -> str:
    return f"anna-{secrets.token_hex(4)}@example.com"


@pytest.mark.parametrize("path", LIMITED_FORMS)
def test_sixth_attempt_on_one_account_is_refused_from_any_ip(limited_app, path):
    email = unique_email()
    codes = [attempt(limited_app, path, email, random_ip()) for _ in range(6)]
    assert 429 not in codes[:5]
    assert codes[5] == 429


@pytest.mark.parametrize("path", LIMITED_FORMS)
def test_eleventh_attempt_from_one_ip_is_refused_for_any_account(limited_app, path):
    ip = random_ip()
    codes = [attempt(limited_app, path, unique_email(), ip) for _ in range(11)]
    assert 429 not in codes[:10]
    assert codes[10] == 429


def test_a_refused_attempt_says_why_and_when_to_retry(limited_app):
    email, ip = unique_email(), random_ip()
    for _ in range(5):
        attempt(limited_app, "/account/login", email, ip)
    client = limited_app.test_client()
    response = client.post(
        "/account/login",
        data={"email": email, "password": "x"},
        environ_base={"REMOTE_ADDR": ip},
    )
    assert response.status_code == 429
    assert "Too many attempts for this account" in response.get_data(as_text=True)
    assert int(response.headers["Retry-After"]) > 0


def test_the_right_password_is_refused_too_once_the_account_is_limited(limited_app):
    email = unique_email()
    with limited_app.app_context():
        make_user(email)
        db.session.commit()
    for _ in range(5):
        attempt(limited_app, "/account/login", email, random_ip())
    assert attempt(limited_app, "/account/login", email, random_ip(), TEST_PASSWORD) == 429


def test_viewing_the_login_page_is_not_limited(limited_app):
    client = limited_app.test_client()
    ip = random_ip()
    codes = {client.get("/account/login", environ_base={"REMOTE_ADDR": ip}).status_code}
    for _ in range(15):
        codes.add(client.get("/account/login", environ_base={"REMOTE_ADDR": ip}).status_code)
    assert codes == {200}


@pytest.mark.parametrize("path", LIMITED_FORMS)
def test_parallel_attempts_on_one_account_never_exceed_the_limit(limited_app, path):
    email = unique_email()
    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(lambda _: attempt(limited_app, path, email, random_ip()), range(20)))
    allowed = [c for c in codes if c != 429]
    assert 1 <= len(allowed) <= 5
    assert codes.count(429) >= 15
    assert set(allowed) <= {200, 302}


def test_parallel_attempts_from_one_ip_never_exceed_the_limit(limited_app):
    ip = random_ip()
    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(
            pool.map(
                lambda _: attempt(limited_app, "/account/reset", unique_email(), ip), range(25)
            )
        )
    allowed = [c for c in codes if c != 429]
    assert 1 <= len(allowed) <= 10
    assert codes.count(429) >= 15


def test_limits_can_be_set_in_configuration(make_app):
    app = make_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
        ACCOUNT_RATELIMIT_PER_ACCOUNT="2/minute",
    )
    limiter.reset()
    email = unique_email()
    codes = [attempt(app, "/account/login", email, random_ip()) for _ in range(3)]
    assert codes[2] == 429
    assert 429 not in codes[:2]
    limiter.reset()


@pytest.fixture
def fresh_limiter_health():
    """Forget that storage was seen dead: the one limiter object outlives each test's app."""
    limiter._storage_dead = False
    yield
    limiter._storage_dead = False


@pytest.mark.usefixtures("fresh_limiter_health")
def test_with_redis_down_limits_fall_back_to_memory_and_still_hold(make_app, caplog):
    # Nothing listens on port 1: every Redis call fails at once.
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0")
    email, ip = unique_email(), random_ip()
    codes = [attempt(app, "/account/login", email, ip) for _ in range(6)]
    assert 500 not in codes
    assert 429 not in codes[:5]
    assert codes[5] == 429
    assert "falling back to in-memory storage" in caplog.text


def test_sign_up_is_limited_per_ip(make_app):
    app = make_app(
        RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://", SIGNUP_RATELIMIT_PER_IP="2/hour"
    )
    limiter.reset()
    ip = random_ip()
    codes = [
        app.test_client()
        .post("/account/signup", data={"name": "x"}, environ_base={"REMOTE_ADDR": ip})
        .status_code
        for _ in range(3)
    ]
    assert codes == [200, 200, 429]
    limiter.reset()


def test_sign_up_with_one_address_is_limited_so_its_owner_is_not_mail_bombed(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://")
    limiter.reset()
    email = unique_email()
    codes = [
        app.test_client()
        .post(
            "/account/signup",
            data={"name": "x", "email": email},
            environ_base={"REMOTE_ADDR": random_ip()},
        )
        .status_code
        for _ in range(6)
    ]
    assert codes == [200] * 5 + [429]
    limiter.reset()
