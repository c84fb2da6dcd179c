"""Whole-page caching of the shop's public pages, for guests and signed-in shoppers alike.

Catalog and journal pages look the same to every visitor of one *audience* (guests, signed-in
customers, members: see ``audience``; members see member prices) but for a few things: the
CSRF token in their forms, the number in the header's cart link and a signed-in visitor's name.
A cached page is rendered once per audience with placeholders for those (see ``per_visitor``),
kept as bytes, and filled in for each request: a hit costs a few string replacements instead of
the ORM and Jinja (and, once a second, one small query for the generation below). A signed-in
reader's own parts in HTML (their review, their helpful votes, Save for later) are
``visitor_part`` placeholders, each kind rendered per request for all its places at once.
Staff always get a fresh page.

Freshness: the cache key holds the page's URL, the shop's date and a *generation* number kept in
the database (table ``page_cache_generation``). A transaction that writes to a table the pages
show (books, editions and their stock, contributors, posts...) bumps the generation as its last
statement before COMMIT. The worker that committed renders afresh on its very next request;
other workers read the generation at most once a second, so they follow within a second.
The key also holds the date (preorders, new titles), and a page is kept no longer than the
next checkout's hold on copies lasts (``keep_until``). ``PAGE_CACHE_SECONDS`` bounds anything
else, such as a journal post scheduled for a later time; 0 turns the cache off.

A page is kept from its second view within ``PAGE_CACHE_SECONDS`` (``page_cache_bounds``):
most pages of a crawl or of a busy hour's searches are asked for once, and their first view
then costs no write. The view is noted in the same round trip as the lookup.

Writes the engine cannot see (raw SQL, PostgreSQL COPY) call ``note_change(connection)``.
The cache is Redis when ``REDIS_URL`` is set (shared by every worker), else each process's memory.
"""

import base64
import functools
import hashlib
import hmac
import json
import math
import os
import re
import time
from collections.abc import Callable, MutableMapping
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlencode

from cachelib import SimpleCache
from flask import (
    Flask,
    current_app,
    g,
    has_app_context,
    message_flashed,
)
from flask_caching import Cache
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape
from prometheus_client import Counter
from redis.exceptions import RedisError
from sqlalchemy import BigInteger, Integer, event, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.dml import UpdateBase
from werkzeug.datastructures import ImmutableMultiDict

from bookstore import contexts
from bookstore.database import note_write
from bookstore.dbtypes import utcnow
from bookstore.extensions import db, limiter
from bookstore.login_manager import visitor
from bookstore.page_cache_bounds import PageIndex, PageViews
from bookstore.page_cache_near import NearPages
from bookstore.page_cache_redis import RedisLine
from bookstore.redis_breaker import redis_breaker
from bookstore.signing import SignedValues

cache = Cache()
T = TypeVar("T")
# Seen at /metrics (bookstore/ops/metrics.py): hit rate = hits / (hits + misses).
LOOKUPS = Counter("bookstore_page_cache_lookups", "Page-cache lookups, by result.", ["result"])
_HITS, _MISSES = LOOKUPS.labels("hit"), LOOKUPS.labels("miss")

# Tables whose rows appear on cached pages; a committed write to any of them bumps the generation.
WATCHED_TABLES = frozenset(
    {
        "books",
        "editions",
        "contributors",
        "book_contributors",
        "series",
        "subjects",
        "book_subjects",
        "book_search",
        "posts",
        "tags",
        "post_tags",
        "post_books",
        "professional_reviews",
        # Standing member discounts show as member prices (bookstore/deals/standing.py).
        "deals",
        "deal_editions",
        "deal_books",
        "deal_subjects",
        "deal_formats",
    }
)

_CHANGED = "page_cache_changed"  # Connection.info flag: this transaction wrote a watched table
_STOCK = "page_cache_stock"  # Connection.info: editions whose stock alone this transaction changed
_BUMP = "UPDATE page_cache_generation SET value = value + 1"
_BUMP_STOCK = "UPDATE page_cache_generation SET stock_seq = stock_seq + 1 RETURNING stock_seq"
# The driver's own placeholders (SQLite's qmark, psycopg's format): these run on the raw cursor.
_STOCK_SQL = {
    True: (
        "INSERT INTO page_cache_stock_changes (seq, edition_id) VALUES (?, ?)",
        "DELETE FROM page_cache_stock_changes WHERE seq <= ?",
    ),
    False: (
        "INSERT INTO page_cache_stock_changes (seq, edition_id) VALUES (%s, %s)",
        "DELETE FROM page_cache_stock_changes WHERE seq <= %s",
    ),
}
_DEPS = "_page_cache_editions"
_ANY_STOCK = "_page_cache_any_stock"
# An UPDATE of editions that changes nothing but their stock carries this execution option
# (see ``stock_only``): the pages showing those editions are refreshed, and no others.
STOCK_OPTION = "page_cache_stock_of"
STOCK_CHANGES_KEPT = 100_000
# A write to a watched table that changes nothing a page shows (a deal's count of claims left).
UNSEEN_OPTION = "page_cache_unseen"
_FILLING = "_page_cache_filling"
_FLASHED = "_page_cache_flashed"
_UNTIL = "_page_cache_until"
_PARTS = "_page_cache_parts"  # g: the view runs under cached_page, so visitor parts fill in later
_RENDERED_AT = "_page_cache_rendered_at"
_AUDIENCE = "_page_cache_audience"  # g: (the user it was worked out for, the audience)
GENERATION_RECHECK_SECONDS = 1.0


