"""Load generators: wrk when installed (driving a list of paths with ``urls.lua``), else a few
Python client processes (which compete with the server for the CPU, so figures are lower).

Both walk a list of paths, each client from its own starting point, with an optional Cookie
header, and count answers by status and by the page cache's ``X-Page-Cache`` header.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

LUA = Path(__file__).with_name("urls.lua")


@dataclass
class LoadResult:
    requests: int
    ok: int  # answered 200
    seconds: float
    p50: float  # latencies in ms
    p95: float
    p99: float
    hits: int = 0  # X-Page-Cache: hit
    misses: int = 0
    errors: int = 0  # socket errors and answers other than 200

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def hit_rate(self) -> float | None:
        looked_up = self.hits + self.misses
        return self.hits / looked_up if looked_up else None


# Every client of the bench (wrk, the Python fallback, the member signing in, the buyer) says it
# is the same browser, as one reader's browser does on every request: the session of a member
# who signed in with one User-Agent and then browsed with none (wrk's default) would look
# carried to another browser, and Flask-Login marks such a session not fresh on every request.
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) bookstore-bench/1.0"


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def run_load(
    base: str, paths: list[str], *, seconds: float, connections: int, cookie: str = ""
) -> LoadResult:
    """Walk ``paths`` on ``base`` for ``seconds`` with ``connections`` clients."""
    if wrk_available():
        return _wrk(base, paths, seconds, connections, cookie)
    return _python(base, paths, seconds, connections, cookie)


def _wrk(base: str, paths: list[str], seconds: float, connections: int, cookie: str):
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        handle.write("\n".join(paths) + "\n")
    try:
        command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s"]
        command += ["-s", str(LUA), base, "--", handle.name, USER_AGENT, cookie]
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    finally:
        Path(handle.name).unlink()
    line = next(x for x in out.splitlines() if x.startswith("BENCH "))
    data = json.loads(line.removeprefix("BENCH "))
    return LoadResult(
        requests=data["requests"],
        ok=data["ok"],
        seconds=data["seconds"],
        p50=data["p50"],
        p95=data["p95"],
        p99=data["p99"],
        hits=data["hits"],
        misses=data["misses"],
        errors=data["other"] + data["socket_errors"],
    )


# -- the Python fallback ------------------------------------------------------------------------


def fetch(base: str, path: str, cookie: str = "") -> tuple[int, bytes, str]:
    """One GET: (status, body, X-Page-Cache header)."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        headers = {"User-Agent": USER_AGENT, **({"Cookie": cookie} if cookie else {})}
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, response.read(), response.getheader("X-Page-Cache", "")
    finally:
        conn.close()


def _client(base, paths, start, cookie, start_at, stop_at):
    latencies, ok, errors, hits, misses, position = [], 0, 0, 0, 0, start
    while time.monotonic() < start_at:
        time.sleep(0.001)
    while (began := time.monotonic()) < stop_at:
        position = (position + 1) % len(paths)
        try:
            status, _body, cache = fetch(base, paths[position], cookie)
        except OSError:
            status, cache = 0, ""
        latencies.append((time.monotonic() - began) * 1000)
        ok += status == 200
        errors += status != 200
        hits += cache == "hit"
        misses += cache == "miss"
    return latencies, ok, errors, hits, misses


def _python(base: str, paths: list[str], seconds: float, connections: int, cookie: str):
    start_at = time.monotonic() + 0.3
    stop_at = start_at + seconds
    starts = [i * len(paths) // 16 % len(paths) for i in range(connections)]
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(connections) as pool:
        results = pool.starmap(
            _client, [(base, paths, s, cookie, start_at, stop_at) for s in starts]
        )
    latencies = sorted(ms for r in results for ms in r[0])

    def pct(p: float) -> float:
        if not latencies:
            return float("nan")
        return latencies[min(len(latencies) - 1, round(p / 100 * (len(latencies) - 1)))]

    return LoadResult(
        requests=len(latencies),
        ok=sum(r[1] for r in results),
        seconds=seconds,
        p50=pct(50),
        p95=pct(95),
        p99=pct(99),
        hits=sum(r[3] for r in results),
        misses=sum(r[4] for r in results),
        errors=sum(r[2] for r in results),
    )
