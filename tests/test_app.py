"""The application factory and the request-wide behaviour every page shares."""

import pytest

from bookstore import create_app


def test_home_page_renders(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"Russian Life" in response.data


def test_every_response_carries_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]
    assert "Strict-Transport-Security" not in response.headers


def test_hsts_is_sent_over_https(client):
    response = client.get("/", base_url="https://shop.example")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_unknown_page_gets_a_helpful_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert b"could not find" in response.data
    assert response.headers["Content-Security-Policy"]


def test_unexpected_error_shows_the_500_page(make_app):
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.get("/boom")
    def boom():
        raise RuntimeError("boom")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert b"went wrong on our side" in response.data


def test_payments_stand_in_is_announced_on_every_page(client):
    assert b"no money moves" in client.get("/").data


@pytest.mark.parametrize("key", ["sk_live_123", "rk_live_abc"])
def test_live_stripe_keys_are_refused(key, tmp_path):
    with pytest.raises(RuntimeError, match="Live Stripe keys are refused"):
        create_app(
            {
                "INSTANCE_PATH": str(tmp_path),
                "SECRET_KEY": "x",
                "SQLALCHEMY_DATABASE_URI": "sqlite://",
                "STRIPE_SECRET_KEY": key,
            }
        )
