"""Helpers for the account tests: log in through the real form, read links from emails."""

import re

from tests.factories import TEST_PASSWORD
from tests.fixtures.mail import text_body

STRONG_PASSWORD = "samovar under the birch trees"


def log_in(client, email, password=TEST_PASSWORD, *, remember=False, next_url=None, **kwargs):
    """POST the login form; returns the response (not followed)."""
    data = {"email": email, "password": password}
    if remember:
        data["remember"] = "y"
    if next_url is not None:
        data["next"] = next_url
    return client.post("/account/login", data=data, **kwargs)


def sign_up(
    client, *, name="Anna Petrova", email="anna@example.com", password=STRONG_PASSWORD, **kwargs
):
    """POST the sign-up form; returns the response (not followed)."""
    return client.post(
        "/account/signup",
        data={"name": name, "email": email, "password": password, "confirm": password},
        **kwargs,
    )


def is_logged_in(client) -> bool:
    """True when the client's cookies open the account page."""
    return client.get("/account/").status_code == 200


def link_in(message, path_prefix: str) -> str:
    """The first link in the email's text part whose path starts with ``path_prefix``."""
    match = re.search(r"https?://[^/\s]+(" + re.escape(path_prefix) + r"\S*)", text_body(message))
    assert match, f"no {path_prefix} link in:\n{text_body(message)}"
    return match.group(1)
