"""Sections that other features add to the account page (membership, orders, ...).

A feature registers a template and a function giving its context for the user::

    register_account_section(app, "checkout/_account_orders.html",
                             lambda user: {"orders": recent_orders(user)}, order=20)

The account page renders each section's template with that context, in ``order``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask

_KEY = "bookstore.account_sections"


@dataclass(frozen=True)
class AccountSection:
    template: str
    context: Callable[[object], dict]
    order: int = 100


def register_account_section(
    app: Flask, template: str, context: Callable[[object], dict] | None = None, *, order: int = 100
) -> None:
    """Show ``template`` on the account page, rendered with ``context(user)``."""
    sections = app.extensions.setdefault(_KEY, [])
    sections.append(AccountSection(template, context or (lambda _user: {}), order))


def account_sections(app: Flask, user) -> list[tuple[str, dict]]:
    """(template, context) of every registered section, for ``user``, in order."""
    sections = sorted(app.extensions.get(_KEY, []), key=lambda s: s.order)
    return [(section.template, section.context(user)) for section in sections]
