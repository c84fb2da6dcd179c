"""The benchmark's own parts work on a small catalog (``make bench`` itself is not a test)."""

import random

import pytest
from markupsafe import escape

from bookstore.demo.synthetic import generate_books
from bookstore.extensions import db
from tests.bench import mixes, report, shoppers
from tests.bench.load import LoadResult


def test_every_url_of_the_mixes_answers(app):
    with app.app_context():
        generate_books(300, seed=3, echo=lambda _line: None)
        sample = mixes.sample_catalog(random.Random(1))
        paths = mixes.cold_mix(sample, seed=2, count=80) + mixes.hot_mix(sample, 3, 10)
        assert sample.cyrillic
        assert sample.words
    client = app.test_client()
    for path in dict.fromkeys(paths):
        assert client.get(path).status_code == 200, path


def test_cold_mix_is_mostly_new_urls_and_hot_mix_repeats_the_popular_pages(app):
    with app.app_context():
        generate_books(200, seed=4, echo=lambda _line: None)
        sample = mixes.sample_catalog(random.Random(1))
    cold = mixes.cold_mix(sample, seed=5, count=500)
    popular = set(mixes.popular_urls(sample))
    assert 0.7 < len(set(cold) - popular) / len(cold) < 0.9
    assert set(mixes.hot_mix(sample, 6, 200)) <= popular


def test_the_member_can_sign_in_and_is_a_member(app):
    from bookstore.accounts.models import User
    from bookstore.dbtypes import utcnow
    from bookstore.members.services import is_member

    with app.app_context():
        shoppers.make_member()
        shoppers.make_member()  # again: the same member
        user = db.session.query(User).filter_by(email=shoppers.MEMBER_EMAIL).one()
        assert is_member(user, utcnow())
    answer = app.test_client().post(
        "/account/login",
        data={"email": shoppers.MEMBER_EMAIL, "password": shoppers.MEMBER_PASSWORD},
    )
    assert answer.status_code in (302, 303)


def _load(rps: float, p99: float = 12.0, hits: int | None = None) -> LoadResult:
    """Ten seconds of load at ``rps``; with ``hits``, that many of ten page-cache lookups hit."""
    lookups = (0, 0) if hits is None else (hits, 10 - hits)
    return LoadResult(round(rps * 10), round(rps * 10), 10.0, 5.0, 9.0, p99, *lookups)


def test_the_table_shows_every_target_beside_the_old_figure(capsys):
    def load(rps, hits=0):
        return _load(rps, hits=hits)

    sqlite = report.BackendFigures("sqlite", "memory", rss_mb=[120.0, 130.0])
    sqlite.mixes = {
        "cold": report.MixFigures("cold", load(1000), load(250, hits=2)),
        "sales": report.MixFigures("sales", load(1000), load(150), orders_per_second=1.2),
        "floor": report.MixFigures("floor", load(1000), load(600), worker_cpu_ms=0.65),
    }
    postgres = report.BackendFigures("postgres", "Redis", note="not measured: no server")
    search = report.SearchFigures(1_000_000, 400, 8.0, 21.0, 40.0)
    report.print_table([sqlite, postgres], search)
    out = capsys.readouterr().out
    assert "0.25 (p99 12), hits 20%" in out
    assert "0.04 (p99 139)" in out
    assert "0.15 (p99 12), hits 0%, 1.2 orders/s" in out
    assert "NOT MET" in out
    assert "21.0 ms at 1,000,000 books" in out
    assert "not measured: no server" in out
    assert "120, 130 MB" in out
    floor = next(line for line in out.splitlines() if line.startswith(report.FLOOR_LABEL))
    assert "0.60 (p99 12, 0.65 ms CPU)" in floor
    assert floor.rstrip().endswith("yardstick")


def test_repeated_runs_of_a_mix_show_the_median_run_and_their_spread(capsys):
    def run(shop_rps, p99):
        return report.MixFigures("cold", _load(1000), _load(shop_rps, p99))

    found = report.median_run([run(220, 11.0), run(150, 30.0), run(190, 14.0)])
    assert found.shop.p99 == 14.0  # the median run itself, not a blend of the three
    assert found.shares == (0.15, 0.19, 0.22)
    assert report.median_run([run(220, 11.0), run(150, 30.0)]).shop.p99 == 30.0  # the lower
    one = report.median_run([run(200, 12.0)])
    assert one.spread() == ""  # a single run says nothing more
    sqlite = report.BackendFigures("sqlite", "memory", mixes={"cold": found})
    report.print_table([sqlite], None)
    cold = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("cold"))
    assert "0.19 (p99 14), median of 3 runs (0.15-0.22)" in cold
    assert "NOT MET" in cold  # the verdict is the median's


def test_a_share_just_under_its_target_is_not_printed_as_the_target(capsys):
    sqlite = report.BackendFigures("sqlite", "memory")
    sqlite.mixes = {
        "cold": report.MixFigures("cold", _load(1000), _load(198.5)),
        "member": report.MixFigures("member", _load(1000), _load(200)),
    }
    report.print_table([sqlite], None)
    out = capsys.readouterr().out.splitlines()
    cold = next(line for line in out if line.startswith("cold"))
    member = next(line for line in out if line.startswith("member"))
    assert "0.199 (p99 12)" in cold
    assert "NOT MET" in cold
    assert "0.20 (p99 12)" in member
    assert "NOT MET" not in member


def test_the_bench_refuses_a_repeat_below_one(capsys):
    from tests.bench.__main__ import main

    with pytest.raises(SystemExit) as stop:
        main(["--repeat", "0"])
    assert stop.value.code == 2
    assert "must be 1 or more" in capsys.readouterr().err


def test_the_floor_answers_a_cold_mix_with_a_page_of_its_books(
    sqlite_database, tmp_path, monkeypatch
):
    from tests.bench import floor
    from tests.fixtures.database import app_on

    with app_on(sqlite_database, tmp_path / "instance") as app:
        with app.app_context():
            generate_books(60, seed=7, echo=lambda _line: None)
            sample = mixes.sample_catalog(random.Random(1))
            db.session.remove()
        monkeypatch.setenv("DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
        monkeypatch.delenv("REDIS_URL", raising=False)
        monkeypatch.setattr(floor, "_local", floor.threading.local())
        client = floor.app.test_client()
        book = client.get(f"/books/{sample.slugs[0]}")
        assert book.status_code == 200
        with app.app_context():
            from bookstore.catalog.models import Book

            title = db.session.query(Book.title).filter_by(slug=sample.slugs[0]).scalar()
        assert str(escape(title)) in book.text
        assert len(book.data) >= floor.PAGE_BYTES
        for path in mixes.cold_mix(sample, seed=8, count=20):
            answer = client.get(path)
            assert answer.status_code == 200, path
            assert answer.text.count('class="card"') >= 1
        links = floor._links()
        links.db.close()  # the floor's connection, made by this test's requests
        assert len(links.pages) >= 10  # each URL looked up in the page cache's place
