"""Stripe's form encoding decoded into nested values (pure functions, no server)."""

import pytest

from bookstore.stripe_sandbox.errors import StripeError
from bookstore.stripe_sandbox.params import as_metadata, decode


def test_nested_keys_become_dicts_and_indexed_keys_become_lists():
    pairs = [
        ("line_items[0][price_data][currency]", "usd"),
        ("line_items[0][quantity]", "2"),
        ("line_items[1][quantity]", "1"),
        ("metadata[order_id]", "42"),
        ("expand[0]", "line_items"),
        ("mode", "payment"),
    ]

    assert decode(pairs) == {
        "line_items": [{"price_data": {"currency": "usd"}, "quantity": "2"}, {"quantity": "1"}],
        "metadata": {"order_id": "42"},
        "expand": ["line_items"],
        "mode": "payment",
    }


def test_empty_brackets_append():
    assert decode([("expand[]", "a"), ("expand[]", "b")]) == {"expand": ["a", "b"]}


@pytest.mark.parametrize(
    "pairs",
    [
        [("a]", "1")],
        [("a", "1"), ("a[b]", "2")],
        [("a[b]", "1"), ("a", "2")],
        [("a[][b]", "1")],
        [("a[0]", "1"), ("a[2]", "1")],
        [("a[b][c][d][e][f][g]", "1")],
    ],
)
def test_malformed_keys_are_refused(pairs):
    with pytest.raises(StripeError):
        decode(pairs)


def test_empty_metadata_value_unsets_the_key():
    assert as_metadata({"keep": "1", "drop": ""}) == {"keep": "1"}
