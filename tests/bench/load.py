"""A bounded HTTP load generator: a few client processes, one request at a time each.

Plain ``http.client`` in separate processes (no GIL contention between clients); a new
connection per request, since gunicorn's sync workers close each connection after answering.
"""

import http.client
import multiprocessing
import statistics
import time
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass
class LoadResult:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else float("nan")

    @property
    def p95(self) -> float:
        return self.percentile(95)


def fetch(url: str) -> tuple[int, bytes]:
    """One GET: (status, body)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.request("GET", target)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _client(url: str, start_at: float, stop_at: float) -> tuple[int, int, list[float]]:
    latencies, errors = [], 0
    while time.monotonic() < start_at:
        time.sleep(0.001)
    while True:
        began = time.monotonic()
        if began >= stop_at:
            break
        try:
            status, _body = fetch(url)
        except OSError:
            status = 0
        ended = time.monotonic()
        if status == 200:
            latencies.append((ended - began) * 1000)
        else:
            errors += 1
    return len(latencies), errors, latencies


def run_load(url: str, *, seconds: float, clients: int, warmup: int = 10) -> LoadResult:
    """Hit ``url`` from ``clients`` processes for ``seconds``; latencies of 200 answers only."""
    for _ in range(warmup):
        fetch(url)
    start_at = time.monotonic() + 0.3
    stop_at = start_at + seconds
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(clients) as pool:
        results = pool.starmap(_client, [(url, start_at, stop_at)] * clients)
    latencies = [ms for _, _, each in results for ms in each]
    return LoadResult(
        requests=sum(r[0] for r in results),
        errors=sum(r[1] for r in results),
        seconds=seconds,
        latencies_ms=latencies,
    )
