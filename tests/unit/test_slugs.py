"""Slugs are readable ASCII and unique."""

from bookstore.slugs import make_slug, unique_slug


def test_slug_is_lowercase_ascii_words():
    assert make_slug("Davai! The Russians and Their Vodka") == "davai-the-russians-and-their-vodka"


def test_cyrillic_is_transliterated():
    assert make_slug("Окуджава") == "okudzhava"


def test_empty_text_still_gets_a_slug():
    assert make_slug("!!!") == "item"


def test_unique_slug_adds_a_number_when_taken():
    taken = {"murder-at-the-dacha", "murder-at-the-dacha-2"}
    assert unique_slug("Murder at the Dacha", taken.__contains__) == "murder-at-the-dacha-3"


def test_apostrophes_do_not_split_words():
    assert make_slug("Russia\u2019s Int'l Relations") == "russias-intl-relations"
