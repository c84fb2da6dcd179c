"""Only staff and admins reach the back office, on every route and for every method."""

import pytest
from werkzeug.routing import IntegerConverter, Rule

from tests.staff.helpers import log_in

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def staff_urls(app) -> list[tuple[str, str]]:
    """Every (method, url) of the staff blueprint, with sample values for the URL variables."""
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("staff."):
            continue
        values = {name: _sample(rule, name) for name in rule.arguments}
        url = rule.build(values, append_unknown=False)[1]
        urls.extend((method, url) for method in METHODS)
    return urls


def _sample(rule: Rule, name: str):
    converter = rule._converters[name]
    return 1 if isinstance(converter, IntegerConverter) else "sample"


def test_the_staff_area_has_routes(app):
    assert len(staff_urls(app)) >= 10 * len(METHODS)


def test_anonymous_visitors_get_the_login_page_everywhere(app):
    client = app.test_client()
    for method, url in staff_urls(app):
        response = client.open(url, method=method)
        assert response.status_code == 302, (method, url)
        assert "/account/login" in response.headers["Location"], (method, url)


def test_customers_get_403_everywhere(app, customer_client):
    for method, url in staff_urls(app):
        response = customer_client.open(url, method=method)
        assert response.status_code == 403, (method, url)


def test_staff_reach_the_dashboard(staff_client):
    response = staff_client.get("/staff/")
    assert response.status_code == 200
    assert b"Dashboard" in response.data
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("role", ["admin", "staff"])
def test_admins_and_staff_are_both_let_in(app, role):
    from bookstore.accounts.models import Role
    from bookstore.extensions import db
    from tests.factories import make_user

    with app.app_context():
        user = make_user(f"{role}2@example.com", role=Role(role))
        db.session.commit()
        client = app.test_client()
        log_in(client, user)
    assert client.get("/staff/books").status_code == 200
