"""Settings, read from the environment with safe defaults.

Every variable is documented in the README. ``create_app(config)`` overrides any of them.
"""

import os
import secrets
from pathlib import Path


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise RuntimeError(f"{name} must be a whole number, not {raw!r}") from None


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise RuntimeError(f"{name} must be a number, not {raw!r}") from None


def _limiter_storage(redis_url: str | None) -> str:
    if not redis_url:
        return "memory://"
    if redis_url.startswith(("redis://", "rediss://")):
        return "shop+" + redis_url
    if redis_url.startswith("unix://"):  # a socket, redis+unix:// to the limits library
        return "shop+redis+unix://" + redis_url.removeprefix("unix://")
    return redis_url


def _redis_url(raw: str | None) -> str | None:
    """``REDIS_URL`` as redis-py reads it: a Unix socket is ``unix:///path?db=N`` there (the
    limits library's ``redis+unix://`` spelling is taken too)."""
    if raw and raw.startswith("redis+unix://"):
        return "unix://" + raw.removeprefix("redis+unix://")
    return raw


def instance_secret_key(instance_path: str) -> str:
    """A secret key kept in the instance folder, so sessions survive restarts of ``make run``."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def from_environment(instance_path: str) -> dict:
    """Build the settings dictionary from environment variables."""
    env = os.environ.get
    database_url = env("DATABASE_URL") or ("sqlite:///" + str(Path(instance_path) / "bookstore.db"))
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgres://")
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
    redis_url = _redis_url(env("REDIS_URL")) or None
    # Pooled connections are checked after they sat idle (database.ping_idle_connections), not
    # on every checkout as pool_pre_ping would.
    engine_options: dict = {}
    if database_url.startswith("postgresql"):
        # A database that stops answering fails fast (health checks, requests) instead of hanging.
        engine_options["connect_args"] = {"connect_timeout": _int("DATABASE_CONNECT_TIMEOUT", 5)}
    return {
        # None: create_app falls back to a key kept in the instance folder.
        "SECRET_KEY": env("SECRET_KEY") or None,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
        "REDIS_URL": redis_url,
        # Redis behind a circuit breaker; the database while it fails (ratelimit_storage.py).
        "RATELIMIT_STORAGE_URI": _limiter_storage(redis_url),
        "REDIS_TIMEOUT_SECONDS": _float("REDIS_TIMEOUT_SECONDS", 0.25),
        "REDIS_RETRY_SECONDS": _float("REDIS_RETRY_SECONDS", 10.0),
        # Public pages for anonymous visitors (bookstore/page_cache.py): in Redis when there
        # is one, else in each worker's memory (at most PAGE_CACHE_ENTRIES pages).
        "PAGE_CACHE_SECONDS": _int("PAGE_CACHE_SECONDS", 600),
        # A page is kept from its second view within PAGE_CACHE_SECONDS (page_cache_bounds.py).
        "PAGE_CACHE_KEEP_FIRST_VIEW": _bool("PAGE_CACHE_KEEP_FIRST_VIEW", False),
        "CACHE_TYPE": "RedisCache" if redis_url else "SimpleCache",
        "CACHE_REDIS_URL": redis_url,
        "CACHE_KEY_PREFIX": "bookstore:",
        "CACHE_THRESHOLD": _int("PAGE_CACHE_ENTRIES", 1000),
        # Bounds per worker: variants of one page (query strings), and bytes of all pages.
        "PAGE_CACHE_VARIANTS": _int("PAGE_CACHE_VARIANTS", 100),
        "PAGE_CACHE_MAX_BYTES": _int("PAGE_CACHE_MAX_MB", 64) * 1024 * 1024,
        # Rendered book cards each worker keeps for its list pages (bookstore/catalog/cards.py).
        "CARD_CACHE_ENTRIES": _int("CARD_CACHE_ENTRIES", 10_000),
        # Only for a plain redis:// storage given in RATELIMIT_STORAGE_URI; shop+redis never fails.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_HEADERS_ENABLED": True,
        "SHOP_NAME": env("SHOP_NAME", "Russian Life Books"),
        # Times are stored in UTC and shown and entered in this zone (bookstore/shoptime.py).
        "SHOP_TIMEZONE": env("SHOP_TIMEZONE") or "America/New_York",
        "CURRENCY": env("CURRENCY", "USD").upper(),
        "PAGE_SIZE": _int("PAGE_SIZE", 24),
        # Cart and shipping rules, in cents.
        "CART_MAX_PER_LINE": _int("CART_MAX_PER_LINE", 10),
        "CART_GUEST_TTL_DAYS": _int("CART_GUEST_TTL_DAYS", 30),
        # One reminder for a cart left this long (bookstore/alerts/reminders.py); 0: none.
        "CART_REMINDER_HOURS": _int("CART_REMINDER_HOURS", 24),
        # The shop's own country pays these; staff set what shipping abroad costs
        # (bookstore/shipping).
        "SHOP_COUNTRY": (env("SHOP_COUNTRY") or "US").strip().upper(),
        "SHIPPING_FLAT_CENTS": _int("SHIPPING_FLAT_CENTS", 500),
        "FREE_SHIPPING_OVER_CENTS": _int("FREE_SHIPPING_OVER_CENTS", 5000),
        "SHIPPING_EXPRESS_CENTS": _int("SHIPPING_EXPRESS_CENTS", 1500),
        # Delivery dates (bookstore/delivery.py): business days in transit per method, the
        # hour (shop time) after which an order leaves the next business day, and whose
        # public holidays are not business days (a country code; empty: weekends only).
        "SHIPPING_STANDARD_DAYS": env("SHIPPING_STANDARD_DAYS") or "5-8",
        "SHIPPING_EXPRESS_DAYS": env("SHIPPING_EXPRESS_DAYS") or "2-3",
        "SHIPPING_CUTOFF_HOUR": _int("SHIPPING_CUTOFF_HOUR", 14),
        "SHIPPING_HOLIDAYS": env("SHIPPING_HOLIDAYS", "US"),
        # Customer service: shown in the footer; contact-form messages go to CONTACT_EMAIL_TO.
        "CUSTOMER_SERVICE_EMAIL": env("CUSTOMER_SERVICE_EMAIL") or "help@russianlifebooks.example",
        "CONTACT_EMAIL_TO": env("CONTACT_EMAIL_TO") or None,
        "CONTACT_RATELIMIT": env("CONTACT_RATELIMIT") or "5/hour",
        "LOW_STOCK_THRESHOLD": _int("LOW_STOCK_THRESHOLD", 3),
        # Payments.
        "STRIPE_SECRET_KEY": env("STRIPE_SECRET_KEY") or None,
        "STRIPE_PUBLISHABLE_KEY": env("STRIPE_PUBLISHABLE_KEY") or None,
        "STRIPE_WEBHOOK_SECRET": env("STRIPE_WEBHOOK_SECRET") or None,
        "STRIPE_API_BASE": env("STRIPE_API_BASE") or None,
        "STRIPE_TIMEOUT_SECONDS": _int("STRIPE_TIMEOUT_SECONDS", 10),
        # A Stripe or mail call inside an open write transaction: off, log or raise.
        "NETWORK_GUARD": env("NETWORK_GUARD") or "off",
        "RESERVATION_MINUTES": _int("RESERVATION_MINUTES", 30),
        "MEMBERSHIP_PRICE_CENTS": _int("MEMBERSHIP_PRICE_CENTS", 3500),
        # Gifts (bookstore/gifts): days a gift membership's claim link works, and the gift
        # wrap price until staff set one in the back office.
        "GIFT_CLAIM_DAYS": _int("GIFT_CLAIM_DAYS", 90),
        "GIFT_WRAP_DEFAULT_CENTS": _int("GIFT_WRAP_DEFAULT_CENTS", 500),
        # Email: SMTP when MAIL_SERVER is set, else .eml files in instance/outbox/.
        "MAIL_SERVER": env("MAIL_SERVER") or None,
        "MAIL_PORT": _int("MAIL_PORT", 25),
        "MAIL_USERNAME": env("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": env("MAIL_PASSWORD") or None,
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS", False),
        "MAIL_USE_SSL": _bool("MAIL_USE_SSL", False),
        "MAIL_DEFAULT_SENDER": env("MAIL_DEFAULT_SENDER", "Russian Life Books <books@localhost>"),
        "MAIL_OUTBOX": env("MAIL_OUTBOX") or str(Path(instance_path) / "outbox"),
        # Background jobs (bookstore/jobs): the queue (a SQLite file by default, or Redis),
        # retries, the worker's lease on a job, and when the weekly digest goes out.
        "JOBS_URL": env("JOBS_URL") or None,
        "JOBS_QUEUE_NAME": env("JOBS_QUEUE_NAME") or "bookstore-jobs",
        "JOBS_RUN_INLINE": _bool("JOBS_RUN_INLINE", False),
        "JOBS_WORKERS": _int("JOBS_WORKERS", 2),
        "JOBS_MAX_ATTEMPTS": _int("JOBS_MAX_ATTEMPTS", 10),
        "JOBS_RETRY_SECONDS": _int("JOBS_RETRY_SECONDS", 30),
        "JOBS_LEASE_SECONDS": _int("JOBS_LEASE_SECONDS", 300),
        "DIGEST_WEEKDAY": env("DIGEST_WEEKDAY") or "thursday",
        "DIGEST_HOUR": _int("DIGEST_HOUR", 9),
        "COVER_DIR": env("COVER_DIR") or str(Path(instance_path) / "covers"),
        "POST_IMAGE_DIR": env("POST_IMAGE_DIR") or str(Path(instance_path) / "post-images"),
        "MAX_CONTENT_LENGTH": _int("MAX_UPLOAD_BYTES", 5 * 1024 * 1024),
        # `flask covers fetch`: where a missing cover is looked for by ISBN ({isbn}: ISBN-13).
        "COVER_FETCH_URL": env(
            "COVER_FETCH_URL",
            "https://covers.openlibrary.org/b/isbn/{isbn}-L.jpg?default=false",
        ),
        "COVER_FETCH_TIMEOUT": _int("COVER_FETCH_TIMEOUT", 10),
        # Search suggestions as the shopper types, per client IP.
        "SUGGEST_RATELIMIT": env("SUGGEST_RATELIMIT", "120/minute"),
        # Cookies: Secure follows the scheme the shop is served on.
        "PREFERRED_URL_SCHEME": env("PREFERRED_URL_SCHEME", "http"),
        # The shop's public address: every absolute link is built from it (bookstore/links.py),
        # and its host (plus TRUSTED_HOSTS) is the only one answered. Required unless
        # SHOP_DEVELOPMENT=1 (make run), debug or testing.
        "SHOP_BASE_URL": env("SHOP_BASE_URL") or None,
        "TRUSTED_HOSTS": env("TRUSTED_HOSTS") or None,
        "SHOP_DEVELOPMENT": _bool("SHOP_DEVELOPMENT", False),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", False),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", False),
        "TRUST_PROXY_HEADERS": _int("TRUST_PROXY_HEADERS", 0),
        "WTF_CSRF_TIME_LIMIT": None,
        # Operations (bookstore/ops/): logs, Sentry, who may read /metrics.
        "LOG_FORMAT": (env("LOG_FORMAT") or "text").lower(),
        "LOG_LEVEL": (env("LOG_LEVEL") or "INFO").upper(),
        "SENTRY_DSN": env("SENTRY_DSN") or None,
        "SENTRY_ENVIRONMENT": env("SENTRY_ENVIRONMENT") or "production",
        "METRICS_ALLOW": env("METRICS_ALLOW") or "",
        "HEALTHZ_MAX_JOB_WAIT_SECONDS": _int("HEALTHZ_MAX_JOB_WAIT_SECONDS", 600),
    }
