"""GET /metrics: Prometheus text for loopback and METRICS_ALLOW only."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bookstore.checkout.models import Order
from bookstore.checkout.states import OrderState
from bookstore.extensions import db
from bookstore.ops.metrics import parse_networks
from tests.factories import make_book


def scrape(client, **environ) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1", **environ})
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_requests_are_counted_and_timed_by_endpoint(client):
    before = scrape(client)
    client.get("/")
    client.get("/no/such/page")
    after = scrape(client)
    home = {"endpoint": "pages.home", "method": "GET"}
    assert (
        value(after, "bookstore_http_requests_total", status="200", **home)
        - value(before, "bookstore_http_requests_total", status="200", **home)
        == 1
    )
    unmatched = {"endpoint": "unmatched", "method": "GET", "status": "404"}
    assert (
        value(after, "bookstore_http_requests_total", **unmatched)
        - value(before, "bookstore_http_requests_total", **unmatched)
        == 1
    )
    assert (
        value(after, "bookstore_http_request_duration_seconds_count", **home)
        - value(before, "bookstore_http_request_duration_seconds_count", **home)
        == 1
    )


def test_page_cache_hits_and_misses_are_counted(app_ctx, client):
    make_book("Metrics and Mirrors")
    before = scrape(client)
    client.get("/books?sort=title")  # rendered and stored
    client.get("/books?sort=title")  # served from the cache
    after = scrape(client)
    for result in ("hit", "miss"):
        name = "bookstore_page_cache_lookups_total"
        assert value(after, name, result=result) - value(before, name, result=result) == 1


def test_orders_are_counted_by_state(app, client):
    with app.app_context():
        for state in (OrderState.PAID, OrderState.PAID, OrderState.SHIPPED):
            db.session.add(
                Order(email="a@example.com", subtotal_cents=900, total_cents=900, state=state)
            )
        db.session.commit()
    samples = scrape(client)
    assert value(samples, "bookstore_orders", state="paid") == 2
    assert value(samples, "bookstore_orders", state="shipped") == 1
    assert ("bookstore_orders", (("state", "refunded"),)) in samples  # every state, even at 0


@pytest.mark.parametrize(
    "address", ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1", "10.20.0.7", "fd00::5"]
)
def test_loopback_and_allowed_networks_may_scrape(make_app, address):
    app = make_app(METRICS_ALLOW="10.20.0.0/16, fd00::/8")
    response = app.test_client().get("/metrics", environ_base={"REMOTE_ADDR": address})
    assert response.status_code == 200


@pytest.mark.parametrize("address", ["10.21.0.7", "192.0.2.1", "2001:db8::1"])
def test_other_addresses_get_404(make_app, address):
    app = make_app(METRICS_ALLOW="10.20.0.0/16")
    response = app.test_client().get("/metrics", environ_base={"REMOTE_ADDR": address})
    assert response.status_code == 404
    assert b"bookstore_http_requests" not in response.data


def test_a_request_relayed_by_an_untrusted_proxy_is_refused(client):
    # A proxy on the same host makes every visitor look like loopback.
    response = client.get(
        "/metrics",
        headers={"X-Forwarded-For": "203.0.113.9"},
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    assert response.status_code == 404


def test_behind_a_trusted_proxy_the_client_address_decides(make_app):
    app = make_app(TRUST_PROXY_HEADERS=1, METRICS_ALLOW="10.20.0.0/16")
    client = app.test_client()
    outside = client.get(
        "/metrics",
        headers={"X-Forwarded-For": "203.0.113.9"},
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    inside = client.get(
        "/metrics",
        headers={"X-Forwarded-For": "10.20.3.4"},
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    assert (outside.status_code, inside.status_code) == (404, 200)


def test_a_bad_network_in_metrics_allow_stops_the_app():
    with pytest.raises(RuntimeError, match="METRICS_ALLOW"):
        parse_networks("10.0.0.0/8, not-a-network")


def test_with_the_database_down_the_workers_figures_are_still_served(dead_database_app):
    client = dead_database_app.test_client()
    samples = scrape(client)
    assert value(samples, "bookstore_database_up") == 0
    assert ("bookstore_orders", (("state", "paid"),)) not in samples
    assert any(name == "bookstore_http_requests_total" for name, _ in samples)


def test_database_up_is_reported(client):
    assert value(scrape(client), "bookstore_database_up") == 1


def test_the_job_backlog_is_exported(client, monkeypatch):
    from bookstore import jobs

    monkeypatch.setattr(
        jobs, "stats", lambda: {"pending": 7, "failed": 1, "oldest_pending_seconds": 12.5}
    )
    samples = scrape(client)
    assert value(samples, "bookstore_jobs_pending") == 7
    assert value(samples, "bookstore_jobs_failed") == 1
    assert value(samples, "bookstore_jobs_oldest_pending_seconds") == 12.5
