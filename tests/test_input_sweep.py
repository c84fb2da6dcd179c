"""No input gives a 500: every route, method, path argument, query parameter and form field of
the URL map gets odd values (NUL, control characters, overlong, out-of-range numbers, Unicode,
malformed percent-encodings and UTF-8) as an anonymous visitor, a customer and staff, on SQLite
and PostgreSQL. Hypothesis adds generated text on a fixed budget."""

from __future__ import annotations

import importlib
import pkgutil
from urllib.parse import quote

import pytest
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.routing import IntegerConverter
from wtforms.fields.core import UnboundField

import bookstore
from bookstore.accounts.models import Role
from bookstore.extensions import db
from tests.accounts.helpers import log_in
from tests.factories import make_book, make_user
from tests.journal.builders import make_post

# Raw (already percent-encoded) values for path segments, query strings and form bodies.
# The edge refuses the first ones for any parameter alike, so two of them are enough for a
# query or a form; the others reach the views, where the 500s were.
REFUSED_AT_EDGE = ["a%00b", "%ff%fe"]
ODD_TEXT = [
    *REFUSED_AT_EDGE,
    "%01%1f%7f",  # other control characters
    "%c3%28",  # a broken two-byte sequence
    "%zz",  # not a percent-encoding
    "x" * 2000,  # overlong
    quote("Дача 😀 ﷽ \u202e"),  # Unicode, astral plane, right-to-left override
    "..%2F..%2Fetc%2Fpasswd",
]
ODD_NUMBERS = ["2147483648", "9223372036854775808", "-1", "9" * 40]
# One kind of odd value in every parameter of a request at once.
ODD_PARAMETERS = [
    *REFUSED_AT_EDGE,
    "x" * 300,
    quote("Дача 😀 \u202e%27"),
    "2147483648",
    "9223372036854775808",
    "-1",
]
# Every name a view reads from the query string (and a few that none reads).
QUERY_NAMES = [
    "page", "q", "sort", "subject", "format", "series", "language", "availability", "next",
    "session_id", "state", "from", "to", "customer", "isbn", "week", "as", "days", "action",
    "actor", "entity", "show", "kind", "id",
]  # fmt: skip
# Each role sweeps the routes it gets furthest into: staff the back office, a customer the rest
# (the account, cart, checkout and deals), an anonymous visitor everything.
ROLE_SWEEPS = {
    "anonymous": lambda endpoint: True,
    "customer": lambda endpoint: not endpoint.startswith("staff."),
    "staff": lambda endpoint: endpoint.startswith("staff."),
}
AUTHENTICATED_SKIP = {"accounts.logout"}  # would end the sweep's own session


def form_field_names() -> list[str]:
    """The field names of every form in the shop (and of their list entries)."""
    for module in pkgutil.walk_packages(bookstore.__path__, "bookstore."):
        if module.name.endswith(("forms", "views")) and "stripe_sandbox" not in module.name:
            importlib.import_module(module.name)
    names: set[str] = set()
    stack = list(FlaskForm.__subclasses__())
    while stack:
        form = stack.pop()
        stack.extend(form.__subclasses__())
        names.update(n for n in dir(form) if isinstance(getattr(form, n, None), UnboundField))
    names.update({"lines-0-quantity", "lines-0-edition_id", "quantity", "edition_id"})
    return sorted(names)


def plausible(converter) -> str:
    return "1" if isinstance(converter, IntegerConverter) else "x"


def build_path(rule, values: dict[str, str]) -> str:
    """The rule's path with raw (already encoded) values in place of its arguments."""
    path = ""
    for is_dynamic, part in rule._trace:
        if is_dynamic:
            path += values[part]
        else:
            path += part
    return path.split("|", 1)[1]


def requests_for(app):
    """(endpoint, method, path, body) for every odd value in every place of every route."""
    fields = FORM_FIELDS
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
        base = {name: plausible(conv) for name, conv in rule._converters.items()}
        for method in methods:
            for name, converter in rule._converters.items():
                odd = ODD_NUMBERS if isinstance(converter, IntegerConverter) else ODD_TEXT
                for value in odd:
                    yield rule.endpoint, method, build_path(rule, {**base, name: value}), None
            path = build_path(rule, base)
            for value in ODD_PARAMETERS:
                query = "&".join(f"{name}={value}" for name in QUERY_NAMES)
                body = None
                if method == "POST":
                    body = "&".join(f"{name}={value}" for name in fields).encode()
                yield rule.endpoint, method, f"{path}?{query}", body


