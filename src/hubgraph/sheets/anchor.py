"""Anchoring quotes in the source's text, as the W3C Web Annotation model does: the exact
words with a short prefix and suffix (TextQuoteSelector) and their character offsets
(TextPositionSelector). Offsets count Unicode characters from 0, the end excluded."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

CONTEXT = 32
"""Characters of prefix and suffix kept around a quote."""


@dataclass(frozen=True)
class Anchor:
    exact: str
    prefix: str
    suffix: str
    start: int
    end: int
    line: int


@dataclass(frozen=True)
class Passage:
    text: str
    line: int
    ratio: float


class Text:
    """A source's plain text, with its lines."""

    def __init__(self, text: str, name: str) -> None:
        self.text, self.name = text, name
        self.line_starts = [0]
        for i, ch in enumerate(text):
            if ch == "\n":
                self.line_starts.append(i + 1)

    def line_at(self, offset: int) -> int:
        low, high = 0, len(self.line_starts) - 1
        while low < high:
            mid = (low + high + 1) // 2
            if self.line_starts[mid] <= offset:
                low = mid
            else:
                high = mid - 1
        return low + 1

    def line_text(self, line: int) -> str:
        start = self.line_starts[line - 1]
        end = self.line_starts[line] - 1 if line < len(self.line_starts) else len(self.text)
        return self.text[start:end]

    def occurrences(self, exact: str) -> list[tuple[int, int]]:
        """Where ``exact`` is, as (start, end); a space in it also matches a line break of the
        text, so that a quote across lines is found."""
        words = exact.split()
        if not words:
            return []
        pattern = re.compile(r"\s+".join(re.escape(w) for w in words))
        return [(m.start(), m.end()) for m in pattern.finditer(self.text)]

    def anchor(
        self, exact: str, line: int | None = None, start: int | None = None
    ) -> Anchor | None:
        """Where ``exact`` is, preferring the given offset, then the given line, then the first
        occurrence; None when it is not verbatim in the text."""
        found = self.occurrences(exact)
        if not found:
            return None
        at, end = found[0]
        starts = {s: e for s, e in found}
        if start is not None and start in starts:
            at, end = start, starts[start]
        elif line is not None:
            on_line = [f for f in found if self.line_at(f[0]) == line]
            at, end = on_line[0] if on_line else (at, end)
        return Anchor(
            exact=self.text[at:end],
            prefix=self.text[max(0, at - CONTEXT) : at],
            suffix=self.text[end : end + CONTEXT],
            start=at,
            end=end,
            line=self.line_at(at),
        )

    def closest(self, wanted: str) -> Passage | None:
        """The passage of the text most like ``wanted`` (a dropped word, a curly apostrophe):
        a window of about its length on the line that matches best."""
        best: Passage | None = None
        words = max(1, len(wanted.split()))
        for number in range(1, len(self.line_starts) + 1):
            tokens = self.line_text(number).split(" ")
            for size in {max(1, words - 1), words, words + 1}:
                for i in range(0, max(1, len(tokens) - size + 1)):
                    window = " ".join(tokens[i : i + size])
                    matcher = difflib.SequenceMatcher(None, wanted, window, autojunk=False)
                    if best is not None and matcher.quick_ratio() <= best.ratio:
                        continue
                    ratio = matcher.ratio()
                    if best is None or ratio > best.ratio:
                        best = Passage(window, number, ratio)
        return best
