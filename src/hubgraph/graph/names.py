"""How names are compared: as people write them, whatever the apostrophe, case or accents."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_QUOTES = str.maketrans({"’": "'", "‘": "'", "`": "'", "“": '"', "”": '"', "–": "-", "—": "-"})


def name_key(name: str) -> str:
    """The form two names are compared in: case-folded, one kind of apostrophe and dash,
    single spaces."""
    text = unicodedata.normalize("NFC", name).translate(_QUOTES)
    return _SPACES.sub(" ", text).strip().casefold()


def ascii_key(name: str) -> str:
    """``name_key`` without accents ("Spajić" and "Spajic" meet here)."""
    decomposed = unicodedata.normalize("NFKD", name_key(name).replace("đ", "dj"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def without_article(key: str) -> str:
    return key[4:] if key.startswith("the ") else key
