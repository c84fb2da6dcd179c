"""URL slugs: readable, ASCII, unique within a table."""

from slugify import slugify


def make_slug(text: str, max_length: int = 80) -> str:
    """``'Davai! The Russians'`` becomes ``'davai-the-russians'``."""
    # Apostrophes join a word ("Russia's" -> "russias"), they do not split it.
    text = text.replace("'", "").replace("\u2019", "")
    return slugify(text, max_length=max_length, word_boundary=True) or "item"


def unique_slug(text: str, taken, max_length: int = 80) -> str:
    """A slug for ``text`` that ``taken(slug)`` says is free, adding -2, -3... if needed."""
    base = make_slug(text, max_length)
    slug, n = base, 2
    while taken(slug):
        slug = f"{base}-{n}"
        n += 1
    return slug
