"""The bookstore: ``create_app()`` builds a configured Flask application."""

import contextlib
import os
from pathlib import Path

from flask import Flask

from bookstore import config as settings
from bookstore import redis_breaker

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Shop(Flask):
    """Flask, asking once per hook or view whether it is a coroutine function (Flask asks
    ``inspect`` for each of a request's dozen hooks on every request)."""

    SYNC_CHECKS_KEPT = 1000

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._sync_checked: dict = {}

    def ensure_sync(self, func):
        """As Flask's, remembered for the app's own hooks and views."""
        try:
            return self._sync_checked[func]
        except (KeyError, TypeError):
            synced = super().ensure_sync(func)
            if len(self._sync_checked) < self.SYNC_CHECKS_KEPT:  # hooks and views are few
                with contextlib.suppress(TypeError):  # not hashable
                    self._sync_checked[func] = synced
            return synced


def create_app(config: dict | None = None) -> Flask:
    """Create the app: settings, extensions, blueprints, error pages, CLI commands."""
    config = dict(config or {})
    instance_path = (
        config.pop("INSTANCE_PATH", None)
        or os.environ.get("INSTANCE_PATH")
        or str(PROJECT_ROOT / "instance")
    )
    app = Shop(
        __name__,
        instance_path=str(Path(instance_path).resolve()),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(settings.from_environment(app.instance_path))
    app.config.from_mapping(config)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = settings.instance_secret_key(app.instance_path)
    check_settings(app)
    redis_breaker.configure(app.config)
    register_operations(app)
    register_extensions(app)
    register_input_checks(app)
    register_blueprints(app)
    register_web_hooks(app)
    register_commands(app)
    return app


def check_settings(app: Flask) -> None:
    """Refuse settings that must never run."""
    key = app.config.get("STRIPE_SECRET_KEY") or ""
    if key.startswith(("sk_live_", "rk_live_")):
        raise RuntimeError("Live Stripe keys are refused: this shop runs in Stripe test mode only.")
    from bookstore import links

    development = app.debug or app.testing or app.config.get("SHOP_DEVELOPMENT")
    links.configure(app, development=bool(development))


def register_operations(app: Flask) -> None:
    """Request ids, logs, Sentry, /healthz and /metrics: first, so every later hook is covered."""
    from bookstore import ops

    ops.init_app(app)


def register_extensions(app: Flask) -> None:
    from bookstore import page_cache, ratelimit_storage  # noqa: F401  (registers shop+redis://)
    from bookstore.extensions import csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    register_csrf_check(app, csrf)
    login_manager.init_app(app)
    limiter.init_app(app)
    page_cache.init_app(app)  # after csrf: it wraps the templates' csrf_token()

    from bookstore import (
        alerts,
        jobs,
        models,  # noqa: F401  (every model, for Alembic and relationships)
        txguard,
    )
    from bookstore.accounts import sessions  # noqa: F401  (registers the user loader)
    from bookstore.database import configure_engine_events, end_read_only_transactions

    with app.app_context():
        configure_engine_events(db.engine)
        end_read_only_transactions(app, db.engine)
    txguard.init_app(app)
    jobs.init_app(app)
    alerts.init_app(app)


def register_csrf_check(app: Flask, csrf) -> None:
    """Flask-WTF, with its check of every request made in the shop's order: the method first.

    Its own hook looks up the view's exemptions for every request and only then sees that a
    GET is never checked (``WTF_CSRF_METHODS``); the shop asks for the method first. The same
    check on the same requests, in the same place among the hooks. Flask-WTF's own hook and
    its context processor, which repeats its template globals, are not registered.
    """
    from bookstore import web

    check_by_default = app.config.get("WTF_CSRF_CHECK_DEFAULT", True)
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False  # Flask-WTF's hook would do nothing: drop it
    hooks = app.before_request_funcs.setdefault(None, [])
    processors = app.template_context_processors[None]
    known = (list(hooks), list(processors))
    csrf.init_app(app)
    # Its context processor gives templates the same csrf_token and csrf_meta_tag as its
    # globals; the page cache puts its own csrf_token among the globals (page_cache.init_app).
    hooks[:] = [hook for hook in hooks if hook in known[0]]
    processors[:] = [processor for processor in processors if processor in known[1]]
    if check_by_default:
        app.before_request(web.check_csrf_on_writes)


def register_input_checks(app: Flask) -> None:
    """URL converters and request filters that refuse unreadable input (before any route)."""
    from bookstore import edge

    edge.init_app(app)


def register_blueprints(app: Flask) -> None:
    from bookstore.accounts.views import bp as accounts_bp
    from bookstore.addresses import views as addresses_views
    from bookstore.alerts.views import bp as alerts_bp
    from bookstore.cart.views import bp as cart_bp
    from bookstore.catalog.views import bp as catalog_bp
    from bookstore.checkout.views import bp as checkout_bp
    from bookstore.checkout.webhooks import bp as stripe_webhook_bp
    from bookstore.deals.views import bp as deals_bp
    from bookstore.digest.views import bp as digest_bp
    from bookstore.gifts.views import bp as gifts_bp
    from bookstore.journal.views import bp as journal_bp
    from bookstore.members.views import bp as members_bp
    from bookstore.pages.views import bp as pages_bp
    from bookstore.policies.views import bp as policies_bp
    from bookstore.reviews.views import bp as reviews_bp
    from bookstore.staff.views import bp as staff_bp
    from bookstore.wishlist.views import bp as wishlist_bp

    app.register_blueprint(pages_bp)
    app.register_blueprint(catalog_bp)
    app.register_blueprint(journal_bp, url_prefix="/journal")
    app.register_blueprint(accounts_bp, url_prefix="/account")
    app.register_blueprint(cart_bp, url_prefix="/cart")
    app.register_blueprint(staff_bp, url_prefix="/staff")
    app.register_blueprint(checkout_bp)
    app.register_blueprint(stripe_webhook_bp)
    app.register_blueprint(members_bp)
    app.register_blueprint(deals_bp, url_prefix="/deals")
    app.register_blueprint(digest_bp, url_prefix="/digest")
    app.register_blueprint(policies_bp)
    app.register_blueprint(reviews_bp)
    app.register_blueprint(alerts_bp, url_prefix="/alerts")
    app.register_blueprint(wishlist_bp, url_prefix="/account/wishlist")
    app.register_blueprint(gifts_bp)
    app.register_blueprint(addresses_views.bp, url_prefix="/account/addresses")
    addresses_views.init_app(app)


def register_web_hooks(app: Flask) -> None:
    from bookstore import delivery, shoptime, social, web

    web.init_app(app)
    shoptime.init_app(app)
    delivery.init_app(app)
    social.init_app(app)


def register_commands(app: Flask) -> None:
    from bookstore.commands import register

    register(app)
