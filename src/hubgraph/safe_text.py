"""Text from the data made harmless for whoever reads it: a terminal, or a spreadsheet.

Both are for people reading; the exact formats of the HTTP API (SPARQL CSV/TSV, JSON, RDF)
never pass here.
"""

from __future__ import annotations

import json
import re

import pyoxigraph as ox

XSD = "http://www.w3.org/2001/XMLSchema#"
NUMERIC_TYPES = frozenset(
    XSD + name
    for name in (
        "integer", "decimal", "double", "float", "int", "long", "short", "byte",
        "nonNegativeInteger", "nonPositiveInteger", "positiveInteger", "negativeInteger",
        "unsignedInt", "unsignedLong", "unsignedShort", "unsignedByte",
    )
)  # fmt: skip
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet read a cell as a formula (OWASP's list for CSV injection)."""

_TERMINAL_CONTROL = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves, screen clearing
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: window titles, hyperlinks, clipboard
    r"|\x1b[P^_X][^\x1b]*(?:\x1b\\)?"  # DCS, PM, APC, SOS strings
    r"|\x1b.?"  # any other escape
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f]"  # the rest of C0 (but tab and newline), DEL, C1
)


_RAW_IN_JSON = re.compile(r"[\x7f-\x9f]")
"""The controls of :data:`_TERMINAL_CONTROL` that JSON writes as they are (it escapes C0)."""


def printable(text: str) -> str:
    """``text`` without what a terminal would obey rather than show."""
    return _TERMINAL_CONTROL.sub("", text)


def printable_json(value: object, *, indent: int | None = 2) -> str:
    """``value`` as JSON a terminal shows rather than obeys. Unlike a table, JSON can name
    every character, so nothing is dropped: C0 controls (ESC included) are escaped as JSON
    always escapes them, and DEL and the C1 controls (``\\u009b``, a one-byte CSI) too. Those
    occur only inside strings, so the document means exactly what ``json.dumps`` would."""
    text = json.dumps(value, indent=indent, ensure_ascii=False)
    return _RAW_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def is_number(term: object) -> bool:
    return (
        isinstance(term, ox.Literal)
        and term.datatype.value in NUMERIC_TYPES
        and not term.language
        and _looks_numeric(term.value)
    )


def _looks_numeric(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def spreadsheet_cell(term: object, text: str) -> str:
    """``text``, the cell for ``term``, as a spreadsheet will not run it: a text cell that
    starts like a formula gets a leading ``'``; a number (a numeric literal) stays a number."""
    if text.startswith(FORMULA_START) and not is_number(term):
        return "'" + text
    return text
