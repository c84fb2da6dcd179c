"""The demo catalog: every seed book, its facts, original prose, and an idempotent loader."""

import hashlib
import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bookstore.catalog.isbn import is_valid_isbn13
from bookstore.catalog.models import (
    Book,
    BookContributor,
    Contributor,
    Edition,
    EditionStatus,
    Series,
    StockMovement,
    Subject,
)
from bookstore.demo.catalog import DATA_FILE, load_demo, read_demo_data
from bookstore.extensions import db
from bookstore.journal.models import Post, Tag
from bookstore.promotions.models import PromoCode
from bookstore.reviews.models import Review, ReviewState
from tests.factories import make_book

# The titles of the seed page, in its order.
SEED_TITLES = [
    "Murder at the Dacha",
    "The Latchkey Murders",
    "Murder and the Muse",
    "Jews in Service to the Tsar",
    "Davai! The Russians and Their Vodka",
    "93 Untranslatable Russian Words",
    "Survival Russian",
    "Stargorod: A Novel in Many Voices",
    "A Taste of Chekhov",
    "The Pet Hawk of the House of Abbas",
    "Chekhov Bilingual",
    "Okudzhava Bilingual",
    "Fearful Majesty",
    "The Frogs Who Begged for a Tsar",
    "How Russia Got That Way",
    "The Little Golden Calf",
    "The Little Humpbacked Horse",
    "Driving Down Russia's Spine",
]
SEED_SHINGLES = Path(__file__).with_name("seed_shingles.txt")
TODAY = date(2026, 11, 29)


def _row_counts() -> dict[str, int]:
    models = (Book, Edition, Contributor, BookContributor, Series, Subject, StockMovement, Post)
    counts = {m.__name__: db.session.scalar(select(func.count()).select_from(m)) for m in models}
    counts["Tag"] = db.session.scalar(select(func.count()).select_from(Tag))
    return counts


def _book(title: str) -> Book:
    return db.session.scalars(select(Book).where(Book.title == title)).one()


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower().replace("\u2019", "").replace("'", ""))


# -- the data file ---------------------------------------------------------------------------


def test_data_file_lives_in_the_project():
    assert DATA_FILE.is_file()
    assert Path("bookstore").resolve() in DATA_FILE.resolve().parents


def test_data_file_has_every_seed_title_once():
    titles = [book["title"] for book in read_demo_data()["books"]]
    assert sorted(titles) == sorted(SEED_TITLES)


def test_every_isbn_is_valid_and_unique():
    isbns = [e["isbn13"] for b in read_demo_data()["books"] for e in b["editions"]]
    assert all(is_valid_isbn13(isbn) for isbn in isbns)
    assert len(set(isbns)) == len(isbns)


def test_invented_isbns_are_marked_demo_and_kept_in_a_range_of_their_own():
    for book in read_demo_data()["books"]:
        for edition in book["editions"]:
            demo = edition["isbn13"].startswith("97989999")
            assert demo == ("isbn13" in edition["demo_values"]), edition


def test_facts_missing_from_the_seed_are_marked_demo():
    books = {b["title"]: b for b in read_demo_data()["books"]}
    latchkey = books["The Latchkey Murders"]["editions"][0]
    assert {"isbn13", "price_usd", "pages"} <= set(latchkey["demo_values"])
    assert "published" in books["Chekhov Bilingual"]["demo_values"]
    dacha = books["Murder at the Dacha"]["editions"][0]
    assert dacha["isbn13"] == "9781880100813"
    assert not {"isbn13", "price_usd", "pages"} & set(dacha["demo_values"])


def test_every_description_is_two_to_four_sentences():
    for book in read_demo_data()["books"]:
        sentences = re.findall(r"[.!?](?:\s|$)", book["description"])
        assert 2 <= len(sentences) <= 4, book["title"]


