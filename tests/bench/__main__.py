"""``python -m tests.bench [--books N] [--backend sqlite|postgres|both]``: throughput figures.

For each backend: a scratch database (a temp SQLite file, or a new schema in TEST_DATABASE_URL's
PostgreSQL database, dropped afterwards), migrated to head, the demo catalog plus N synthetic
books; then the shop under gunicorn (2 sync workers, loopback) beside a one-line Flask "hello"
app served the same way, and a few seconds of load on each page: once with the page cache on (a
repeated URL is a cache hit, as popular pages are) and once with it off (every request renders).
Prints requests/s, p50/p95 latency, throughput as a share of hello's, and -- measured in-process
with the test client -- the SQL statements and the CPU time (app and driver, not the database
server) per request.
"""

import argparse
import os
import sys
import time
from pathlib import Path

from bookstore.extensions import db
from tests.bench import catalog, import_bench
from tests.bench.load import run_load
from tests.bench.servers import gunicorn

THROUGHPUT_TARGET = 0.25  # every catalog page: at least 25% of hello's requests/s
SEARCH_P95_TARGET_MS = 50.0
DEFAULT_SEARCHES = ["murder dacha", "volga"]
NAMES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__)
    parser.add_argument("--books", type=int, default=100_000, help="synthetic books (100000)")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--seconds", type=float, default=3.0, help="load per page (3 s)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients (4)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument(
        "--search", action="append", help=f"search query to load (default {DEFAULT_SEARCHES})"
    )
    parser.add_argument(
        "--import-rows", type=int, default=100_000, help="catalog CSV import rows (100000; 0 skips)"
    )
    args = parser.parse_args(argv)
    backends = ["postgres", "sqlite"] if args.backend == "both" else [args.backend]
    started = time.perf_counter()
    for backend in backends:
        try:
            bench_backend(backend, args)
        except Exception as exc:  # noqa: BLE001  (one backend failing must not hide the other)
            print(f"\n{NAMES[backend]}: not measured: {exc.__class__.__name__}: {exc}")
        if args.import_rows:
            import_bench.bench(backend, args.import_rows)
    print(f"\nWhole bench: {time.perf_counter() - started:.0f} s")
    return 0


def bench_backend(backend: str, args: argparse.Namespace) -> None:
    print(f"\n== {NAMES[backend]}: {args.books:,} synthetic books ==")
    with catalog.workdir() as tmp:
        work = Path(tmp)
        with catalog.scratch_database(backend, work) as url:
            env = catalog.server_env(url, work)
            app = catalog.make_app(env)
            timings = catalog.prepare(app, args.books, echo=_progress)
            print(
                "  set-up: migrate {migrate:.1f} s, demo catalog {demo:.1f} s, "
                "generate {generate:.1f} s".format(**timings)
            )
            with app.app_context():
                db.engine.dispose()
            with gunicorn("tests.bench.hello:app", env, args.workers, work) as hello_url:
                hello = run_load(hello_url + "/", seconds=args.seconds, clients=args.clients)
            store = "Redis" if os.environ.get("REDIS_URL") else "each worker's memory"
            for mode, seconds in ((f"page cache on ({store})", "600"), ("page cache off", "0")):
                shop_env = {**env, "PAGE_CACHE_SECONDS": seconds}
                rows = _measure_shop(shop_env, work, args, hello)
                _print_table(f"{NAMES[backend]}, {mode}", args, rows, hello.rps)


def _measure_shop(env, work, args, hello) -> list:
    """Load every page of the shop served with ``env``; rows for the table."""
    app = catalog.make_app(env)
    pages = catalog.discover_pages(app, args.search or DEFAULT_SEARCHES)
    catalog.count_queries(app, pages)
    with app.app_context():
        db.engine.dispose()
    rows = [("hello (Flask, 1 line)", hello, None, None)]
    with gunicorn("wsgi:app", env, args.workers, work) as shop_url:
        for page in pages:
            if page.status != 200:
                rows.append((page.name, None, page, f"HTTP {page.status}"))
                continue
            result = run_load(shop_url + page.path, seconds=args.seconds, clients=args.clients)
            rows.append((page.name, result, page, None))
            if page.name.startswith("search"):
                # Service time without queueing behind the other clients.
                alone = run_load(shop_url + page.path, seconds=args.seconds, clients=1)
                rows.append((f"{page.name}, 1 client", alone, page, None))
    return rows


def _progress(line: str) -> None:
    # The generator prints a line per batch; keep the first and last few.
    if "Done" in line or "Generating" in line:
        print("  " + line.strip())


def _print_table(title, args, rows, hello_rps) -> None:
    print(
        f"\n  {title}: gunicorn {args.workers} sync workers on 127.0.0.1, "
        f"{args.clients} clients, {args.seconds:g} s per page"
    )
    header = "  {:<30}{:>8}{:>9}{:>9}{:>10}{:>5}{:>8}  target".format(
        "page", "req/s", "p50 ms", "p95 ms", "vs hello", "SQL", "CPU ms"
    )
    print(header)
    print("  " + "-" * (len(header) + 30))
    for name, result, page, note in rows:
        if result is None:
            print(f"  {name:<30}{'':>57}  not measured: {note}")
            continue
        alone = name.endswith("1 client")
        ratio = result.rps / hello_rps if hello_rps else 0.0
        shown_ratio = "" if alone else f"{ratio:.0%}"
        queries = "" if page is None else str(page.queries)
        cpu = "" if page is None or alone else f"{page.cpu_ms:.1f}"
        verdicts = []
        if page is not None and not alone:
            ok = ratio >= THROUGHPUT_TARGET
            verdicts.append(f">= {THROUGHPUT_TARGET:.0%} of hello: {'ok' if ok else 'MISSED'}")
        if page is not None and page.name.startswith("search"):
            fast = result.p95 < SEARCH_P95_TARGET_MS
            verdicts.append(f"p95 < {SEARCH_P95_TARGET_MS:.0f} ms: {'ok' if fast else 'MISSED'}")
        errors = f" ({result.errors} errors)" if result.errors else ""
        print(
            f"  {name:<30}{result.rps:>8.1f}{result.p50:>9.1f}{result.p95:>9.1f}"
            f"{shown_ratio:>10}{queries:>5}{cpu:>8}  {'; '.join(verdicts)}{errors}"
        )


if __name__ == "__main__":
    sys.exit(main())
