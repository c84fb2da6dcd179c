"""Cyrillic words in Latin letters, so that either script finds the other in search.

A reader types "Chekhov" or "Чехов", "Zolotoy telyonok" or "Золотой телёнок": there is no one
right Latin spelling of a Russian word, so a Cyrillic word gets the spellings of the standards
people actually meet (through ``iuliia``, which implements them exactly, word endings
included): Wikipedia's (Zolotoy telyonok, Dostoyevsky), BGN/PCGN (Yuriy), the Moscow metro's
(Zolotoy telenok, Dostoevsky) and ICAO's passport one (Zolotoi telenok). The index holds those
spellings next to the original (``search_aliases`` columns); a Cyrillic query is spelled the
same ways; so Latin finds Cyrillic and Cyrillic finds Latin. ё is е for search: printed Russian
mostly writes е, and neither FTS5 nor PostgreSQL's ``simple`` configuration folds it.
"""

from __future__ import annotations

import re
import unicodedata

import iuliia

SCHEMAS = (iuliia.WIKIPEDIA, iuliia.BGN_PCGN, iuliia.MOSMETRO, iuliia.ICAO_DOC_9303)

_CYRILLIC = re.compile("[\u0400-\u04ff]")
_WORD = re.compile(r"[^\W_]+")
# Soft and hard signs come out as apostrophes or primes: they would split a word in the index.
_MARKS = str.maketrans("", "", "'\u2019\u02b9\u02ba\u0022\u201d")


def has_cyrillic(text: str) -> bool:
    return bool(_CYRILLIC.search(text or ""))


def fold_yo(text: str) -> str:
    """Russian's ё written as е, the way most print and most searchers write it."""
    return text.replace("ё", "е").replace("Ё", "Е")


def plain_letters(text: str) -> str:
    """Latin letters without accents (é as e); Cyrillic stays as it is (й is not и)."""
    return "".join(
        ch if _CYRILLIC.match(ch) else _strip_marks(ch) for ch in unicodedata.normalize("NFC", text)
    )


def _strip_marks(ch: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))


def latin_spellings(word: str) -> list[str]:
    """The Latin spellings of one Cyrillic word (lower case, no marks); [] for other words."""
    if not has_cyrillic(word):
        return []
    word = word.lower()
    spellings: list[str] = []
    for schema in SCHEMAS:
        # BGN/PCGN's ë comes out of iuliia as a Cyrillic ё: make it a Latin e.
        latin = schema.translate(word).replace("ё", "e").replace("Ё", "E")
        latin = plain_letters(latin.translate(_MARKS)).lower()
        # A letter no schema knows (Ukrainian ї, say) leaves Cyrillic behind: keep what is Latin.
        latin = _CYRILLIC.sub("", latin)
        if latin and latin not in spellings:
            spellings.append(latin)
    return spellings


def spellings(word: str) -> list[str]:
    """Every form of a query word to look for: itself (ё as е) and its Latin spellings."""
    first = fold_yo(word.lower())
    return [first, *(s for s in latin_spellings(word) if s != first)]


def search_aliases(*texts: str | None) -> str:
    """The other spellings of the Cyrillic words in ``texts``, for a ``search_aliases`` column.

    Empty for Latin-only text (nearly every row), so the index grows only where it helps."""
    aliases: list[str] = []
    for text in texts:
        if not text or not has_cyrillic(text):
            continue
        for word in _WORD.findall(text.lower()):
            folded = fold_yo(word)
            forms = ([folded] if folded != word else []) + latin_spellings(word)
            aliases.extend(form for form in forms if form not in aliases)
    return " ".join(aliases)
