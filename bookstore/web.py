"""Request-wide behaviour: security headers, error pages, template helpers."""

from collections import ChainMap

from flask import Flask, current_app, has_request_context, render_template, request
from flask.globals import request_ctx
from flask_wtf.csrf import CSRFError
from jinja2 import Template
from jinja2.runtime import new_context
from markupsafe import Markup
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from bookstore import contexts
from bookstore.extensions import csrf, db
from bookstore.links import ProbesAnswerAnyHost, external_url
from bookstore.money import format_cents

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "style-src 'self'",
        "script-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)


# On every response (see add_security_headers), in this order.
SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("X-Frame-Options", "DENY"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)
HSTS = ("Strict-Transport-Security", "max-age=63072000; includeSubDomains")  # over HTTPS


def init_app(app: Flask) -> None:
    """Attach headers, error handlers and template helpers to the app."""
    from bookstore import page_cache_hits

    # Before any template is loaded: each is made of this class.
    app.jinja_env.template_class = ShopTemplate
    # Innermost: a guest's page-cache hit is answered before Flask, once ProxyFix has read
    # the scheme and host.
    page_cache_hits.init_app(app)
    if app.config.get("TRUST_PROXY_HEADERS"):
        hops = int(app.config["TRUST_PROXY_HEADERS"])
        # Flask's own documented way to add WSGI middleware, but its type hints declare
        # wsgi_app a method, so mypy refuses the assignment (here and on the next one).
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops
        )
    app.wsgi_app = ProbesAnswerAnyHost(app.wsgi_app, app)  # type: ignore[method-assign]

    app.after_request(add_security_headers)
    app.after_request(keep_private_pages_out_of_caches)
    app.register_error_handler(HTTPException, render_http_error)
    app.register_error_handler(CSRFError, render_csrf_error)
    app.register_error_handler(Exception, render_server_error)
    app.jinja_env.filters["money"] = lambda cents: format_cents(
        cents, app.config.get("CURRENCY", "USD")
    )
    app.context_processor(template_globals)
    app.jinja_env.globals["has_endpoint"] = has_endpoint
    # Absolute links (canonical, feeds, emails) come from SHOP_BASE_URL, never the request.
    app.jinja_env.globals["external_url"] = external_url
    app.jinja_env.globals["url_for"] = remembered_url_for(app)
    app.jinja_env.globals["same_for_every_page"] = same_for_every_page()


class ShopTemplate(Template):
    """A template whose rendering context copies the environment's globals as the dict they
    are. Jinja hands each template its globals as a ``ChainMap`` over the environment's (so
    that later changes show), and every render copies them into the page's context: the
    shop's fifty globals, each read through ``ChainMap.__getitem__`` in Python. A template
    with globals of its own keeps Jinja's way."""

    def new_context(self, vars=None, shared=False, locals=None):  # noqa: A002  (Jinja's names)
        """As Jinja's, from the environment's globals themselves when they are all there is."""
        names = self.globals
        environment_globals = self.environment.globals
        if (
            type(names) is ChainMap
            and len(names.maps) == 2
            and not names.maps[0]
            and names.maps[1] is environment_globals
        ):
            names = environment_globals  # the same names and values, read live
        return new_context(self.environment, self.name, self.blocks, vars, shared, names, locals)


URLS_REMEMBERED = 20_000


def remembered_url_for(app: Flask):
    """Templates' ``url_for``, remembering the links it built: a page's header, footer and
    forms ask for the same few dozen links on every request, and building one costs as much
    as rendering a book card's price. A link depends only on its endpoint and values and on
    the path the shop is mounted at (no URL defaults are injected per request), so the
    plain ones are kept; anchors, external links and the like are built every time."""
    build = app.url_for
    known: dict[tuple, str] = {}

    def url_for(endpoint: str, **values) -> str:
        if not has_request_context() or any(name.startswith("_") for name in values):
            return build(endpoint, **values)
        blueprint = request.blueprint if endpoint.startswith(".") else None
        try:
            key = (request.script_root, blueprint, endpoint, *sorted(values.items()))
            found = known.get(key)
        except TypeError:  # a list of values: build it
            return build(endpoint, **values)
        if found is None:
            if len(known) >= URLS_REMEMBERED:
                known.clear()
            found = known[key] = build(endpoint, **values)
        return found

    return url_for


def same_for_every_page():
    """Templates' ``same_for_every_page(template)``: the HTML of a part of the layout that
    depends only on the shop's code and where it is mounted (the stylesheet and script links,
    the footer's fixed links), rendered on first use and kept by the process. The layout is
    rendered on every page the cache does not answer, and these parts were most of its cost."""
    kept: dict[tuple[str, str], Markup] = {}

    def part(template: str) -> Markup:
        key = (template, request.script_root)
        found = kept.get(key)
        if found is None:
            found = kept[key] = Markup(render_template(template))  # noqa: S704  (our template)
        return found

    return part


