"""The member deals page and claiming a deal."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from flask import Blueprint, Flask, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from bookstore import contexts, page_cache
from bookstore.accounts.export import register_export
from bookstore.cart.models import Cart
from bookstore.cart.pricing import CartPricing
from bookstore.catalog.models import Edition, Format
from bookstore.dbtypes import utcnow
from bookstore.deals import orders, services, standing
from bookstore.deals.forms import ClaimForm
from bookstore.deals.models import Deal
from bookstore.deals.orders import CartDeals
from bookstore.deals.pricing import DealTerms, PricedLine
from bookstore.errors import BookstoreError, NotFound
from bookstore.extensions import db
from bookstore.members.views import current_membership, visitor_is_member

bp = Blueprint("deals", __name__)


@bp.get("/")
def index() -> ResponseReturnValue:
    """Open deals for everyone; members also see their claims and a Claim button."""
    now = utcnow()
    user = current_user if current_user.is_authenticated else None
    return render_template(
        "deals/index.html",
        deals=services.open_deals(now),
        upcoming=services.upcoming_deals(now, limit=5),
        claims=services.claims_of(user),
        status=current_membership(),
        form=ClaimForm(),
    )


@bp.post("/<int:deal_id>/claim")
@login_required
def claim(deal_id: int) -> ResponseReturnValue:
    """Claim a deal for the signed-in member."""
    form = ClaimForm()
    if not form.validate_on_submit():
        flash("Your form expired: try again.", "error")
        return redirect(url_for("deals.index"))
    try:
        deal = services.get_deal(deal_id)
        services.claim_deal(deal, current_user, utcnow())
    except BookstoreError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(f"You claimed “{deal.title}”: choose it in your cart to use it.", "success")
    return redirect(url_for("deals.index", _anchor=f"deal-{deal_id}"))


def _member_cart() -> Cart:
    from bookstore.cart.services import find_cart

    cart = find_cart(current_user, None)
    if cart is None:
        raise NotFound("Your cart is empty: add a book first.")
    return cart


def _claim_id() -> int:
    raw = request.form.get("claim_id", "")
    if not raw.isdigit() or len(raw) > 12:
        raise NotFound("Choose one of your claimed deals.")
    return int(raw)


@bp.post("/cart/choose")
@login_required
def choose() -> ResponseReturnValue:
    """Use one of the member's claimed deals on their cart."""
    form = ClaimForm()
    if form.validate_on_submit():
        try:
            claim = orders.choose_deal(_member_cart(), _claim_id(), user=current_user, now=utcnow())
        except BookstoreError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(f"“{claim.deal.title}” is applied to your cart.", "success")
    return redirect(url_for("cart.show"), 303)


@bp.post("/cart/remove")
@login_required
def unchoose() -> ResponseReturnValue:
    """Stop using a deal on the cart; the claim stays for later."""
    form = ClaimForm()
    if form.validate_on_submit():
        try:
            orders.unchoose_deal(_member_cart(), _claim_id())
        except BookstoreError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash("The deal is no longer applied; you can choose it again.", "success")
    return redirect(url_for("cart.show"), 303)


@dataclass(frozen=True)
class MemberOffer:
    """A member price for a book card or an edition: what members pay for one copy."""

    cents: int
    for_member: bool  # the visitor is a member: this is their price


@dataclass
class _Standing:
    """The standing deals' terms as one process (or one request) knows them."""

    generation: int | None
    terms: list[DealTerms]
    until: datetime | None  # when the set of standing deals next changes by itself
    loaded_at: datetime
    # Member price per the line's fields that the deals look at: most cards share one.
    prices: dict[tuple[int, int, frozenset[int], str, int], int | None] = field(
        default_factory=dict
    )
    # What one copy costs a member, by format and price, while no deal names editions, books
    # or subjects (``_copy_prices``).
    by_format_and_price: dict[tuple[Format, int], int] = field(default_factory=dict)

    @functools.cached_property
    def scopes(self) -> frozenset[str]:
        return frozenset(terms.scope for terms in self.terms)


@bp.app_template_global("member_offer")
def member_offer(editions: Sequence[Edition]) -> MemberOffer | None:
    """The lowest member price of these editions under the standing member discounts, when it
    is lower than their price; None otherwise. A page showing it is kept no longer than the
    discounts last (``page_cache.keep_until``)."""
    return member_offers()(editions)


