"""Names as people type them: the normalised form two spellings of one name share, and how
close a typed name is to a register name.

"Spajic", "SPAJIĆ" and "Spajić," all normalise to ``spajic``: diacritics, case, punctuation
and runs of spaces are what spreadsheets and news copy disagree on most.
"""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher

# Letters that Unicode does not decompose into a base letter and a mark, so NFKD leaves them.
_UNDECOMPOSED = str.maketrans(
    {"đ": "d", "Đ": "d", "ø": "o", "Ø": "o", "ł": "l", "Ł": "l", "æ": "ae", "Æ": "ae",
     "œ": "oe", "Œ": "oe", "þ": "th", "Þ": "th", "ð": "d", "ı": "i", "ħ": "h", "ŧ": "t"}
)  # fmt: skip
_NOT_WORD = re.compile(r"[\W_]+")
MIN_LETTERS = 4
"""Names shorter than this are compared by whole words only."""


def normalise(name: str) -> str:
    """``name`` without diacritics, case, punctuation or extra spaces."""
    decomposed = unicodedata.normalize("NFKD", name.translate(_UNDECOMPOSED))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NOT_WORD.sub(" ", bare.casefold()).strip()


def tokens(normalised: str) -> frozenset[str]:
    return frozenset(normalised.split())


def similarity(query: str, name: str) -> float:
    """How close two normalised names are, from 0 to 1: the better of shared words (so that
    "Kurti" finds "Albin Kurti") and shared letters (so that a typo still finds its name)."""
    if not query or not name:
        return 0.0
    if query == name:
        return 1.0
    q, n = tokens(query), tokens(name)
    words = len(q & n) / len(q | n)
    if q <= n:  # every word typed is in the name: a surname alone, or the words reordered
        words = max(words, 0.6 + 0.3 * len(q) / len(n))
    if min(len(query), len(name)) < MIN_LETTERS:
        return words  # "uk" shares letters with "kurti": too short to say anything by letters
    matcher = SequenceMatcher(None, query, name, autojunk=False)
    # quick_ratio is an upper bound of ratio: skip the exact, slower measure when even the
    # bound is below what shared words already give.
    letters = matcher.ratio() if matcher.quick_ratio() > words else 0.0
    return max(words, letters)


def starts_a_word(prefix: str, name: str) -> bool:
    """Whether the normalised ``prefix`` begins ``name`` or one of its words (typeahead)."""
    if not prefix:
        return True
    return name.startswith(prefix) or f" {prefix}" in f" {name}"
