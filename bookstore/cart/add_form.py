"""The book page's add-to-cart form for one edition, written in Python as the rest of the page
is (``bookstore.catalog.book_html``): how many copies may go into the cart, or why none."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from flask import current_app, request

from bookstore import page_cache
from bookstore.cart.rules import Offer, offer_for
from bookstore.catalog.availability import Availability
from bookstore.catalog.book_html import EditionPart
from bookstore.catalog.book_rows import PageEdition
from bookstore.catalog.card_html import link
from bookstore.catalog.filters import lapsed_holds
from bookstore.catalog.html_text import text as e
from bookstore.catalog.models import Edition
from bookstore.dbtypes import utcnow


def edition_offer(edition: Edition | PageEdition) -> Offer:
    """What the form may offer for ``edition`` now (no query beyond the page's)."""
    lapsed = lapsed_holds().get(edition.id, 0)
    return offer_for(
        edition,  # type: ignore[arg-type]  # a PageEdition reads as an Edition
        max_per_line=int(current_app.config["CART_MAX_PER_LINE"]),
        today=utcnow().date(),
        lapsed=lapsed,
    )


def add_form_part() -> EditionPart:
    """The book page's edition part: the form for an edition that can be bought (nothing for
    one that cannot: the page's badge says why). What every form of the page shares (its
    action, the CSRF token, the page's path, the cart's limits) is looked up once."""
    form = PageForm(e(link("cart.add")), e(page_cache.csrf_token()), e(request.path))
    max_per_line = int(current_app.config["CART_MAX_PER_LINE"])
    today, lapsed = utcnow().date(), lapsed_holds()

    def add_form(edition: PageEdition, availability: Availability) -> str:
        if not availability.can_buy:
            return ""
        offer = offer_for(
            edition,  # type: ignore[arg-type]  # a PageEdition reads as an Edition
            max_per_line=max_per_line,
            today=today,
            lapsed=lapsed.get(edition.id, 0),
        )
        return add_form_html(edition, offer, form)

    return add_form


@dataclass(frozen=True, slots=True)
class PageForm:
    """What every add-to-cart form of a page shares, escaped."""

    action: str
    csrf_token: str
    next: str


def add_form_html(edition: PageEdition, offer: Offer, form: PageForm) -> str:
    """The form's HTML for ``offer``; a short note instead when no copy may be added."""
    if not offer.can_add:
        return f'<p class="add-to-cart-unavailable">{e(offer.message)}</p>'
    label = e(edition.format.label)
    if offer.is_ebook:
        quantity = '<input type="hidden" name="quantity" value="1">'
    else:
        field = f"add-qty-{e(edition.id)}"
        quantity = (
            f'<label for="{field}">Quantity<span class="visually-hidden"> ({label})</span>'
            f'</label>\n<select id="{field}" name="quantity">\n'
            f"{_quantity_options(offer.max_quantity)}\n</select>"
        )
    action = "Preorder" if offer.is_preorder else "Add to cart"
    return (
        f'<form class="add-to-cart" method="post" action="{form.action}">\n'
        f'<input type="hidden" name="csrf_token" value="{form.csrf_token}">\n'
        f'<input type="hidden" name="edition_id" value="{e(edition.id)}">\n'
        f'<input type="hidden" name="next" value="{form.next}">\n'
        f"{quantity}\n"
        f'<button type="submit">{action}<span class="visually-hidden">: '
        f"{e(edition.book.title)}, {label}</span></button>\n</form>"
    )


@functools.lru_cache(maxsize=64)
def _quantity_options(most: int) -> str:
    """The quantity choices from 1 to ``most`` (``CART_MAX_PER_LINE`` at most): a handful of
    lists, each written once rather than once an edition."""
    return "".join(f'<option value="{n}">{n}</option>' for n in range(1, most + 1))