@bp.app_template_global("member_offers")
def member_offers() -> Callable[[Sequence[Edition]], MemberOffer | None]:
    """``member_offer`` for the many cards of one list: the standing discounts and whether the
    visitor is a member are looked up once, not once a card."""
    known = _standing_terms()
    if not known.terms:
        return _no_offer
    is_member: list[bool] = []  # worked out at the first offer: most lists have none
    # The page showing offers is kept no longer than the deals last: said once for the list.
    keep = [known.until] if known.until is not None else []

    copy_price = _copy_prices(known)
    made: dict[int, MemberOffer] = {}  # the list's offers, by amount: cards share them

    def offer(editions: Sequence[Edition]) -> MemberOffer | None:
        if not editions:
            return None
        if keep:
            page_cache.keep_until(keep.pop())
        lowest = min(map(copy_price, editions))
        if lowest >= min(edition.price_cents for edition in editions):
            return None
        found = made.get(lowest)
        if found is None:
            if not is_member:
                is_member.append(visitor_is_member())
            found = made[lowest] = MemberOffer(lowest, is_member[0])
        return found

    return offer


def _no_offer(_editions: Sequence[Edition]) -> None:
    return None


# Deal scopes under which an edition's member price follows from its format and price alone.
_SCOPES_OF_FORMAT_AND_PRICE = frozenset({"order", "formats"})


def _copy_prices(known: _Standing) -> Callable[[Edition], int]:
    """What one copy of an edition costs a member (its price when no deal lowers it).

    A list's cards ask this for each of their editions. While every standing deal covers
    whole orders or formats, the answer depends on the edition's format and price only, and
    is looked up by those two instead of building the line the deals would price."""
    if not known.scopes <= _SCOPES_OF_FORMAT_AND_PRICE:
        return lambda edition: _member_price(known, edition) or edition.price_cents
    prices = known.by_format_and_price

    def copy_price(edition: Edition) -> int:
        key = (edition.format, edition.price_cents)
        found = prices.get(key)
        if found is None:
            found = prices[key] = _member_price(known, edition) or edition.price_cents
        return found

    return copy_price


def _member_price(known: _Standing, edition: Edition) -> int | None:
    scopes = known.scopes
    # Book cards load no subjects: they are read (one query a book) only while a standing
    # deal is scoped to subjects.
    subjects = (
        frozenset(s.id for s in edition.book.subjects) if "subjects" in scopes else frozenset()
    )
    edition_id = edition.id if "editions" in scopes else 0
    book_id = edition.book_id if "books" in scopes else 0
    memo = (edition_id, book_id, subjects, edition.format.value, edition.price_cents)
    if memo not in known.prices:
        line = PricedLine(
            key=edition.id,
            edition_id=edition_id,
            book_id=book_id,
            subject_ids=subjects,
            format=edition.format.value,
            unit_price_cents=edition.price_cents,
            quantity=1,
        )
        # Every deal known is open from loaded_at until ``until``: the price holds till then.
        known.prices[memo] = standing.member_price(line, known.terms, known.loaded_at)
    return known.prices[memo]


def _standing_terms() -> _Standing:
    """The standing deals' terms. With the page cache on, this process keeps them while the
    page generation (which every change to deals bumps) stays the same and no deal starts or
    ends; otherwise they are read once per request."""
    now = utcnow()
    app = contexts.app()
    if not app.config.get("PAGE_CACHE_SECONDS"):
        if "standing_terms" not in g:
            g.standing_terms = _load_standing(None, now)
        in_request: _Standing = g.standing_terms
        return in_request
    state = app.extensions.setdefault("standing_deals", {})
    generation = page_cache.current_generation()
    known: _Standing | None = state.get("known")
    if (
        known is None
        or known.generation != generation
        or (known.until is not None and now >= known.until)
    ):
        known = _load_standing(generation, now)
        state["known"] = known
    return known


def _load_standing(generation: int | None, now: datetime) -> _Standing:
    deals, until = standing.standing_deals(now)
    return _Standing(generation, [deal.terms() for deal in deals], until, now)


def member_cart_deals(pricing: CartPricing) -> CartDeals | None:
    """For templates/deals/_cart_deals.html: the member's deals priced against the cart."""
    if not current_user.is_authenticated:
        return None
    lines = [line for line in pricing.lines if line.available]
    if not lines:
        return None
    return orders.cart_deal_pricing(lines[0].line.cart, lines, now=utcnow())


def standing_member_deals() -> list[Deal]:
    """For templates/members/membership.html: the member discounts open now that apply by
    themselves (``standing``), so the page can say what a member pays without claiming."""
    return standing.standing_deals(utcnow())[0]


# For every template: Jinja globals, not context processors run for each template rendered.
bp.add_app_template_global(member_cart_deals)
bp.add_app_template_global(standing_member_deals)
bp.record_once(
    lambda state: register_export(cast(Flask, state.app), "deal_claims", services.claims_data)
)