def check_csrf_on_writes() -> None:
    """Flask-WTF's check of a request's CSRF token, for the methods it checks (POST, PUT,
    PATCH, DELETE) and views not exempt from it (``bookstore.register_csrf_check``)."""
    config = contexts.app().config
    if config["WTF_CSRF_ENABLED"] and contexts.this_request().method in config["WTF_CSRF_METHODS"]:
        csrf.protect(apply_exemptions=True)


def add_security_headers(response):
    """Every response: CSP without inline code, nosniff, referrer policy, HSTS over HTTPS."""
    headers = response.headers
    present = {name.lower() for name, _value in headers.items()}
    wanted = [*SECURITY_HEADERS, HSTS] if contexts.this_request().is_secure else SECURITY_HEADERS
    # As setdefault on each, in one pass over the headers rather than one a header.
    headers.extend([item for item in wanted if item[0].lower() not in present])
    return response


# Pages with names, addresses, orders or one-time tokens: never kept by a browser or proxy.
PRIVATE_BLUEPRINTS = frozenset({"accounts", "checkout", "staff", "cart", "members", "deals"})
PRIVATE_ENDPOINTS = frozenset(
    {
        "digest.confirm",
        "digest.unsubscribe",
        "digest.unsubscribe_now",
        "reviews.write",
        "reviews.mine",
    }
)


def keep_private_pages_out_of_caches(response):
    """``Cache-Control: no-store`` on account, order, checkout, cart and staff pages."""
    asked = contexts.this_request()
    endpoint = asked.endpoint or ""
    if asked.blueprint in PRIVATE_BLUEPRINTS or endpoint in PRIVATE_ENDPOINTS:
        response.headers["Cache-Control"] = "no-store"
        response.headers.setdefault("Pragma", "no-cache")
    return response


def _roll_back_session() -> None:
    """Undo what the failed request wrote, if it opened a database session at all (a 404 for
    an address no route matches never did, and a session made only to be rolled back and
    closed is about 100,000 instructions)."""
    if db.session.registry.has():
        db.session.rollback()


def render_http_error(error: HTTPException):
    if error.code is None or error.code < 400:
        return error
    _roll_back_session()
    if request_ctx.url_adapter is None:
        # No usable host (not in TRUSTED_HOSTS): no page with links can be built for it.
        return current_app.response_class(
            "400 Bad Request: this shop does not answer to that host name.\n",
            400,
            mimetype="text/plain",
        )
    page = render_template(
        [f"errors/{error.code}.html", "errors/generic.html"],
        code=error.code,
        name=error.name,
        description=error.description,
        # What the view said about this case, as opposed to Werkzeug's stock sentence.
        detail=error.description if error.description != type(error).description else None,
    )
    # Keep headers such as Allow (405) and Retry-After (429), but serve our own HTML.
    headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
    return page, error.code, headers


def render_csrf_error(error: CSRFError):
    _roll_back_session()
    return (
        render_template(
            "errors/generic.html",
            code=400,
            name="Your form expired",
            description="The form was missing its security token or it had expired. "
            "Nothing was changed: go back, reload the page and try again.",
        ),
        400,
    )


def render_server_error(error: Exception):
    propagate = current_app.config.get("PROPAGATE_EXCEPTIONS")
    if propagate is None:
        propagate = current_app.testing or current_app.debug
    if propagate:
        raise error
    _roll_back_session()
    current_app.logger.exception("Unhandled error on %s %s", request.method, request.path)
    return render_template("errors/500.html", code=500), 500


# Main navigation; an entry shows once its feature is registered.
MAIN_NAV = [
    ("pages.home", "Home"),
    ("catalog.browse", "Books"),
    ("journal.index", "Journal"),
    ("deals.index", "Member deals"),
    ("pages.about", "About"),
]


def template_globals() -> dict:
    """What the layout shows from the settings and the features registered, for each
    template rendered (the settings may change while the app runs; tests change them)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    config = app.config
    views = app.view_functions
    return {
        "shop_name": config["SHOP_NAME"],
        "payments_use_standin": not config.get("STRIPE_SECRET_KEY"),
        "main_nav": [(e, label) for e, label in MAIN_NAV if e in views],
    }


def has_endpoint(endpoint: str) -> bool:
    """Templates' ``has_endpoint(name)``: is that feature's page registered?"""
    return endpoint in current_app.view_functions