class PageCacheGeneration(db.Model):
    """One row: ``value`` is bumped by every commit that changes what the cached pages show,
    ``stock_seq`` by every commit that changes only the stock of some editions."""

    __tablename__ = "page_cache_generation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)
    stock_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class PageCacheStockChange(db.Model):
    """Editions whose stock the commit numbered ``seq`` changed (the last STOCK_CHANGES_KEPT)."""

    __tablename__ = "page_cache_stock_changes"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    edition_id: Mapped[int] = mapped_column(Integer, primary_key=True)


def init_app(app) -> None:
    """Bind the cache and watch the engine for writes that change what pages show."""
    cache.init_app(app)
    secret = app.secret_key.encode()
    app.extensions["page_cache"] = {
        # Placeholders are keyed by the secret, so no page content can forge one.
        "mark": hmac.new(secret, b"page-cache", hashlib.sha256).hexdigest()[:16],
        # Shops sharing one Redis never share pages.
        "database": hashlib.sha256(app.config["SQLALCHEMY_DATABASE_URI"].encode()).hexdigest(),
    }
    # (SCRIPT_NAME, PATH_INFO, QUERY_STRING) of a page served to a guest -> (page, endpoint).
    app.extensions["page_cache"]["guest_routes"] = {}
    in_redis = "redis" in str(app.config.get("CACHE_TYPE", "")).lower()
    app.extensions["page_cache"]["index"] = PageIndex(
        int(app.config.get("PAGE_CACHE_VARIANTS", 100)),
        int(app.config.get("PAGE_CACHE_MAX_BYTES", 64 * 1024 * 1024)),
        # In memory, the index evicts before the cache's own bound (CACHE_THRESHOLD) would:
        # that one drops every third page, popular or not.
        max_entries=None if in_redis else int(app.config.get("CACHE_THRESHOLD", 1000)),
    )
    # First views noted in this process (in memory, or while Redis is unavailable).
    app.extensions["page_cache"]["views"] = PageViews(app.config.get("PAGE_CACHE_SECONDS", 0))
    if in_redis:
        # Where pages go while Redis is unavailable (see _cache_call).
        app.extensions["page_cache"]["fallback"] = SimpleCache(
            threshold=int(app.config.get("CACHE_THRESHOLD", 1000))
        )
        app.extensions["page_cache"]["near"] = NearPages()
        app.extensions["page_cache"]["lines"] = _RedisLines.of(_backend(app))
    with app.app_context():
        watch_engine(db.engine)
    from bookstore.catalog.models import Edition  # the catalog builds on this module

    if not event.contains(Edition, "load", _note_loaded_edition):
        event.listen(Edition, "load", _note_loaded_edition)
    # Flask-WTF's csrf_token() in templates (a global: bookstore.register_csrf_check leaves
    # out Flask-WTF's context value), through a placeholder while a page is cached.
    app.jinja_env.globals["csrf_token"] = _csrf_token
    app.jinja_env.globals["visitor_name"] = visitor_name
    app.jinja_env.globals["same_for_audience"] = same_for_audience


# -- Per-visitor values -------------------------------------------------------------------------

_per_visitor: dict[str, Callable[[], object]] = {}
# The same names as bytes, longest first (so a name that begins another never takes its place).
_value_names: list[bytes] = []
# The value for a guest (no account, nothing in their session but a CSRF token), computed from
# the session alone: ``page_cache_hits`` serves such a guest's hits without Flask's request.
_guest_values: dict[str, Callable[[Flask, MutableMapping[str, Any]], object]] = {}


def per_visitor(
    name: str, *, guest: Callable[[Flask, MutableMapping[str, Any]], object] | None = None
):
    """Decorate a function whose value differs between anonymous visitors of a cached page.

    While a page is being cached the function gives a placeholder; each request that serves
    the page replaces it with the function's value, HTML-escaped. Only for values that are
    plain text where they appear. ``guest(app, session)`` gives the value for a guest whose
    session holds nothing but a CSRF token (it may add one); pages with a value that has no
    ``guest`` are always served through Flask.
    """

    def decorate(compute):
        _per_visitor[name] = compute
        _value_names[:] = sorted((key.encode() for key in _per_visitor), key=len, reverse=True)
        if guest is not None:
            _guest_values[name] = guest

        @functools.wraps(compute)
        def value():
            if contexts.app_globals().get(_FILLING):
                return _placeholder(name)
            return compute()

        return value

    return decorate


# A raw CSRF token's signed form, handed out again for a minute (see _signed_csrf).
CSRF_SIGNED_KEPT = 5000
CSRF_RESIGN_SECONDS = 60