def test_no_eight_word_sequence_of_the_seed_page_is_copied():
    seed = {line for line in SEED_SHINGLES.read_text().split() if not line.startswith("#")}
    assert len(seed) > 1000
    data = read_demo_data()
    texts = [b["description"] for b in data["books"]]
    texts += [p["body"] + " " + p["summary"] for p in data["posts"]]
    texts += list(data["series"].values())
    for text in texts:
        words = _words(text)
        for i in range(len(words) - 7):
            shingle = " ".join(words[i : i + 8])
            digest = hashlib.sha256(shingle.encode()).hexdigest()[:16]
            assert digest not in seed, f"copied from the seed: {shingle!r}"


def test_the_subject_post_is_long_enough_and_credits_its_image():
    post = read_demo_data()["posts"][0]
    assert post["published"].startswith("2015-02-14")
    assert 300 <= len(_words(post["body"])) <= 550
    assert post["image_credit"].startswith("Image credit")
    assert set(post["tags"]) == {"History", "Int'l Relations", "Russia File"}


# -- loading ---------------------------------------------------------------------------------


def test_load_adds_every_seed_title(app_ctx):
    report = load_demo(if_empty=False, echo=lambda _: None, today=TODAY)
    titles = set(db.session.scalars(select(Book.title)))
    assert titles == set(SEED_TITLES)
    assert report.books_created == len(SEED_TITLES)


def test_loading_twice_changes_nothing(app_ctx):
    load_demo(if_empty=False, echo=lambda _: None, today=TODAY)
    before = _row_counts()
    on_hand = dict(db.session.execute(select(Edition.isbn13, Edition.on_hand)).all())
    db.session.expire_all()
    messages = []
    report = load_demo(if_empty=False, echo=messages.append, today=TODAY)
    assert report.changed == 0
    assert _row_counts() == before
    assert dict(db.session.execute(select(Edition.isbn13, Edition.on_hand)).all()) == on_hand
    assert "0 books added, 0 updated" in messages[0]


def test_loading_again_restores_edited_descriptions_but_not_stock(app_ctx):
    load_demo(if_empty=False, echo=lambda _: None, today=TODAY)
    book = _book("Murder at the Dacha")
    book.description = "Changed."
    book.editions[0].on_hand = 1
    db.session.commit()
    report = load_demo(if_empty=False, echo=lambda _: None, today=TODAY)
    assert report.books_updated == 1
    book = _book("Murder at the Dacha")
    assert book.description != "Changed."
    assert book.editions[0].on_hand == 1


def test_if_empty_leaves_an_existing_catalog_alone(app_ctx):
    make_book("A Book Already Here")
    db.session.commit()
    report = load_demo(if_empty=True, echo=lambda _: None, today=TODAY)
    assert report.skipped
    assert db.session.scalar(select(func.count()).select_from(Book)) == 1


def test_if_empty_loads_into_an_empty_catalog(app_ctx):
    report = load_demo(if_empty=True, echo=lambda _: None, today=TODAY)
    assert not report.skipped
    assert report.books_created == len(SEED_TITLES)


def test_seed_facts_are_loaded(app_ctx):
    load_demo(if_empty=False, echo=lambda _: None, today=TODAY)
    dacha = _book("Murder at the Dacha")
    paperback = next(e for e in dacha.editions if e.format == "paperback")
    assert (paperback.isbn13, paperback.price_cents, paperback.pages) == (
        "9781880100813",
        1600,
        320,
    )
    assert dacha.published_on == date(2013, 7, 1)
    assert (dacha.series.name, dacha.series_position) == ("Matyushkin Mysteries", 2)
    assert [s.name for s in dacha.subjects] == ["Fiction", "Mystery"]
    davai = _book("Davai! The Russians and Their Vodka")
    assert [(c.contributor.name, c.role.value) for c in davai.credits] == [
        ("Edwin Trommelen", "author"),
        ("David Stephenson", "translator"),
        ("Nora Favorov", "translator"),
    ]
    assert _book("The Frogs Who Begged for a Tsar").languages == "en ru"
    assert _book("The Little Humpbacked Horse").editions[0].format == "hardcover"


def test_ebooks_are_cheaper_editions_without_stock(app_ctx):
    load_demo(if_empty=False, echo=lambda _: None, today=TODAY)
    for book in db.session.scalars(select(Book)):
        ebooks = [e for e in book.editions if not e.is_physical]
        prints = [e for e in book.editions if e.is_physical]
        for ebook in ebooks:
            assert ebook.on_hand == 0
            assert all(ebook.price_cents < p.price_cents for p in prints)