@pytest.fixture
def sweep_app(make_app):
    # A closed port: anything reaching for Stripe fails at once instead of waiting.
    app = make_app(STRIPE_API_BASE="http://127.0.0.1:9", PAGE_CACHE_SECONDS=0)
    with app.app_context():
        make_user("customer@example.com", name="Cora Customer")
        make_user("staff@example.com", name="Stas Staff", role=Role.STAFF)
        make_book("Murder at the Dacha", formats=("paperback", "ebook"))
        make_post("A letter from Kazan")
        db.session.commit()
    return app


def client_as(app, role: str):
    client = app.test_client()
    if role != "anonymous":
        response = log_in(client, f"{role}@example.com")
        assert response.status_code == 302, f"{role} could not log in"
    return client


def fire(client, method, path, body):
    """The response, read to the end (streamed CSV exports included) and closed."""
    if body is None:
        response = client.open(path, method=method)
    else:
        response = client.open(
            path, method=method, data=body, content_type="application/x-www-form-urlencoded"
        )
    response.get_data()
    response.close()
    return response


@pytest.mark.parametrize("role", ROLE_SWEEPS)
def test_no_odd_value_anywhere_gives_a_server_error(sweep_app, role):
    client = client_as(sweep_app, role)
    failures, count = [], 0
    for endpoint, method, path, body in requests_for(sweep_app):
        if not ROLE_SWEEPS[role](endpoint):
            continue
        if role != "anonymous" and endpoint in AUTHENTICATED_SKIP:
            continue
        response = fire(client, method, path, body)
        count += 1
        if response.status_code >= 500:
            failures.append(f"{response.status_code} {method} {path[:160]}")
    assert count > 200
    assert not failures, f"{len(failures)} of {count}:\n" + "\n".join(failures[:40])


def test_edge_answers_nul_in_query_and_form_with_400_and_a_message(sweep_app):
    client = sweep_app.test_client()
    response = client.get("/books?subject=%00")
    assert response.status_code == 400
    assert "cannot read" in response.text
    response = client.post(
        "/account/login",
        data=b"email=a%00@example.com&password=x",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert "Nothing was changed" in response.text
    response = client.post("/account/login", data={"email": "a\x00@example.com", "password": "x"})
    assert response.status_code == 400  # multipart (or any encoding) too


@pytest.mark.parametrize(
    "path",
    ["/books/a%00b", "/deals/2147483648/claim", "/staff/books/9223372036854775808", "/books/%ff"],
)
def test_edge_refuses_nul_and_out_of_range_path_values_with_404(sweep_app, path):
    client = client_as(sweep_app, "staff")
    method = "POST" if path.endswith("claim") else "GET"
    assert client.open(path, method=method).status_code in (400, 404)


# Hypothesis: any text in a slug, a query parameter or a form field, on a fixed budget.
PLACES = [
    ("GET", "/books/{}"),
    ("GET", "/journal/{}"),
    ("GET", "/staff/orders/{}"),
    ("GET", "/books?subject={}&sort={}&page={}"),
    ("GET", "/search?q={}&page={}"),
    ("GET", "/staff/orders?customer={}&from={}&state={}"),
    ("POST", "/cart/add"),
    ("POST", "/account/login"),
    ("POST", "/staff/books/new"),
]


_staff_clients: dict = {}
FORM_FIELDS = form_field_names()


@settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    place=st.sampled_from(PLACES),
    text=st.text(max_size=300) | st.integers().map(str) | st.binary(max_size=40).map(repr),
)
def test_generated_text_never_gives_a_server_error(sweep_app, place, text):
    client = _staff_clients.get(sweep_app) or _staff_clients.setdefault(
        sweep_app, client_as(sweep_app, "staff")
    )
    method, template = place
    encoded = quote(text.encode("utf-8", "surrogatepass"), safe="")
    if method == "GET":
        response = client.get(template.replace("{}", encoded))
    else:
        body = "&".join(f"{n}={encoded}" for n in FORM_FIELDS).encode()
        response = fire(client, "POST", template, body)
    assert response.status_code < 500, (place, text)
