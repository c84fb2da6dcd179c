"""Benchmark: importing a 100,000-row catalog CSV (create, then update with new prices and stock).

Run alone with ``python -m tests.bench.import_bench [--rows N] [--backend postgres|sqlite]``;
``make bench`` runs it too. Prints figures; it is not a pass/fail test.
"""

import argparse
import csv
import io
import os
import random
import secrets
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from bookstore import create_app
from bookstore.catalog.isbn import check_digit
from bookstore.extensions import db
from bookstore.staff.catalog_import import apply_import, plan_import
from bookstore.staff.csv_format import COLUMNS, read_catalog_csv

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TARGET_SECONDS = 60
SUBJECTS = ["Fiction", "History", "Poetry", "Language", "Travel", "Biography", "Classics"]


def make_csv(rows: int, *, seed: int, price_shift: int = 0) -> str:
    """A catalog of ``rows`` editions: two formats per title, a few hundred authors."""
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for n in range(rows):
        body = f"9798{n:08d}"
        title_no = n // 2
        fmt = "paperback" if n % 2 == 0 else "ebook"
        price = 900 + (title_no * 37) % 2500 + price_shift
        writer.writerow(
            [
                body + check_digit(body),
                f"Bench Title {title_no}",
                "",
                fmt,
                f"{price // 100}.{price % 100:02d}",
                100 + title_no % 400,
                f"{1990 + title_no % 35}-0{1 + title_no % 9}-1{title_no % 9}",
                rng.randint(0, 40) if fmt == "paperback" else "",
                f"Author {title_no % 700}",
                "; ".join(rng.sample(SUBJECTS, 2)),
                "",
                "",
                "en",
                f"Synthetic description {title_no}.",
            ]
        )
    return out.getvalue()


def timed(label: str, fn):
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    print(f"    {label:<28} {seconds:7.2f} s")
    return result, seconds


def run_import(app, text_csv: str, label: str) -> float:
    print(f"  {label}")
    with app.app_context():
        parsed, t1 = timed("read and check the CSV", lambda: read_catalog_csv(text_csv))
        assert not parsed.errors, parsed.errors[:3]
        plan, t2 = timed("plan against the database", lambda: plan_import(parsed))
        assert not plan.errors, plan.errors[:3]
        _, t3 = timed("apply (bulk writes)", lambda: apply_import(plan, actor=None))
        _, t4 = timed("commit", db.session.commit)
        print(f"    {'plan:':<28} {plan.summary()}")
    total = t1 + t2 + t3 + t4
    print(f"    {'total':<28} {total:7.2f} s")
    return total


def bench(backend: str, rows: int) -> None:
    schema = None
    tmp = tempfile.TemporaryDirectory()
    if backend == "postgres":
        url = os.environ.get("TEST_DATABASE_URL", DEFAULT_PG)
        schema = f"bench_import_{secrets.token_hex(4)}"
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        options = {"connect_args": {"options": f"-csearch_path={schema}"}}
    else:
        url = f"sqlite:///{Path(tmp.name) / 'bench.db'}"
        options = {}
    app = create_app(
        {
            "INSTANCE_PATH": tmp.name,
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": url,
            "SQLALCHEMY_ENGINE_OPTIONS": options,
        }
    )
    try:
        from flask_migrate import upgrade

        with app.app_context():
            upgrade()
        print(f"\nCatalog CSV import, {rows:,} rows, {backend} (target: under {TARGET_SECONDS} s)")
        first = run_import(app, make_csv(rows, seed=1), "first import: every row is new")
        second = run_import(
            app, make_csv(rows, seed=2, price_shift=50), "second import: new prices and stock"
        )
        for name, seconds in (("create", first), ("update", second)):
            verdict = "meets" if seconds < TARGET_SECONDS else "MISSES"
            print(f"  {name}: {rows / seconds:,.0f} rows/s, {verdict} the target")
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if schema:
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
        tmp.cleanup()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--backend", choices=["postgres", "sqlite", "both"], default="postgres")
    args = parser.parse_args(argv)
    for backend in ("postgres", "sqlite") if args.backend == "both" else (args.backend,):
        bench(backend, args.rows)


if __name__ == "__main__":
    main()
