"""The limiter skips its before-request pass only while that pass has nothing to check."""

import secrets

import pytest
from flask_limiter import Limiter

from bookstore.extensions import limiter


def random_ip() -> str:
    return "10." + ".".join(str(secrets.randbelow(250) + 1) for _ in range(3))


@pytest.fixture
def limited_app(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://")
    limiter.reset()
    yield app
    limiter.reset()


def test_shop_sets_no_limit_that_the_before_request_pass_checks(limited_app):
    assert not limiter.limits_before_views()


def test_before_request_pass_is_skipped_while_nothing_could_apply(limited_app, monkeypatch):
    passes = []
    checked = Limiter._check_request_limit

    def spy(self, callable_name=None, in_middleware=True):
        passes.append(in_middleware)
        return checked(self, callable_name=callable_name, in_middleware=in_middleware)

    monkeypatch.setattr(Limiter, "_check_request_limit", spy)
    assert limited_app.test_client().get("/cart").status_code == 200
    assert passes == []


def test_application_wide_limit_still_applies_before_any_view(make_app):
    try:
        app = make_app(
            RATELIMIT_ENABLED=True,
            RATELIMIT_STORAGE_URI="memory://",
            RATELIMIT_APPLICATION="2/minute",
        )
        limiter.reset()
        assert limiter.limits_before_views()
        client = app.test_client()
        ip = {"REMOTE_ADDR": random_ip()}
        codes = [client.get("/cart", environ_base=ip).status_code for _ in range(3)]
    finally:
        # The limiter is one object for every app of the test run.
        limiter.limit_manager.set_application_limits([])
        limiter.reset()
    assert codes == [200, 200, 429]


def test_limiter_still_keeps_what_the_skip_reads():
    """A Flask-Limiter release that renamed these would check every request again (slower,
    not wrong): this test says so."""
    manager = limiter.limit_manager
    for name in ("_application_limits", "_default_limits", "_blueprint_limits"):
        assert hasattr(manager, name), name
    for name in ("_meta_limits", "_storage_dead"):
        assert hasattr(limiter, name), name


def test_a_limited_view_still_sends_its_limit_headers_and_a_page_sends_none(limited_app):
    """Flask-Limiter's after-request hook runs on requests whose limits it checked only."""
    client = limited_app.test_client()
    ip = {"REMOTE_ADDR": random_ip()}
    limited = client.get("/search/suggest?q=war", environ_base=ip)
    assert limited.status_code == 200
    assert limited.headers["X-RateLimit-Limit"] == "120"
    assert limited.headers["X-RateLimit-Remaining"] == "119"
    page = client.get("/about", environ_base=ip)
    assert page.status_code == 200
    assert not [name for name, _value in page.headers.items() if name.startswith("X-RateLimit")]