def _signed_csrf(app: Flask, session: MutableMapping[str, Any]) -> str:
    """What ``generate_csrf`` gives in a request with this session (adding a raw token to it).

    Signing (JSON, base64, HMAC: ``bookstore.signing``) cost as much as the rest of a guest's
    page hit: a raw token's signed form is kept and handed out again while it is under a
    minute old (or a sixtieth of ``WTF_CSRF_TIME_LIMIT``), so a form expires at most that much
    sooner.
    """
    field = app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    if not isinstance(session.get(field), str):
        session[field] = hashlib.sha1(os.urandom(64)).hexdigest()  # noqa: S324  (as Flask-WTF)
    raw = session[field]
    secret: str | bytes = app.config.get("WTF_CSRF_SECRET_KEY") or app.secret_key or ""
    state = app.extensions["page_cache"]
    made = state.get("csrf_serializer")
    if made is None or made[0] != secret:
        made = state["csrf_serializer"] = (
            secret,
            SignedValues(secret, salt="wtf-csrf-token"),
            {},  # raw token -> (when signed, signed token)
        )
    limit = app.config.get("WTF_CSRF_TIME_LIMIT", 3600)
    keep = CSRF_RESIGN_SECONDS if limit is None else min(CSRF_RESIGN_SECONDS, int(limit) // 60)
    now = int(time.time())
    signed: dict[str, tuple[int, str]] = made[2]
    found = signed.get(raw)
    if found is None or now - found[0] >= keep:
        if len(signed) >= CSRF_SIGNED_KEPT:
            signed.clear()
        found = signed[raw] = (now, made[1].dumps(raw))
    return found[1]


def _visitor_csrf() -> str:
    """Templates' ``csrf_token()``: Flask-WTF's ``generate_csrf`` (one token a request, kept
    in ``g`` where Flask-WTF keeps it), signed by ``_signed_csrf``."""
    app = contexts.app()
    state = contexts.app_globals()
    field = app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    if field not in state:
        setattr(state, field, _signed_csrf(app, contexts.this_session()))
    token: str = state.get(field)
    return token


_csrf_token = per_visitor("csrf", guest=_signed_csrf)(_visitor_csrf)
# The same for HTML written in Python (the book page's forms, bookstore/catalog/book_html.py).
csrf_token = _csrf_token


@per_visitor("visitor-name", guest=lambda _app, _session: "")
def visitor_name() -> str:
    """The signed-in visitor's name for the header ("" for a guest)."""
    user = visitor()
    return user.name if user.is_authenticated else ""


def guest_fillers() -> dict[str, Callable[[Flask, MutableMapping[str, Any]], object] | None]:
    """Each per-visitor value's ``guest`` form (None where it has none)."""
    return {name: _guest_values.get(name) for name in _per_visitor}


def _placeholder(name: str) -> str:
    # Letters, digits and dashes: unchanged by HTML escaping.
    return f"pc-{contexts.app().extensions['page_cache']['mark']}-{name}"


# What a guest's session may hold for the ``guest=`` forms to give their values (flask-login
# marks a non-empty anonymous session "_fresh": False on its first request).
GUEST_SESSION_KEYS = frozenset({"csrf_token", "_fresh"})


def is_plain_guest_session(session: MutableMapping[str, Any], csrf_field: str) -> bool:
    """Does this guest's session hold nothing but a CSRF token (what ``guest=`` forms assume)?"""
    return (
        session.keys() <= GUEST_SESSION_KEYS
        and session.get("_fresh", False) is False
        and (not session or "_fresh" in session)
        and isinstance(session.get(csrf_field, ""), str)
    )


def _personalise(body: bytes, guest: bool = False) -> bytes:
    """This visitor's page: its per-visitor values and visitor parts filled in, in one pass.

    ``guest``: the visitor is a guest whose session holds only a CSRF token, so each value
    comes from its ``guest=`` form (no user, cart or session lookups through Flask's proxies).
    """
    app = contexts.app()
    visitors = contexts.this_session()
    values: dict[bytes, bytes] = {}

    def value(name: bytes) -> bytes:
        found = values.get(name)
        if found is None:
            key = name.decode()
            form = _guest_values.get(key) if guest else None
            computed = form(app, visitors) if form is not None else _per_visitor[key]()
            found = values[name] = str(escape(computed)).encode()
        return found

    filled = fill_placeholders(body, app.extensions["page_cache"]["mark"], value, _render_parts)
    assert filled is not None  # noqa: S101  (both fillers always answer)
    return filled


_PART_PLACE = re.compile(rb"\.([a-z-]+)\.([A-Za-z0-9_=-]*)\.")


def fill_placeholders(
    body: bytes,
    mark: str,
    value: Callable[[bytes], bytes | None] | None,
    parts: Callable[[dict[bytes, dict[bytes, None]]], dict[tuple[bytes, bytes], bytes]] | None,
) -> bytes | None:
    """``body`` with each placeholder filled, in one pass over the page (a page holds a few
    placeholders; a scan and a copy of the page for each cost more than the rest of a hit).

    ``value(name)`` gives a per-visitor value (``pc-<mark>-<name>``), already escaped (without
    it those stay as they are); ``parts(places)`` gives the HTML of every visitor-part place
    (``pc-<mark>.<name>.<args>.``) by (name, args). ``value`` answering None, or a part with
    no ``parts``, means this filler cannot give the page: the result is None.
    """
    prefix = f"pc-{mark}".encode()
    pieces = body.split(prefix)
    if len(pieces) == 1:
        return body
    filled: list[bytes | tuple[bytes, bytes]] = [pieces[0]]
    places: dict[bytes, dict[bytes, None]] = {}
    for piece in pieces[1:]:
        if piece[:1] == b"-" and value is not None:
            name = next((name for name in _value_names if piece.startswith(name, 1)), None)
            if name is not None:
                found = value(name)
                if found is None:
                    return None
                filled += [found, piece[len(name) + 1 :]]
                continue
        elif piece[:1] == b".":
            place = _PART_PLACE.match(piece)
            if place is not None:
                if parts is None:
                    return None
                places.setdefault(place[1], {})[place[2]] = None
                filled += [(place[1], place[2]), piece[place.end() :]]
                continue
        filled += [prefix, piece]  # not a placeholder of this shop's: as it was
    html = parts(places) if places and parts is not None else {}
    return b"".join(item if isinstance(item, bytes) else html.get(item, b"") for item in filled)


# -- Layout parts kept per audience ---------------------------------------------------------------

LAYOUT_PARTS_KEPT = 200  # (part, audience, page) variants: a few dozen in a shop


@pass_context
def same_for_audience(context: Context, template: str, search: str = "") -> Markup:
    """Templates' ``same_for_audience(template, search)``: a part of the layout (the site
    header) that, while a cached page is rendered, depends only on the audience, the page's
    endpoint, where the shop is mounted and its settings, and on ``search`` (the search box's
    text, passed to the template as ``site_search``). Its per-visitor values (name, cart
    count, CSRF token) are placeholders then, so it is rendered once per audience and page
    and kept by the process; every other page (staff, the cache off) renders it each time.
    Either way it is rendered with the page's own context, as an include would be.

    Rendering the header was most of what the layout cost a page the cache does not answer.
    """
    part = context.environment.get_template(template)
    if not contexts.app_globals().get(_FILLING):
        return Markup(part.render({**context.get_all(), "site_search": search}))  # noqa: S704
    app = contexts.app()
    state = app.extensions["page_cache"]
    kept: dict[tuple, str] = state.setdefault("layout_parts", {})
    asked = contexts.this_request()
    key = (
        template,
        audience(),
        asked.endpoint,
        asked.script_root,
        app.config.get("SHOP_NAME"),
        bool(app.config.get("STRIPE_SECRET_KEY")),
    )
    mark = f"pc-{state['mark']}-layout-search"  # letters, digits, dashes: escaping keeps it
    found = kept.get(key)
    if found is None:
        if len(kept) >= LAYOUT_PARTS_KEPT:
            kept.clear()
        found = kept[key] = part.render({**context.get_all(), "site_search": mark})
    return Markup(found.replace(mark, str(escape(search))))  # noqa: S704 (our template)


# -- Per-visitor parts (HTML) -------------------------------------------------------------------

_visitor_parts: dict[str, Callable[[list[tuple]], list[Markup]]] = {}


def visitor_part(name: str):
    """Decorate the function that renders a visitor's own part of cached pages (their review,
    their vote, a Save for later button) for every place of it on one page at once.

    The function takes one argument tuple per place and returns the places' HTML (``Markup``,
    as a Jinja macro gives) in that order, reading what it needs for all of them in one go
    (one query per kind of data, not per place). Templates call the decorated name with one
    place's arguments: under ``cached_page`` it gives a placeholder that each request fills
    in for its own visitor (the arguments travel inside the cached page, so they are the
    page's data, never the visitor's: ids and labels, as JSON), elsewhere the HTML itself.
    """

    def decorate(render_all: Callable[[list[tuple]], list[Markup]]):
        _visitor_parts[name] = render_all

        @functools.wraps(render_all)
        def part(*args) -> Markup:
            if contexts.app_globals().get(_PARTS):
                code = base64.urlsafe_b64encode(json.dumps(args).encode()).decode()
                mark = contexts.app().extensions["page_cache"]["mark"]
                # Letters, digits and "-_=.": nothing in it to escape.
                return Markup(f"pc-{mark}.{name}.{code}.")  # noqa: S704
            return render_all([args])[0]

        return part

    return decorate


def _render_parts(
    places: dict[bytes, dict[bytes, None]],
) -> dict[tuple[bytes, bytes], bytes]:
    """This visitor's HTML for each visitor-part place, one call per part: (name, args) ->
    HTML. A part no longer registered renders as nothing."""
    html: dict[tuple[bytes, bytes], bytes] = {}
    for name, codes in places.items():
        render_all = _visitor_parts.get(name.decode())
        if render_all is None:
            continue
        args = [tuple(json.loads(base64.urlsafe_b64decode(code))) for code in codes]
        for code, part in zip(codes, render_all(args), strict=True):
            html[(name, code)] = str(part).encode()
    return html


def _fill_parts(body: bytes) -> bytes:
    """Replace each visitor-part placeholder with this visitor's HTML (a page not cached)."""
    mark = current_app.extensions["page_cache"]["mark"]
    filled = fill_placeholders(body, mark, None, _render_parts)
    assert filled is not None  # noqa: S101  (parts are always filled here)
    return filled


# -- The view decorator -------------------------------------------------------------------------


def cached_page(view=None, *, params: tuple[str, ...] = (), signed_in: bool = True):
    """Serve this GET view from the page cache to anonymous visitors (see the module's notes).

    ``params`` names the query parameters the page reads: the view sees only those (so the
    page cannot depend on anything its cache key leaves out), and the key holds only those, in
    a canonical order, so ``?utm_source=...`` or a reordered query is the same page.
    ``signed_in=False`` keeps the page for guests only: a page with parts of a signed-in
    reader's own that are neither ``per_visitor`` nor ``visitor_part`` yet.
    """
    if view is None:
        return functools.partial(cached_page, params=params, signed_in=signed_in)
    read = frozenset(params)

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        asked = contexts.this_request()
        asked.args = ImmutableMultiDict(
            [(k, v) for k, v in asked.args.items(multi=True) if k in read]
        )
        state = contexts.app_globals()
        state.setdefault(_PARTS, True)
        app = contexts.app()
        who = _cacheable_audience(app)
        if who is None or (not signed_in and who != "anonymous"):
            response = app.make_response(view(*args, **kwargs))
            if not response.direct_passthrough and response.mimetype == "text/html":
                response.set_data(_fill_parts(response.get_data()))
            return response
        kept = app.extensions["page_cache"]
        page = _page()
        key = page_key(app, _generation(), who, page)
        if app.config.get("PAGE_CACHE_KEEP_FIRST_VIEW"):
            hit, keep = _cache_call_on(app, _backend(app), "get", key), True
        else:
            mark = view_mark(app, who, page)
            hit, keep = _cache_call_on(app, _backend(app), "get", key, view=mark)
        if hit is not None and (len(hit) != 3 or not _stock_unchanged(hit[2], app)):
            hit = None  # an edition it shows was sold or restocked since
        if hit is not None:
            _HITS.inc()
            _note_guest_route(kept, who, page)
            kept["index"].used(key)
            body, headers, _stock = hit
            body = _personalise(body, _plain_guest(app, who))
            response = app.response_class(body, headers=headers)
            response.headers["X-Page-Cache"] = "hit"
            return response
        _MISSES.inc()
        rendered_at = _stock_state(app)["seq"]
        state.setdefault(_RENDERED_AT, rendered_at)
        state.setdefault(_FILLING, True)
        state.setdefault(_DEPS, set())
        try:
            response = app.make_response(view(*args, **kwargs))
        finally:
            state.pop(_FILLING, None)
        body = response.get_data()
        if _storable(response):
            if keep:  # not at its first view (see the module's notes)
                headers = [
                    (name, value)
                    for name, value in response.headers.items()
                    if name.lower() not in {"content-length", "set-cookie"}
                ]
                deps = frozenset(state.get(_DEPS, ()))
                stock = (rendered_at, deps, bool(state.get(_ANY_STOCK)))
                _store(app, key, (body, headers, stock), len(body), _timeout(), asked.path)
                _note_guest_route(kept, who, page)
            response.headers["X-Page-Cache"] = "miss"
        response.set_data(_personalise(body, _plain_guest(app, who)))
        return response

    # Rate limits guard the shop's forms; a public page has none to check (and the check is a
    # good part of what a cache hit costs).
    return limiter.exempt(wrapper)


def serving_cached_page() -> bool:
    """Is this request a ``cached_page`` view's (a public GET page, which reads the shop and
    changes nothing of the visitor's own)?"""
    return bool(contexts.app_globals().get(_PARTS))


def shows_editions(edition_ids) -> None:
    """The page being rendered shows these editions' stock (loaded ORM editions count by
    themselves): it is refreshed when their stock changes."""
    deps = contexts.app_globals().get(_DEPS)
    if deps is not None:
        deps.update(edition_ids)


def shows_all_stock() -> None:
    """The page being rendered depends on every edition's stock (a list of books in stock):
    any stock change refreshes it."""
    if g.get(_FILLING):
        setattr(g, _ANY_STOCK, True)


def stock_only(*edition_ids: int, **options) -> dict:
    """Execution options for an UPDATE of these editions that changes only their stock
    (``on_hand``, ``reserved``): it refreshes the pages showing them, not the whole cache."""
    return {**options, STOCK_OPTION: frozenset(edition_ids)}


def _note_loaded_edition(edition, _context) -> None:
    if has_app_context():
        state = contexts.app_globals()
        deps = state.get(_DEPS)
        if deps is not None and state.get(_FILLING):
            deps.add(edition.id)


def keep_until(moment: datetime) -> None:
    """The page being rendered changes by itself at ``moment`` (a checkout's hold lapses):
    keep it no longer than that."""
    state = contexts.app_globals()
    until = state.get(_UNTIL)
    if until is None or moment < until:
        setattr(state, _UNTIL, moment)


def _timeout() -> int:
    seconds = contexts.app().config["PAGE_CACHE_SECONDS"]
    until = contexts.app_globals().get(_UNTIL)
    if until is not None:
        seconds = min(seconds, max(1, math.ceil((until - utcnow()).total_seconds())))
    return seconds


def _storable(response) -> bool:
    # A token made outside the placeholder (a form's own csrf_token field), or a message the
    # view flashed, is this visitor's alone: such a page must never be shared.
    state = contexts.app_globals()
    own_token = contexts.app().config.get("WTF_CSRF_FIELD_NAME", "csrf_token") in state
    return (
        response.status_code == 200
        and not response.direct_passthrough
        and not own_token
        and not state.get(_FLASHED)
    )


@message_flashed.connect
def _note_flash(_app, **_extra) -> None:
    g.setdefault(_FLASHED, True)


def _cacheable_audience(app: Flask) -> str | None:
    """The audience whose cached page this request may have (``audience``), or None: the
    cache is off, the request is not a GET, or a flashed message waits to be shown."""
    if (
        app.config.get("PAGE_CACHE_SECONDS", 0) > 0
        and contexts.this_request().method in ("GET", "HEAD")
        and "_flashes" not in contexts.this_session()
    ):
        return audience()
    return None


def _plain_guest(app: Flask, who: str | None) -> bool:
    """Is this visitor a guest whose session holds only a CSRF token (``guest=`` forms hold)?"""
    field = app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    return who == "anonymous" and is_plain_guest_session(contexts.this_session(), field)


# -- Audiences ----------------------------------------------------------------------------------

_member_test: list[Callable[[], bool]] = []


def member_test(test: Callable[[], bool]) -> Callable[[], bool]:
    """Decorate the function that tells whether the signed-in visitor is a member now
    (``bookstore.members`` registers it); without one no visitor counts as a member."""
    _member_test[:] = [test]
    return test


def audience() -> str | None:
    """Which variant of a cached page this visitor gets: ``anonymous``, ``customer`` (signed in,
    not a member) or ``member``; None for staff, who always get a fresh page.

    Pages differ between audiences only (the header, member prices); what differs between two
    visitors of one audience (name, cart count, CSRF token) comes through ``per_visitor``.
    """
    user = visitor()
    state = contexts.app_globals()
    known = state.get(_AUDIENCE)
    if known is not None and known[0] is user:  # asked a few times a page: once per user
        return known[1]
    if not user.is_authenticated:
        found = "anonymous"
    elif user.is_staff:
        found = None
    else:
        found = "member" if _member_test and _member_test[0]() else "customer"
    setattr(state, _AUDIENCE, (user, found))
    return found


def _page() -> str:
    """The page asked for: its path and canonical query (the parameters it reads, sorted)."""
    asked = contexts.this_request()
    return f"{asked.path}?{urlencode(sorted(asked.args.items(multi=True)))}"


def page_key(app: Flask, generation: int | None, audience: str | None, page: str) -> str:
    """The cache key of ``page`` (path and canonical query) for an audience, today."""
    from bookstore.catalog.filters import shop_today  # the day decides preorders and new titles

    database = app.extensions["page_cache"]["database"]
    day = shop_today().isoformat()
    identity = f"{database}|{generation}|{day}|{audience}|{page}"
    # The host is left out: pages link to SHOP_BASE_URL whatever host was asked (TRUSTED_HOSTS).
    return "page:" + hashlib.sha256(identity.encode()).hexdigest()


GUEST_ROUTES_KEPT = 10_000


def _note_guest_route(state: dict, who: str, page: str) -> None:
    """Remember which page this guest's raw URL is, for ``page_cache_hits``'s next request."""
    asked = contexts.this_request()
    if asked.method != "GET" or who != "anonymous":
        return
    environ = asked.environ
    raw = (
        environ.get("SCRIPT_NAME", ""),
        environ.get("PATH_INFO", ""),
        environ.get("QUERY_STRING", ""),
    )
    routes: dict = state["guest_routes"]
    if raw not in routes:
        while len(routes) >= GUEST_ROUTES_KEPT:
            try:
                routes.pop(next(iter(routes)), None)  # the oldest
            except (StopIteration, RuntimeError):  # another thread is changing it
                break
        endpoint = asked.url_rule.endpoint if asked.url_rule else "unmatched"
        routes[raw] = (page, endpoint)


def view_mark(app: Flask, audience: str | None, page: str) -> str:
    """What names ``page`` for an audience whatever the generation and day, as its views are
    noted (a page is kept from its second view on: ``page_cache_bounds``)."""
    database = app.extensions["page_cache"]["database"]
    return "view:" + hashlib.sha256(f"{database}|{audience}|{page}".encode()).hexdigest()


def _store(app: Flask, key: str, value, size: int, timeout: int, path: str) -> None:
    """Keep a page, within the bounds of ``page_cache_bounds`` (evicting to stay in them)."""
    state = app.extensions["page_cache"]
    index: PageIndex = state["index"]
    if not index.admits(size):
        return
    if "fallback" not in state:  # this process's memory, which keeps expired pages until asked
        backend = _backend(app)
        _cache_call_on(app, backend, "set", key, value, timeout=timeout)
        for gone in index.add(key, path, size, timeout):
            _cache_call_on(app, backend, "delete", gone)
        return
    # Redis drops expired pages by itself; those evicted go in the same round trip as the SET.
    evicted = index.add(key, path, size, timeout, report_expired=False)
    _cache_call_on(app, _backend(app), "set", key, value, timeout=timeout, evicting=evicted)


def _generation() -> int | None:
    """The generation, read from the database at most once a second per process.

    This process forgets it whenever it commits (``_forget_generation``), so its own changes
    show on its very next page; another worker's changes show here within the second.
    """
    state = contexts.app().extensions["page_cache"]
    now = time.monotonic()
    known = state.get("generation")
    if known is None or now - known[1] >= GENERATION_RECHECK_SECONDS:
        row = db.session.execute(
            select(PageCacheGeneration.value, PageCacheGeneration.stock_seq)
        ).first()
        value, seq = row if row is not None else (None, 0)
        known = (value, now)
        state["generation"] = known
        _follow_stock_changes(state, seq or 0)
    return known[0]


def current_generation() -> int | None:
    """The generation of the shop's pages (read at most once a second): values derived from
    watched tables may be kept in memory as long as it stays the same."""
    return _generation()


def _stock_state(app: Flask | None = None) -> dict:
    return (
        (app or contexts.app())
        .extensions["page_cache"]
        .setdefault("stock", {"floor": None, "seq": 0, "changed": {}})
    )


def _follow_stock_changes(state: dict, seq: int) -> None:
    """Learn which editions' stock changed since this process last looked (up to ``seq``).

    A process that has just started, or that fell too far behind, cannot tell what changed
    before: it trusts no page rendered before that point (its *floor*).
    """
    stock = _stock_state()
    if stock["floor"] is None or seq - stock["seq"] > STOCK_CHANGES_KEPT // 2 or seq < stock["seq"]:
        stock.update(floor=seq, seq=seq, changed={})
        return
    if seq == stock["seq"]:
        return
    rows = db.session.execute(
        select(PageCacheStockChange.seq, PageCacheStockChange.edition_id).where(
            PageCacheStockChange.seq > stock["seq"], PageCacheStockChange.seq <= seq
        )
    )
    changed = stock["changed"]
    for change_seq, edition_id in rows:
        if change_seq > changed.get(edition_id, 0):
            changed[edition_id] = change_seq
    stock["seq"] = seq


def _stock_unchanged(meta, app: Flask | None = None) -> bool:
    """Is a cached page's stock still current: no edition it shows changed since it was made?"""
    rendered_at, editions, any_stock = meta
    stock = _stock_state(app)
    if stock["floor"] is None or rendered_at < stock["floor"]:
        return False
    if any_stock:
        return stock["seq"] <= rendered_at
    changed = stock["changed"]
    return all(changed.get(edition_id, 0) <= rendered_at for edition_id in editions)


def _forget_generation(*_args) -> None:
    if has_app_context():
        current_app.extensions.get("page_cache", {}).pop("generation", None)


def _backend(app: Flask):
    """``app``'s page cache itself (cachelib's), which ``cache`` (Flask-Caching's) stands for:
    ``cache.get`` looks it up through ``current_app`` on every call."""
    return app.extensions["cache"][cache]


def _cache_call_on(app: Flask, backend, name: str, *args, evicting=(), view=None, **kwargs):
    """A cache read or write on ``app``'s cache ``backend`` (``_backend(app)``, or ``cache``,
    which finds the same through ``current_app``); a Redis outage costs neither
    the page nor its speed. A ``set`` to Redis ``evicting`` keys deletes them in the same
    round trip. A ``get`` with a ``view`` (``view_mark``) notes a view of that page too, in
    the same round trip, and returns the page (or None) with whether the page was viewed
    before, within ``PAGE_CACHE_SECONDS``.

    Behind the circuit breaker: after a failure no request asks Redis for a while and pages
    are kept in this process's memory instead (``PAGE_CACHE_ENTRIES`` at most); the log gets
    one warning a minute rather than a traceback each time.
    """
    state = app.extensions["page_cache"]
    fallback = state.get("fallback")
    if fallback is None:  # the cache is this process's memory already
        return _viewed_here(state, getattr(backend, name)(*args, **kwargs), view)
    near: NearPages = state["near"]
    if name == "get":
        found = near.get(args[0])
        if found is not None:
            return found if view is None else (found, True)
    elif name == "set":
        near.forget([args[0], *evicting])
    elif name == "delete":
        near.forget(args)
    if redis_breaker.allow():
        try:
            lines: _RedisLines | None = state.get("lines")
            result: Any
            if lines is not None and name == "get" and view is not None:
                result = lines.get_viewed(args[0], view, app.config["PAGE_CACHE_SECONDS"])
            elif lines is not None and name == "get":
                result = lines.get(args[0])
            elif lines is not None and name == "set":
                result = lines.set(args[0], args[1], kwargs.get("timeout"), evicting)
            else:
                for gone in evicting:
                    backend.delete(gone)
                result = _viewed_here(state, getattr(backend, name)(*args, **kwargs), view)
        except (RedisError, OSError) as error:
            redis_breaker.failed(error)
        else:
            redis_breaker.succeeded()
            page = result if view is None else result[0]
            if name == "get" and page is not None:
                near.keep(args[0], page)
            return result
    for gone in evicting:
        fallback.delete(gone)
    return _viewed_here(state, getattr(fallback, name)(*args, **kwargs), view)


def _viewed_here(state: dict, result, view: str | None):
    """``result``, with whether this process saw a view of the page before (when ``view``)."""
    return result if view is None else (result, state["views"].seen(view))


class _RedisLines:
    """The GET and SET of cachelib's ``RedisCache`` (its key prefix, serializer and clients'
    servers), sent on connections this process keeps (``page_cache_redis``); a SET carries
    the DELs of the pages it evicts in the same round trip."""

    def __init__(self, backend, read: RedisLine, write: RedisLine) -> None:
        self.backend, self.read, self.write = backend, read, write

    @classmethod
    def of(cls, backend) -> "_RedisLines | None":
        """For ``backend``, if it is a ``RedisCache``; None for another (its own calls)."""
        read = getattr(backend, "_read_client", None)
        write = getattr(backend, "_write_client", None)
        if read is None or write is None or not hasattr(backend, "_get_prefix"):
            return None
        reading = RedisLine(read)
        return cls(backend, reading, reading if write is read else RedisLine(write))

    def get(self, key: str) -> Any:
        backend = self.backend
        return backend.serializer.loads(self.read.call("GET", backend._get_prefix() + key))

    def get_viewed(self, key: str, view: str, seconds: int) -> tuple[Any, bool]:
        """The page under ``key``, and whether its ``view`` was noted before: noted now, to
        last ``seconds`` (a key of its own, written where the pages are written)."""
        backend = self.backend
        prefix = backend._get_prefix()
        page, noted = self.write.calls(
            [("GET", prefix + key), ("SET", prefix + view, b"1", "NX", "EX", max(1, seconds))]
        )
        return backend.serializer.loads(page), noted is None

    def set(self, key: str, value, timeout: int | None, evicting=()) -> bool:
        backend = self.backend
        prefix = backend._get_prefix()
        seconds = backend._normalize_timeout(timeout)
        keep: tuple = ("SET", prefix + key, backend.serializer.dumps(value))
        if seconds != -1:  # cachelib's "never expires"
            keep += ("EX", seconds)
        commands = [keep]
        if evicting:
            commands.append(("DEL", *[prefix + gone for gone in evicting]))
        return bool(self.write.calls(commands)[0])


# -- Invalidation -------------------------------------------------------------------------------


def note_change(connection: Connection) -> None:
    """Say that this connection's transaction changed what pages show, through raw SQL."""
    connection.info[_CHANGED] = True
    note_write(connection)


def watch_engine(engine: Engine) -> None:
    """Flag transactions that write watched tables; bump the generation as they commit."""
    if event.contains(engine, "after_execute", _after_execute):
        return
    event.listen(engine, "after_execute", _after_execute)
    event.listen(engine, "commit", _before_commit)
    event.listen(engine, "rollback", _after_rollback)
    # Again once the COMMIT is done, in case another thread read the generation meanwhile.
    if not event.contains(db.session, "after_commit", _forget_generation):
        event.listen(db.session, "after_commit", _forget_generation)


def _after_execute(conn, clauseelement, multiparams, params, execution_options, result) -> None:
    if isinstance(clauseelement, UpdateBase):
        table = getattr(clauseelement, "table", None)
        name = getattr(table, "name", None)
        if name not in WATCHED_TABLES:
            return
        if execution_options.get(UNSEEN_OPTION):
            return
        stock = execution_options.get(STOCK_OPTION)
        if name == "editions" and stock is not None:
            conn.info.setdefault(_STOCK, set()).update(stock)
        else:
            conn.info[_CHANGED] = True


def _before_commit(conn: Connection) -> None:
    # The last statements of the transaction, so the row lock is held only for the COMMIT and
    # can never take part in a deadlock; it also numbers stock changes in commit order.
    changed = conn.info.pop(_CHANGED, False)
    stock = conn.info.pop(_STOCK, None)
    if not changed and not stock:
        return
    cursor = conn.connection.cursor()
    try:
        if changed:
            cursor.execute(_BUMP)  # a new generation: every page renders afresh anyway
        else:
            cursor.execute(_BUMP_STOCK)
            row = cursor.fetchone()
            if row is None:  # no generation row: nothing was ever cached against it
                return
            seq = row[0]
            insert, purge = _STOCK_SQL[conn.dialect.paramstyle == "qmark"]
            cursor.executemany(insert, [(seq, edition_id) for edition_id in sorted(stock)])
            if seq % 1000 == 0:
                cursor.execute(purge, (seq - STOCK_CHANGES_KEPT,))
    finally:
        cursor.close()
    _forget_generation()


def _after_rollback(conn: Connection) -> None:
    conn.info.pop(_CHANGED, None)
    conn.info.pop(_STOCK, None)


# -- Parts of pages -----------------------------------------------------------------------------


def part_scope() -> tuple | None:
    """While a cacheable page is being rendered: what a part of it shared between pages (a book
    card) may be kept under -- the generation, the shop's day and the visitor's audience --
    and the stock sequence its data was read at; None otherwise (staff, the cache off)."""
    state = contexts.app_globals()
    if not state.get(_FILLING) or _RENDERED_AT not in state:
        return None
    from bookstore.catalog.filters import shop_today

    return (_generation(), shop_today(), audience()), state.get(_RENDERED_AT)


def stock_current(rendered_at: int, edition_ids) -> bool:
    """Has no edition among ``edition_ids`` changed its stock since ``rendered_at``?"""
    return _stock_unchanged((rendered_at, edition_ids, False))


def page_until() -> datetime | None:
    """The moment the page being rendered must be refreshed by, so far (see ``keep_until``)."""
    until: datetime | None = contexts.app_globals().get(_UNTIL)
    return until


def kept_while_unchanged(name: str, compute: Callable[[], T]) -> T:
    """A value read from watched tables (the subjects of the filter form), kept in this
    process while the generation stays the same; read afresh each time with the cache off."""
    app = contexts.app()
    if not app.config.get("PAGE_CACHE_SECONDS"):
        return compute()
    kept = app.extensions["page_cache"].setdefault("kept", {})
    generation = _generation()
    found = kept.get(name)
    if found is None or found[0] != generation:
        found = kept[name] = (generation, compute())
    value: T = found[1]
    return value