def test_opening_stock_is_recorded_in_the_ledger(app_ctx):
    load_demo(if_empty=False, echo=lambda _: None, today=TODAY)
    ledger = dict(
        db.session.execute(
            select(StockMovement.edition_id, func.sum(StockMovement.delta))
            .where(StockMovement.reason == "demo")
            .group_by(StockMovement.edition_id)
        ).all()
    )
    for edition in db.session.scalars(select(Edition)):
        assert ledger.get(edition.id, 0) == edition.on_hand


def test_the_demo_shows_a_preorder_an_out_of_stock_edition_and_low_stock(app_ctx):
    load_demo(if_empty=False, echo=lambda _: None, today=TODAY)
    editions = list(db.session.scalars(select(Edition)))
    assert any(e.status_on(TODAY) is EditionStatus.PREORDER for e in editions)
    physical = [e for e in editions if e.is_physical]
    assert any(e.available == 0 for e in physical)
    # Below the shop's default low-stock threshold (3): shown as "only N left".
    assert sum(1 for e in physical if 0 < e.available < 3) >= 3
    assert db.session.scalar(select(func.count()).where(Book.featured)) >= 3


@pytest.mark.parametrize("today", [date(2026, 11, 29), date(2031, 6, 1)])
def test_forthcoming_title_stays_a_preorder_whenever_the_demo_is_loaded(app_ctx, today):
    load_demo(if_empty=False, echo=lambda _: None, today=today)
    survival = _book("Survival Russian")
    assert survival.published_on > today
    assert survival.editions[0].status_on(today) is EditionStatus.PREORDER
    report = load_demo(if_empty=False, echo=lambda _: None, today=today)
    assert report.changed == 0


def test_journal_posts_are_loaded_with_tags_and_books(app_ctx):
    load_demo(if_empty=False, echo=lambda _: None, today=TODAY)
    post = db.session.scalars(
        select(Post).where(Post.slug == "comrades-rivals-neighbours-moscow-and-beijing")
    ).one()
    assert post.published_at.date() == date(2015, 2, 14)
    assert [t.name for t in post.tags] == ["History", "Int'l Relations", "Russia File"]
    assert "Fearful Majesty" in [b.title for b in post.books]
    assert db.session.scalar(select(func.count()).select_from(Post)) >= 2


def test_load_adds_the_demo_member_deals_once(app_ctx):
    first = load_demo(if_empty=False, echo=lambda _: None, today=TODAY)
    second = load_demo(if_empty=False, echo=lambda _: None, today=TODAY)
    assert first.deals_created == 3
    assert second.deals_created == 0


def test_load_adds_the_documented_demo_codes_once(app_ctx):
    first = load_demo(if_empty=False, echo=lambda _: None, today=TODAY)
    second = load_demo(if_empty=False, echo=lambda _: None, today=TODAY)
    assert (first.codes_created, second.codes_created) == (2, 0)
    codes = db.session.scalars(select(PromoCode).order_by(PromoCode.code)).all()
    assert [(c.code, c.first_order_only, c.remaining_uses) for c in codes] == [
        ("READMORE5", False, 100),
        ("WELCOME10", True, None),
    ]


def test_flask_demo_load_command(runner):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert "18 books added" in result.output
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 0
    assert "already has books" in result.output


def test_load_adds_demo_reviews_once_with_the_ratings_on_the_books(app_ctx):
    first = load_demo(if_empty=False, echo=lambda _: None, today=TODAY)
    second = load_demo(if_empty=False, echo=lambda _: None, today=TODAY)
    assert first.reviews_created == 6
    assert second.reviews_created == 0
    dacha = db.session.scalars(select(Book).where(Book.title == "Murder at the Dacha")).one()
    assert (dacha.review_count, dacha.average_rating) == (2, 4.5)
    waiting = select(func.count(Review.id)).where(Review.state == ReviewState.PENDING)
    assert db.session.scalar(waiting) == 1
