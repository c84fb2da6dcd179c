"""Every private page (account, orders, checkout, cart, staff, member deals, digest tokens)
answers with ``Cache-Control: no-store``, for any visitor and whatever the outcome; public
catalog pages stay cacheable. The routes come from the URL map, so a new one is covered."""

import pytest
from werkzeug.routing import IntegerConverter

from bookstore.accounts.models import Role
from bookstore.extensions import db
from bookstore.web import PRIVATE_BLUEPRINTS, PRIVATE_ENDPOINTS
from tests.accounts.helpers import log_in
from tests.factories import make_book, make_user


def is_private(endpoint: str) -> bool:
    return endpoint.split(".", 1)[0] in PRIVATE_BLUEPRINTS or endpoint in PRIVATE_ENDPOINTS


def private_requests(app):
    """(method, path) for every private route, with plausible arguments."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not is_private(rule.endpoint):
            continue
        values = {
            name: 1 if isinstance(conv, IntegerConverter) else "x"
            for name, conv in rule._converters.items()
        }
        path = app.url_map.bind("localhost").build(rule.endpoint, values)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, path


@pytest.mark.parametrize("role", ["anonymous", "customer", "staff"])
def test_every_private_page_is_no_store(make_app, role):
    app = make_app(STRIPE_API_BASE="http://127.0.0.1:9")
    with app.app_context():
        make_user("customer@example.com")
        make_user("staff@example.com", role=Role.STAFF)
        db.session.commit()
    client = app.test_client()
    if role != "anonymous":
        assert log_in(client, f"{role}@example.com").status_code == 302
    checked = []
    for method, path in private_requests(app):
        if path == "/account/logout":
            continue
        response = client.open(path, method=method)
        response.close()
        assert response.headers.get("Cache-Control") == "no-store", (method, path)
        checked.append(path)
    assert len(checked) > 50
    assert {"/account/", "/account/orders", "/cart", "/checkout", "/staff/"} <= set(checked)


def test_public_pages_stay_cacheable(make_app):
    app = make_app()
    with app.app_context():
        slug = make_book("Murder at the Dacha").slug
        db.session.commit()
    client = app.test_client()
    for path in ["/", "/books", f"/books/{slug}", "/journal/", "/about"]:
        assert "no-store" not in client.get(path).headers.get("Cache-Control", ""), path
