"""The application factory and the request-wide behaviour every page shares."""

import pytest

from bookstore import create_app
from bookstore.accounts.models import Role
from bookstore.checkout import gateway
from bookstore.checkout.services import hold_minutes
from bookstore.config import from_environment
from bookstore.extensions import db
from bookstore.web import ShopTemplate
from tests.factories import make_book, make_user

# The banner of base.html and staff/base.html (the review page says "no money moves" too).
STAND_IN_BANNER = "Test payments, no money moves"


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
    response = client.get("/", base_url="https://localhost")
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


def _pages(app) -> dict[str, str]:
    """The home page, the checkout details page (a book in the cart) and the staff dashboard."""
    with app.app_context():
        edition_id = make_book("Murder at the Dacha", on_hand=5).editions[0].id
        staff = make_user("staff@example.com", role=Role.STAFF)
        db.session.commit()
        staff_id = staff.get_id()
    shopper = app.test_client()
    added = shopper.post("/cart/add", data={"edition_id": str(edition_id), "quantity": "1"})
    assert added.status_code in (302, 303)
    checkout = shopper.get("/checkout")
    assert checkout.status_code == 200
    assert 'name="email"' in checkout.get_data(as_text=True)  # the details form itself
    back_office = app.test_client()
    with back_office.session_transaction() as session:
        session["_user_id"] = staff_id
        session["_fresh"] = True
    dashboard = back_office.get("/staff/")
    assert dashboard.status_code == 200
    assert "back office" in dashboard.get_data(as_text=True)
    return {
        "home": app.test_client().get("/").get_data(as_text=True),
        "checkout": checkout.get_data(as_text=True),
        "cart": shopper.get("/cart").get_data(as_text=True),
        "staff": dashboard.get_data(as_text=True),
    }


def test_the_stand_in_banner_is_on_shop_checkout_and_staff_pages(make_app):
    app = make_app(STRIPE_SECRET_KEY=None)
    for name, page in _pages(app).items():
        assert page.count(STAND_IN_BANNER) == 1, name


def test_with_a_stripe_test_key_no_page_claims_the_stand_in(make_app):
    app = make_app(STRIPE_SECRET_KEY="sk_test_51Example", STRIPE_PUBLISHABLE_KEY="pk_test_51Ex")
    for name, page in _pages(app).items():
        assert STAND_IN_BANNER not in page, name
        assert "no money moves" not in page, name


@pytest.mark.parametrize("value", [None, ""], ids=["unset", "empty"])
def test_reservation_and_stripe_timeout_default_to_30_minutes_and_10_seconds(
    monkeypatch, tmp_path, value
):
    for name in ("RESERVATION_MINUTES", "STRIPE_TIMEOUT_SECONDS", "STRIPE_SECRET_KEY"):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    config = from_environment(str(tmp_path))
    assert config["RESERVATION_MINUTES"] == 30
    assert config["STRIPE_TIMEOUT_SECONDS"] == 10
    # ...and that is what the checkout then uses: a 30-minute hold, and 10 seconds for a Stripe
    # call with its one retry (5 seconds a try).
    assert hold_minutes(config) == 30
    timeouts = []
    real_client = gateway.StripeHttp

    def recording_client(*args, timeout=None, **kwargs):
        timeouts.append(timeout)
        return real_client(*args, timeout=timeout, **kwargs)

    monkeypatch.setattr(gateway, "StripeHttp", recording_client)
    gateway.build_client(config)
    assert timeouts == [5]


def test_reservation_and_stripe_timeout_follow_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("RESERVATION_MINUTES", "45")
    monkeypatch.setenv("STRIPE_TIMEOUT_SECONDS", "4")
    config = from_environment(str(tmp_path))
    assert (config["RESERVATION_MINUTES"], config["STRIPE_TIMEOUT_SECONDS"]) == (45, 4)


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


def test_templates_see_the_environments_globals_as_they_change_and_their_own(app):
    env = app.jinja_env
    template = env.from_string("{{ motto|default('none') }}/{{ own|default('none') }}")
    assert isinstance(template, ShopTemplate)
    assert template.render() == "none/none"
    env.globals["motto"] = "read on"  # added after the template was made
    try:
        assert template.render() == "read on/none"
        own = env.from_string("{{ motto }}/{{ own }}", globals={"own": "mine"})
        assert own.render() == "read on/mine"
        assert own.render(own="given") == "read on/given"
    finally:
        del env.globals["motto"]
    assert template.render() == "none/none"
