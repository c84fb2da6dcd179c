"""The benchmark's figures and the one table that shows them beside issue 10's old figures."""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.bench.load import LoadResult

NAMES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
MIXES = ("cold", "member", "sales", "hot")
# Each mix's throughput as a share of hello's: at least this.
TARGETS = {"cold": 0.20, "member": 0.20, "sales": 0.20, "hot": 0.40}
LABELS = {
    "cold": "cold: random pages, mostly first visits",
    "member": "member: the same mix, signed in",
    "sales": "during sales: cold mix + orders",
    "hot": "hot: repeated popular pages",
}
# Issue 10's figures (share of hello, p99 ms), measured before this work.
OLD = {
    ("cold", "sqlite"): "0.04 (p99 139)",
    ("cold", "postgres"): "0.02 (p99 173)",
    ("member", "sqlite"): "0.04 (p99 103)",
    ("member", "postgres"): "0.02 (p99 197)",
    ("sales", "sqlite"): "0.04",
    ("sales", "postgres"): "0.02",
    ("hot", "sqlite"): "0.40-0.47",
    ("hot", "postgres"): "0.40-0.47",
}
FLOOR_LABEL = "floor: a cold page's bare I/O, no shop"
SEARCH_P95_TARGET_MS = 30.0
RSS_TARGET_MB = 200.0


@dataclass
class MixFigures:
    mix: str
    hello: LoadResult
    shop: LoadResult
    orders_per_second: float | None = None
    order_failures: int = 0
    worker_cpu_ms: float | None = None  # the shop's workers' CPU per request answered
    postgres_cpu_ms: float | None = None  # PostgreSQL's CPU per request answered
    # With --repeat: the share of every run of this mix, lowest first (this run the median's).
    shares: tuple[float, ...] = ()

    @property
    def ratio(self) -> float:
        return self.shop.rps / self.hello.rps if self.hello.rps else 0.0

    def spread(self) -> str:
        """What the table adds when the mix ran more than once: the runs' lowest and highest."""
        if len(self.shares) < 2:
            return ""
        return f", median of {len(self.shares)} runs ({self.shares[0]:.2f}-{self.shares[-1]:.2f})"


def median_run(runs: list[MixFigures]) -> MixFigures:
    """The run whose share is the median (of an even number, the lower of the middle two),
    with every run's share (``shares``). A run slowed by the machine's neighbours, which move
    this machine's speed by a fifth or more within minutes, then decides no verdict alone."""
    ordered = sorted(runs, key=lambda found: found.ratio)
    chosen = ordered[(len(ordered) - 1) // 2]
    chosen.shares = tuple(found.ratio for found in ordered)
    return chosen


@dataclass
class BackendFigures:
    backend: str
    cache: str  # where the page cache lives
    mixes: dict[str, MixFigures] = field(default_factory=dict)
    rss_mb: list[float] = field(default_factory=list)
    note: str = ""  # why it was not measured


@dataclass
class SearchFigures:
    books: int
    queries: int
    p50: float
    p95: float
    p99: float
    slowest: list[tuple[float, str]] = field(default_factory=list)


def _share(value: float, target: float) -> str:
    """A share as the table prints it: two decimals, or three where two would show a share
    just under the target as the target itself (0.198 as "0.20" beside NOT MET)."""
    shown = f"{value:.2f}"
    if value < target and shown == f"{target:.2f}":
        return f"{value:.3f}"
    return shown


def _verdict(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def rows(backends: list[BackendFigures], search: SearchFigures | None) -> list[list[str]]:
    """The table's rows: target, database, old figure, new figure, verdict."""
    table = []
    for mix in MIXES:
        for figures in backends:
            name = NAMES[figures.backend]
            found = figures.mixes.get(mix)
            goal = f"{LABELS[mix]}: >= {TARGETS[mix]:.2f}"
            old = OLD.get((mix, figures.backend), "")
            if found is None:
                table.append([goal, name, old, figures.note or "not run", ""])
                continue
            new = f"{_share(found.ratio, TARGETS[mix])} (p99 {found.shop.p99:.0f})"
            extra = []
            if found.shop.hit_rate is not None:
                extra.append(f"hits {found.shop.hit_rate:.0%}")
            if found.orders_per_second is not None:
                extra.append(f"{found.orders_per_second:.1f} orders/s")
            if found.shop.errors:
                extra.append(f"{found.shop.errors} errors")
            if extra:
                new += ", " + ", ".join(extra)
            new += found.spread()
            table.append([goal, name, old, new, _verdict(found.ratio >= TARGETS[mix])])
    for figures in backends:
        floor = figures.mixes.get("floor")
        if floor is not None:  # --floor: not a target, the most a cold page could reach
            cpu = f", {floor.worker_cpu_ms:.2f} ms CPU" if floor.worker_cpu_ms is not None else ""
            new = f"{floor.ratio:.2f} (p99 {floor.shop.p99:.0f}{cpu}){floor.spread()}"
            table.append([FLOOR_LABEL, NAMES[figures.backend], "", new, "yardstick"])
    goal = f"search p95 < {SEARCH_P95_TARGET_MS:.0f} ms, distinct queries"
    if search is None:
        table.append([goal, "PostgreSQL", "", "not run", ""])
    else:
        new = f"{search.p95:.1f} ms at {search.books:,} books (p50 {search.p50:.1f})"
        table.append([goal, "PostgreSQL", "", new, _verdict(search.p95 < SEARCH_P95_TARGET_MS)])
    for figures in backends:
        if not figures.rss_mb:
            continue
        worst = max(figures.rss_mb)
        new = ", ".join(f"{mb:.0f}" for mb in figures.rss_mb) + " MB"
        goal = f"worker RSS < {RSS_TARGET_MB:.0f} MB after the runs"
        table.append([goal, NAMES[figures.backend], "", new, _verdict(worst < RSS_TARGET_MB)])
    return table


def print_table(backends: list[BackendFigures], search: SearchFigures | None) -> None:
    """Print every target with its old and new figure (throughput as a share of hello's)."""
    header = ["target", "database", "old (issue 10)", "new", "verdict"]
    body = rows(backends, search)
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    line = "  ".join("{:<%d}" % w for w in widths)  # noqa: UP031
    print("\n" + line.format(*header))
    print("  ".join("-" * w for w in widths))
    for row in body:
        print(line.format(*row))


def print_mix_details(figures: BackendFigures) -> None:
    """Requests/s and latencies of each mix and of hello beside it."""
    print(f"\n  {NAMES[figures.backend]} (page cache: {figures.cache})")
    print(
        "  {:<8}{:>10}{:>10}{:>8}{:>8}{:>8}{:>8}{:>7}{:>12}{:>10}".format(
            "mix",
            "hello r/s",
            "shop r/s",
            "share",
            "p50",
            "p95",
            "p99",
            "hits",
            "worker CPU",
            "PG CPU",
        )
    )
    for mix, found in figures.mixes.items():
        shop = found.shop
        hits = "" if shop.hit_rate is None else f"{shop.hit_rate:.0%}"
        print(
            f"  {mix:<8}{found.hello.rps:>10.0f}{shop.rps:>10.1f}{found.ratio:>8.2f}"
            f"{shop.p50:>8.1f}{shop.p95:>8.1f}{shop.p99:>8.1f}{hits:>7}"
            f"{_ms(found.worker_cpu_ms):>12}{_ms(found.postgres_cpu_ms):>10}"
        )
    print("  (CPU: milliseconds per request answered, orders included in the sales mix)")


def _ms(value: float | None) -> str:
    return "" if value is None else f"{value:.2f} ms"
