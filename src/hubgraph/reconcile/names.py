"""Names as people type them: the normalised form two spellings of one name share, and how
close a typed name is to a register name.

"Spajic", "SPAJIĆ" and "Spajić," all normalise to ``spajic``: diacritics, case, punctuation
and runs of spaces are what spreadsheets and news copy disagree on most.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

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


@dataclass(frozen=True)
class NameForm:
    """A name ready for comparing: normalised, its words, and its words' letter pairs."""

    text: str
    words: frozenset[str]
    grams: frozenset[str]


def letter_pairs(normalised: str) -> frozenset[str]:
    """The bigrams of each word (a one-letter word is its own): "kurti" → ku ur rt ti."""
    return frozenset(
        w[i : i + 2] if len(w) > 1 else w
        for w in normalised.split()
        for i in range(max(1, len(w) - 1))
    )


def form(name: str) -> NameForm:
    text = normalise(name)
    return NameForm(text, frozenset(text.split()), letter_pairs(text))


def similarity(query: NameForm, name: NameForm) -> float:
    """How close two names are, from 0 to 1: the better of shared words (so that "Kurti"
    finds "Albin Kurti") and shared letter pairs (Dice's coefficient, so that a typo still
    finds its name). Set operations only: a batch compares every query with every name."""
    if not query.text or not name.text:
        return 0.0
    if query.text == name.text:
        return 1.0
    q, n = query.words, name.words
    words = len(q & n) / len(q | n)
    if q <= n:  # every word typed is in the name: a surname alone, or the words reordered
        words = max(words, 0.6 + 0.3 * len(q) / len(n))
    if min(len(query.text), len(name.text)) < MIN_LETTERS:
        return words  # "uk" shares letters with "kurti": too short to say anything by letters
    pairs = 2 * len(query.grams & name.grams) / (len(query.grams) + len(name.grams))
    return max(words, pairs)


def starts_a_word(prefix: str, name: str) -> bool:
    """Whether the normalised ``prefix`` begins ``name`` or one of its words (typeahead)."""
    if not prefix:
        return True
    return name.startswith(prefix) or f" {prefix}" in f" {name}"
