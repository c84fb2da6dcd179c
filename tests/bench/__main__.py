"""``python -m tests.bench`` (``make bench``): the shop's speed for every visitor (issue 10).

For each database (SQLite, and PostgreSQL with Redis as the page cache when REDIS_URL is set):
a scratch database with the demo catalog, 100,000 synthetic books and a member; the shop under
gunicorn (2 sync workers, loopback, page cache as shipped) beside a one-line Flask "hello" app
served the same way, with the Stripe stand-in as ``make run`` starts it. Four mixes of random
URLs over the whole catalog, each measured right after a run of hello so its share of hello's
throughput compares like with like:

- cold: book pages, browse pages (random page numbers, sorts, filters) and searches (random
  catalog words), most of them the first request for their URL;
- member: the same kind of mix (new URLs) with a signed-in member's session cookie;
- sales: the cold mix while a client places an order a second, the busy hour issue 10 measured
  (cart, checkout, pay on the stand-in's hosted page, its webhook; ``--orders-per-second 0``:
  one after another, as fast as they go) -- orders/s and the page cache's hit rate;
- hot: the 50 popular pages, repeated.

Then the floor (``tests/bench/floor.py``; ``--no-floor`` skips it): the cold mix's URLs served
by an app that does only a cold page's bare input and output, the most a cold page could reach
on this machine with this stack. A yardstick beside the targets, not one of them.

With ``--repeat N`` the mixes (and the floor) run N times, in rounds of one run of each, every
run on new URLs right after its own hello; the table shows each mix's run with the median share
and the lowest and highest beside it, so one run slowed by the machine's neighbours decides no
verdict alone.

Then the search speed at 1,000,000 books on PostgreSQL (distinct queries, in-process), and the
resident memory of each gunicorn worker after the runs. Prints one table: each target, the
figure from issue 10, the new figure and whether the target is met. Figures, not a test.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from bookstore.extensions import db
from tests.bench import catalog, import_bench, mixes, report, search_bench, shoppers
from tests.bench.load import fetch, run_load, wrk_available
from tests.bench.servers import free_port, gunicorn, postgres_cpu_seconds

URLS_PER_MIX = 40_000  # more than any run gets through: nearly every URL is new


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument(
        "--mix", action="append", choices=report.MIXES, help="run only these mixes (repeatable)"
    )
    parser.add_argument("--books", type=int, default=100_000, help="synthetic books (100000)")
    parser.add_argument("--seconds", type=float, default=15.0, help="load per mix (15 s)")
    parser.add_argument("--hello-seconds", type=float, default=5.0, help="hello per mix (5 s)")
    parser.add_argument("--connections", type=int, default=4, help="concurrent clients (4)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument(
        "--repeat",
        type=_at_least_one,
        default=1,
        help="run the mixes (and the floor) this many times, in rounds of one run of each, each "
        "run on new URLs after its own hello; the table shows each mix's run with the median "
        "share, beside the lowest and highest (1)",
    )
    parser.add_argument(
        "--orders-per-second",
        type=float,
        default=1.0,
        help="orders the sales mix places a second (1, as issue 10 measured its busy hour; "
        "0: one after another, as fast as they go)",
    )
    parser.add_argument(
        "--search-books", type=int, default=1_000_000, help="search catalog (1000000; 0 skips)"
    )
    parser.add_argument("--search-queries", type=int, default=400, help="distinct queries (400)")
    parser.add_argument(
        "--fresh-search-catalog", action="store_true", help="generate the kept catalog again"
    )
    parser.add_argument(
        "--drop-search-catalog", action="store_true", help="drop the kept catalog afterwards"
    )
    parser.add_argument(
        "--import-rows", type=int, default=0, help="also time a catalog CSV import (0 skips)"
    )
    parser.add_argument(
        "--floor",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="serve the floor too (tests/bench/floor.py): a cold page's bare input and output "
        "without the shop, on the cold mix's URLs, the most a cold page could reach here (on)",
    )
    args = parser.parse_args(argv)
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    chosen = [m for m in report.MIXES if not args.mix or m in args.mix]
    started = time.perf_counter()
    if not wrk_available():
        print(
            "NOTE: wrk is not installed (apt-get install wrk): the load comes from Python client "
            "processes, which take CPU from the server; figures are lower than with wrk."
        )
    redis_url = os.environ.get("REDIS_URL", "")
    results = []
    for backend in backends:
        figures = report.BackendFigures(backend, "Redis" if redis_url else "each worker's memory")
        if backend == "sqlite":
            figures.cache = "each worker's memory"
        try:
            bench_backend(figures, args, chosen, redis_url if backend == "postgres" else "")
        except Exception as exc:  # noqa: BLE001  (one backend failing must not hide the other)
            message = " ".join(str(exc).split())
            figures.note = f"not measured: {exc.__class__.__name__}: {message}"[:160]
            print(f"\n{report.NAMES[backend]}: {figures.note}")
        results.append(figures)
        if args.import_rows:
            import_bench.bench(backend, args.import_rows)
    search = None
    if args.search_books and "postgres" in backends:
        print(f"\n== Search: {args.search_queries} distinct queries, PostgreSQL ==")
        try:
            search = search_bench.run(
                args.search_books,
                args.search_queries,
                fresh=args.fresh_search_catalog,
                drop=args.drop_search_catalog,
            )
            print(f"  p50 {search.p50:.1f} ms, p95 {search.p95:.1f} ms, p99 {search.p99:.1f} ms")
            print("  slowest: " + "; ".join(f"{q!r} {ms:.0f} ms" for ms, q in search.slowest))
        except Exception as exc:  # noqa: BLE001
            print(f"  not measured: {exc.__class__.__name__}: {exc}")
    for figures in results:
        if figures.mixes:
            report.print_mix_details(figures)
    report.print_table(results, search)
    rounds = f"each mix {args.repeat} times, the median run shown; " if args.repeat > 1 else ""
    print(
        f"\nShares are of hello's requests/s right before each mix (gunicorn, {args.workers} "
        f"sync workers, {args.connections} connections, {args.seconds:g} s per mix, {rounds}"
        f"{'wrk' if wrk_available() else 'Python clients'}). Whole bench: "
        f"{time.perf_counter() - started:.0f} s"
    )
    return 0


def bench_backend(figures, args, chosen: list[str], redis_url: str) -> None:
    backend = figures.backend
    print(f"\n== {report.NAMES[backend]}: {args.books:,} synthetic books ==", flush=True)
    with catalog.workdir() as tmp:
        work = Path(tmp)
        with catalog.scratch_database(backend, work) as url:
            port = free_port()
            env = {
                **catalog.server_env(url, work),
                "REDIS_URL": redis_url,
                "SHOP_BASE_URL": f"http://127.0.0.1:{port}",
            }
            app = catalog.make_app(env)
            timings = catalog.prepare(app, args.books, echo=_progress)
            print(
                "  set-up: migrate {migrate:.1f} s, demo catalog {demo:.1f} s, "
                "generate {generate:.1f} s".format(**timings),
                flush=True,
            )
            with app.app_context():
                shoppers.make_member()
                sample = mixes.sample_catalog(mixes.random.Random(5))
                editions = shoppers.stocked_editions()
                db.session.remove()
                db.engine.dispose()
            standin = _start_standin(work, f"http://127.0.0.1:{port}")
            env |= {
                "STRIPE_API_BASE": standin.url,
                "STRIPE_WEBHOOK_SECRET": standin.sandbox.webhook_secret,
            }
            try:
                with (
                    gunicorn("tests.bench.hello:app", env, args.workers, work) as hello,
                    gunicorn("wsgi:app", env, args.workers, work, port=port) as shop,
                ):
                    runs: dict[str, list[report.MixFigures]] = {mix: [] for mix in chosen}
                    for round_ in range(args.repeat):
                        for n, mix in enumerate(chosen):
                            runs[mix].append(_run_mix(mix, n, round_, hello.url, shop, sample,
                                                      editions, args, backend))  # fmt: skip
                    figures.mixes = {mix: report.median_run(found) for mix, found in runs.items()}
                    figures.rss_mb = shop.worker_rss_mb()
                    print(f"  worker RSS: {', '.join(f'{mb:.0f}' for mb in figures.rss_mb)} MB")
                    if args.floor:
                        _run_floor(figures, hello.url, sample, args, env, work)
            finally:
                standin.stop()


def _run_floor(figures, hello_url, sample, args, env, work) -> None:
    """The floor (``tests/bench/floor.py``) under the same load as the cold mix."""
    with gunicorn("tests.bench.floor:app", env, args.workers, work) as floor:
        found = [
            _run_mix("floor", 0, round_, hello_url, floor, sample, [], args, figures.backend)
            for round_ in range(args.repeat)
        ]
    figures.mixes["floor"] = report.median_run(found)


def _run_mix(
    mix, n, round_, hello_url, server, sample, editions, args, backend
) -> report.MixFigures:
    hello = run_load(hello_url, ["/"], seconds=args.hello_seconds, connections=args.connections)
    shop_url = server.url
    seed = 100 + n + 10 * round_  # each round its own URLs (the popular pages are the same)
    cookie = ""
    if mix == "hot":
        paths = mixes.hot_mix(sample, seed, URLS_PER_MIX)
        for path in mixes.popular_urls(sample):
            fetch(shop_url, path)
    else:  # the floor's too (n 0: the URLs of the cold mix of its round, when it runs first)
        paths = mixes.cold_mix(sample, seed, URLS_PER_MIX)
    if mix == "member":
        cookie = shoppers.sign_in(shop_url)
    buyer = None
    if mix == "sales":
        buyer = shoppers.Buyer(shop_url, editions, per_second=args.orders_per_second)
        buyer.start()
    on_postgres = backend == "postgres"
    workers_before = server.workers_cpu_seconds()
    postgres_before = postgres_cpu_seconds() if on_postgres else 0.0
    shop = run_load(
        shop_url, paths, seconds=args.seconds, connections=args.connections, cookie=cookie
    )
    found = report.MixFigures(mix, hello, shop)
    answered = max(shop.requests, 1)
    found.worker_cpu_ms = (server.workers_cpu_seconds() - workers_before) * 1000 / answered
    if on_postgres:
        found.postgres_cpu_ms = (postgres_cpu_seconds() - postgres_before) * 1000 / answered
    if buyer is not None:
        stats = buyer.stop()
        found.orders_per_second, found.order_failures = stats.per_second, stats.failed
        if stats.errors:
            print(f"  order failures ({stats.failed}): {'; '.join(stats.errors)}")
    hits = "" if shop.hit_rate is None else f", hits {shop.hit_rate:.0%}"
    orders = "" if buyer is None else f", {found.orders_per_second:.1f} orders/s"
    print(
        f"  {mix:<7} {shop.rps:7.1f} req/s = {found.ratio:.2f} of hello ({hello.rps:.0f}/s); "
        f"p50/p95/p99 {shop.p50:.0f}/{shop.p95:.0f}/{shop.p99:.0f} ms{hits}{orders}; "
        f"CPU per request: workers {found.worker_cpu_ms:.2f} ms"
        + ("" if found.postgres_cpu_ms is None else f", PostgreSQL {found.postgres_cpu_ms:.2f} ms")
        + (f", {shop.errors} errors" if shop.errors else ""),
        flush=True,
    )
    return found


def _at_least_one(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _start_standin(work: Path, shop_base: str):
    """The Stripe stand-in, as ``make run`` starts it, sending webhooks to the shop."""
    from bookstore.stripe_sandbox.server import SandboxServer

    return SandboxServer(
        "127.0.0.1",
        0,
        state_path=str(work / "stripe-sandbox.json"),
        webhook_url=f"{shop_base}/stripe/webhook",
        webhook_secret="whsec_bench",
    ).start()


def _progress(line: str) -> None:
    # The generator prints a line per batch; keep the first and last.
    if "Done" in line or "Generating" in line:
        print("  " + line.strip(), flush=True)


if __name__ == "__main__":
    sys.exit(main())
