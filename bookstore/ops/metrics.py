"""``GET /metrics``: Prometheus text format, through the official ``prometheus_client``.

Per-request figures (counts, latency by endpoint) and the page cache's hits and misses are
counters kept by each process; figures read from the database (orders by state) are computed
when Prometheus scrapes.

Several gunicorn workers: each worker keeps its own counters, and a scrape reaches one worker
at random. Set ``PROMETHEUS_MULTIPROC_DIR`` to an empty folder, the same for every worker, before
gunicorn starts (``bookstore/ops/gunicorn_config.py`` empties it and forgets dead workers): the
counters then live in files there and every scrape adds up all workers. Without it, each
process reports only itself, which is right for ``flask run`` and single-worker servers.

Who may scrape: loopback, and the networks in ``METRICS_ALLOW`` (CIDRs, comma-separated);
anyone else gets 404. Without ``TRUST_PROXY_HEADERS`` a request that came through a proxy
(it carries ``X-Forwarded-For``) is refused too: its address is the proxy's, not the client's.
"""

import ipaddress
import os
import time
from collections.abc import Iterator

from flask import Blueprint, Flask, abort, current_app, request
from flask.wrappers import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from bookstore import contexts
from bookstore.extensions import db, limiter

bp = Blueprint("ops_metrics", __name__)
# The *_created series double the output and tell Prometheus nothing it needs here.
disable_created_metrics()

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

REQUESTS = Counter(
    "bookstore_http_requests",
    "HTTP requests answered, by endpoint, method and status code.",
    ["endpoint", "method", "status"],
)
LATENCY = Histogram(
    "bookstore_http_request_duration_seconds",
    "Time to answer an HTTP request, by endpoint.",
    ["endpoint", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
_STARTED = "_metrics_started"
_PROXY_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP")


def init_app(app: Flask) -> None:
    """Time every request and read who may scrape from ``METRICS_ALLOW``."""
    app.extensions["metrics_allow"] = parse_networks(app.config.get("METRICS_ALLOW") or "")
    app.before_request(_start_timer)
    app.after_request(_record_request)


def parse_networks(raw: str) -> list[Network]:
    """CIDRs separated by commas or spaces; a bad one stops the app from starting."""
    networks = []
    for item in raw.replace(",", " ").split():
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise RuntimeError(f"METRICS_ALLOW: {item!r} is not a network (CIDR)") from None
    return networks


def _start_timer() -> None:
    contexts.app_globals().setdefault(_STARTED, time.perf_counter())


def _record_request(response: Response) -> Response:
    started = contexts.app_globals().get(_STARTED)
    asked = contexts.this_request()
    # Unknown URLs share one label, so a scan cannot make a series per address.
    endpoint = asked.url_rule.endpoint if asked.url_rule else "unmatched"
    seconds = None if started is None else time.perf_counter() - started
    count_request(endpoint, asked.method, str(response.status_code), seconds)
    return response


_series: dict[tuple[str, str, str], tuple] = {}


def count_request(endpoint: str, method: str, status: str, seconds: float | None) -> None:
    """Count one answered request (and its time, when known)."""
    series = _series.get((endpoint, method, status))
    if series is None:
        # labels() is a good part of the cost: keep each series' children (endpoints,
        # methods and statuses are few).
        series = (REQUESTS.labels(endpoint, method, status), LATENCY.labels(endpoint, method))
        if len(_series) < 10_000:
            _series[(endpoint, method, status)] = series
    series[0].inc()
    if seconds is not None:
        series[1].observe(seconds)


def may_scrape() -> bool:
    """Loopback and ``METRICS_ALLOW`` only, and never a request relayed by an untrusted proxy."""
    if not current_app.config.get("TRUST_PROXY_HEADERS") and any(
        name in request.headers for name in _PROXY_HEADERS
    ):
        return False
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address.is_loopback:
        return True
    return any(address in network for network in current_app.extensions["metrics_allow"])


@bp.get("/metrics")
@limiter.exempt
def metrics() -> Response:
    """Every metric in Prometheus's text format."""
    if not may_scrape():
        abort(404)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        workers = CollectorRegistry()
        multiprocess.MultiProcessCollector(workers)
        body = generate_latest(workers)
    else:
        body = generate_latest(REGISTRY)
    shop = CollectorRegistry()
    shop.register(ShopCollector())
    body += generate_latest(shop)
    response = current_app.response_class(body, mimetype=None, content_type=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response


class ShopCollector(Collector):
    """Figures read from the database at scrape time (the same for every worker)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from bookstore.checkout.models import Order  # read-only: a count per state
        from bookstore.checkout.states import OrderState

        up = GaugeMetricFamily("bookstore_database_up", "1 if the database answered the scrape.")
        try:
            rows = db.session.execute(select(Order.state, func.count()).group_by(Order.state))
            counted = [(str(state), count) for state, count in rows]
        except SQLAlchemyError:
            # The workers' own figures are still worth a scrape when the database is down.
            current_app.logger.warning("Metrics: the database did not answer", exc_info=True)
            db.session.rollback()
            up.add_metric([], 0)
            yield up
            return
        db.session.rollback()
        up.add_metric([], 1)
        yield up
        counts = {str(state): 0 for state in OrderState} | dict(counted)
        orders = GaugeMetricFamily(
            "bookstore_orders", "Orders in the database, by state.", labels=["state"]
        )
        for state, count in sorted(counts.items()):
            orders.add_metric([state], count)
        yield orders
        yield from _job_metrics()


def _job_metrics() -> Iterator[GaugeMetricFamily]:
    from bookstore import jobs

    try:
        figures = jobs.stats()
    except SQLAlchemyError:
        current_app.logger.warning(
            "Metrics: the job queue's figures are unavailable", exc_info=True
        )
        return
    finally:
        db.session.rollback()
    for name, help_text in (
        ("pending", "Jobs waiting to run (the backlog)."),
        ("failed", "Jobs that gave up after their retries (the dead-letter list)."),
        ("oldest_pending_seconds", "How long the longest-waiting due job has waited."),
    ):
        gauge = GaugeMetricFamily(f"bookstore_jobs_{name}", help_text)
        gauge.add_metric([], figures[name])
        yield gauge
