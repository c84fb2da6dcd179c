"""Stripe's form encoding (``a[b][0][c]=v``) decoded into nested dicts and lists, and checked.

The SDK sends ``line_items[0][price_data][currency]=usd``, ``metadata[order_id]=7`` and
``expand[0]=line_items``; curl users write ``expand[]=line_items``. Both decode to the same tree.
"""

import re
from collections.abc import Iterable
from typing import Any, Literal, overload
from urllib.parse import urlsplit

from bookstore.stripe_sandbox.errors import StripeError, invalid_param, missing_param, unknown_param

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_PART = re.compile(r"\[([^\[\]]*)\]")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_DEPTH = 6


def decode(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Turn form pairs into a nested structure; dicts keyed 0..n-1 become lists."""
    root: dict[str, Any] = {}
    for raw_key, value in pairs:
        match = _KEY.match(raw_key)
        if not match:
            raise StripeError(f"Invalid parameter name: {raw_key}", param=raw_key)
        parts = [match.group(1), *_PART.findall(match.group(2))]
        if len(parts) > MAX_DEPTH:
            raise StripeError(f"Parameter nested too deeply: {raw_key}", param=raw_key)
        node = root
        for depth, part in enumerate(parts):
            last = depth == len(parts) - 1
            if part == "":
                if not last:
                    raise StripeError(f"Invalid array parameter: {raw_key}", param=raw_key)
                part = str(len(node))
            if last:
                if isinstance(node.get(part), dict):
                    raise StripeError(f"Invalid hash: {raw_key}", param=raw_key)
                node[part] = value
            else:
                child = node.setdefault(part, {})
                if not isinstance(child, dict):
                    raise StripeError(f"Invalid hash: {raw_key}", param=raw_key)
                node = child
    return _listify(root, "")


def _listify(node: dict[str, Any], path: str) -> Any:
    out: dict[str, Any] = {}
    for key, value in node.items():
        name = f"{path}[{key}]" if path else key
        out[key] = _listify(value, name) if isinstance(value, dict) else value
    if out and path and all(key.isdigit() for key in out):
        indexes = sorted(int(key) for key in out)
        if indexes != list(range(len(indexes))):
            raise StripeError(f"Invalid array: {path}", param=path)
        return [out[str(i)] for i in indexes]
    return out


def reject_unknown(params: dict[str, Any], allowed: set[str], prefix: str = "") -> None:
    """Refuse any key outside ``allowed``, like Stripe's ``parameter_unknown``."""
    for key in params:
        if key not in allowed:
            raise unknown_param(f"{prefix}[{key}]" if prefix else key)


def as_dict(value: Any, param: str) -> dict[str, Any]:
    """A hash parameter (``param[key]=...``); an empty string means none."""
    if value is None or value == "":
        return {}
    if not isinstance(value, dict):
        raise invalid_param(param, f"Invalid object: {param} must be a hash.")
    return value


def as_list(value: Any, param: str) -> list[Any]:
    """An array parameter (``param[0]=...``)."""
    if value is None or value == "":
        return []
    if not isinstance(value, list):
        raise invalid_param(param, f"Invalid array: {param} must be an array.")
    return value


@overload
def as_str(value: Any, param: str, *, required: Literal[True], max_length: int = ...) -> str: ...
@overload
def as_str(
    value: Any, param: str, *, required: bool = ..., max_length: int = ...
) -> str | None: ...
def as_str(value: Any, param: str, *, required: bool = False, max_length: int = 5000) -> str | None:
    """A string parameter, at most ``max_length`` characters."""
    if value is None or value == "":
        if required:
            raise missing_param(param)
        return None
    if not isinstance(value, str):
        raise invalid_param(param, f"Invalid string: {param} must be a string.")
    if len(value) > max_length:
        raise invalid_param(
            param, f"Invalid string: {value[:20]}...; must be at most {max_length} characters"
        )
    return value


@overload
def as_int(
    value: Any,
    param: str,
    *,
    required: Literal[True],
    minimum: int | None = ...,
    maximum: int | None = ...,
) -> int: ...
@overload
def as_int(
    value: Any,
    param: str,
    *,
    required: bool = ...,
    minimum: int | None = ...,
    maximum: int | None = ...,
) -> int | None: ...
def as_int(
    value: Any,
    param: str,
    *,
    required: bool = False,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int | None:
    """An integer parameter within bounds (Stripe's amounts are integers in minor units)."""
    text = as_str(value, param, required=required, max_length=30)
    if text is None:
        return None
    if not re.fullmatch(r"-?\d+", text):
        raise invalid_param(param, f"Invalid integer: {text}")
    number = int(text)
    if minimum is not None and number < minimum:
        raise invalid_param(param, f"This value must be greater than or equal to {minimum}.")
    if maximum is not None and number > maximum:
        raise invalid_param(param, f"This value must be less than or equal to {maximum}.")
    return number


def as_choice(
    value: Any, param: str, choices: tuple[str, ...], *, required: bool = False
) -> str | None:
    """One of a fixed set of values."""
    text = as_str(value, param, required=required)
    if text is not None and text not in choices:
        raise invalid_param(
            param,
            f"Invalid {param}: must be one of {', '.join(choices)}",
            code="parameter_invalid_string",
        )
    return text


def as_url(value: Any, param: str, *, required: bool = False) -> str | None:
    """An absolute http(s) URL (test mode allows plain http)."""
    text = as_str(value, param, required=required, max_length=5000)
    if text is None:
        return None
    parts = urlsplit(text)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise invalid_param(param, "Not a valid URL", code="url_invalid")
    return text


def as_email(value: Any, param: str) -> str | None:
    """An email address (only its shape is checked)."""
    text = as_str(value, param, max_length=800)
    if text is not None and not _EMAIL.match(text):
        raise invalid_param(param, f"Invalid email address: {text}", code="email_invalid")
    return text


def as_metadata(value: Any, param: str = "metadata") -> dict[str, str]:
    """Stripe's metadata rules: at most 50 keys, keys up to 40 and values up to 500 characters."""
    data = as_dict(value, param)
    if len(data) > 50:
        raise invalid_param(param, "Invalid metadata: metadata can have at most 50 keys.")
    out: dict[str, str] = {}
    for key, item in data.items():
        if not isinstance(item, str):
            raise invalid_param(f"{param}[{key}]", "Invalid metadata: values must be strings.")
        if len(key) > 40:
            raise invalid_param(
                f"{param}[{key}]", "Invalid metadata: keys can be at most 40 characters long."
            )
        if len(item) > 500:
            raise invalid_param(
                f"{param}[{key}]", "Invalid metadata: values can be at most 500 characters long."
            )
        if item != "":  # an empty value unsets the key, as in Stripe
            out[key] = item
    return out


def expansions(params: dict[str, Any]) -> list[str]:
    """The ``expand`` list, each entry a dotted path."""
    items = as_list(params.get("expand"), "expand")
    for index, item in enumerate(items):
        if not isinstance(item, str) or not item:
            raise invalid_param(f"expand[{index}]", "Invalid expand: must be a list of strings.")
    return items
