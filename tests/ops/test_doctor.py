"""flask doctor: a production configuration passes, a development one is told what is missing."""

import pytest

from bookstore.config import instance_secret_key
from tests.ops.helpers import DEAD_REDIS

PRODUCTION = {
    "SECRET_KEY": "k" * 48,
    "SESSION_COOKIE_SECURE": True,
    "TRUST_PROXY_HEADERS": 1,
    "STRIPE_SECRET_KEY": "sk_test_51Doctor",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_51Doctor",
    "STRIPE_WEBHOOK_SECRET": "whsec_doctor",
    "MAIL_SERVER": "smtp.example.com",
    "SHOP_BASE_URL": "https://books.example.com",
}


def doctor(app):
    return app.test_cli_runner().invoke(args=["doctor"])


@pytest.mark.redis
def test_a_production_configuration_passes(make_app, redis_url):
    result = doctor(make_app(**PRODUCTION, REDIS_URL=redis_url))
    assert result.exit_code == 0, result.output
    assert "MISSING" not in result.output
    assert "Ready for production." in result.output
    for check in ("secret key", "HTTPS cookies", "Stripe webhook secret", "mail server", "Redis"):
        assert f"ok      {check}" in result.output


def test_a_development_configuration_is_told_what_is_missing(make_app):
    result = doctor(
        make_app(SESSION_COOKIE_SECURE=False, MAIL_SERVER=None, REDIS_URL=None, SHOP_BASE_URL=None)
    )
    assert result.exit_code == 1
    missing = [line for line in result.output.splitlines() if line.startswith("MISSING")]
    assert [line.split(":")[0].removeprefix("MISSING ") for line in missing] == [
        "secret key",
        "HTTPS cookies",
        "Stripe secret key",
        "Stripe webhook secret",
        "mail server",
        "Redis",
        "SHOP_BASE_URL",
    ]
    assert "advice  proxy headers: TRUST_PROXY_HEADERS is 0" in result.output
    assert "7 needed setting(s) missing" in result.output


def test_a_generated_secret_key_is_not_enough(make_app, tmp_path):
    # What create_app does without SECRET_KEY: a key of its own in the instance folder.
    generated = instance_secret_key(str(tmp_path / "instance"))
    result = doctor(make_app(**{**PRODUCTION, "SECRET_KEY": generated}, REDIS_URL=None))
    assert "MISSING secret key: SECRET_KEY is not set" in result.output
    assert result.exit_code == 1


def test_redis_that_does_not_answer_is_missing(make_app):
    result = doctor(make_app(**PRODUCTION, REDIS_URL=DEAD_REDIS))
    assert "MISSING Redis: REDIS_URL does not answer: ConnectionError" in result.output
    assert result.exit_code == 1


@pytest.mark.redis
def test_advice_alone_does_not_fail(make_app, redis_url):
    result = doctor(make_app(**{**PRODUCTION, "TRUST_PROXY_HEADERS": 0}, REDIS_URL=redis_url))
    assert result.exit_code == 0, result.output
    assert "advice  proxy headers" in result.output


def test_plain_http_base_url_is_refused(make_app):
    result = doctor(make_app(**{**PRODUCTION, "SHOP_BASE_URL": "http://books.example.com"}))
    assert "MISSING SHOP_BASE_URL: SHOP_BASE_URL 'http://books.example.com' is not an https://" in (
        result.output
    )
