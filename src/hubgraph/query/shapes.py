"""The guard's shortcut for one shape of query: a lookup of one subject's triples.

Point lookups (``SELECT ?p ?o WHERE { <IRI> ?p ?o }``) are the most frequent request and vary
only in their IRI, so the guard's cache of texts misses on nearly every one of them, and the
full scan costs a point lookup a tenth of its time in the front. A text of exactly this shape
is given the full guard's verdict on one canonical text of the same shape, computed once.

Why the verdict carries over: the pattern is a strict ASCII subset of the SPARQL 1.1 grammar's
own productions (IRIREF without ``\\u`` escapes, VAR1/VAR2 with ASCII names, the keywords in
ASCII case only, WS without comments), so a matched text holds exactly these tokens: SELECT
(optionally DISTINCT or REDUCED), variables or ``*``, optionally WHERE, ``{``, one triple of an
absolute IRI and variables or absolute IRIs, an optional ``.``, ``}``. The canonical text has
the same tokens in the same order, with the same variables equal to each other, and only the
IRIs' and variables' spellings changed: nothing the guard's verdict reads (form, nesting, FROM,
SERVICE, prefixed names) depends on those spellings. No prefixed name, string, comment, escape,
BASE or PREFIX can occur, so neither the prefix map nor the base IRI can change how the text
reads. tests/test_guard_shapes.py checks the claim against the full guard on thousands of
texts. Anything else, however close, is declined and goes to the full guard.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from hubgraph.errors import HubgraphError
from hubgraph.query.guard import QueryInfo

_WS = r"[ \t\r\n]"
# IRIREF's characters, ASCII only and without the backslash (no \u escapes): an absolute IRI,
# its scheme first (RFC 3986), so that no base IRI is resolved against.
_IRI = r"<[A-Za-z][A-Za-z0-9+.\-]*:[!#-;=?-\[\]_a-z~]*>"
# VAR1 / VAR2 with an ASCII VARNAME.
_VAR = r"[?$][A-Za-z0-9_]+"
_TERM = f"(?:{_IRI}|{_VAR})"
_SHAPE = re.compile(
    rf"{_WS}*(?P<select>[Ss][Ee][Ll][Ee][Cc][Tt])"
    rf"(?P<modifier>{_WS}+(?:[Dd][Ii][Ss][Tt][Ii][Nn][Cc][Tt]|[Rr][Ee][Dd][Uu][Cc][Ee][Dd]))?"
    rf"(?P<projection>(?:{_WS}+{_VAR})+|{_WS}*\*)"
    rf"(?P<where>{_WS}+[Ww][Hh][Ee][Rr][Ee])?"
    rf"{_WS}*\{{{_WS}*(?P<subject>{_IRI})"
    rf"{_WS}+(?P<predicate>{_TERM}){_WS}+(?P<object>{_TERM})"
    rf"(?P<dot>{_WS}*\.)?{_WS}*\}}{_WS}*",
    re.ASCII,
)
_VAR_IN = re.compile(_VAR, re.ASCII)
_ANY_IRI = "<x:>"


def canonical(text: str) -> str | None:
    """The canonical text of ``text``'s shape, or None when ``text`` is not of the shape."""
    m = _SHAPE.fullmatch(text)
    if m is None:
        return None
    names: dict[str, str] = {}

    def term(token: str) -> str:
        if token.startswith("<"):
            return "<http://example.org/x>"
        # ?a and $a are the same variable: the name alone tells them apart.
        return "?v" + names.setdefault(token[1:], str(len(names)))

    modifier = " " + m["modifier"].strip().upper() if m["modifier"] else ""
    projection = m["projection"].strip()
    variables = " ".join(term(v) for v in _VAR_IN.findall(projection)) if projection != "*" else "*"
    where = " WHERE" if m["where"] else ""
    dot = " ." if m["dot"] else ""
    triple = " ".join(term(m[k]) for k in ("subject", "predicate", "object"))
    return f"SELECT{modifier} {variables}{where} {{ {triple}{dot} }}"


class Shortcut:
    """The full guard's verdicts on canonical texts, computed once each (``check`` is the full
    guard as the service calls it)."""

    def __init__(self, check: Callable[[str], QueryInfo], size: int = 256) -> None:
        self._check = check
        self._verdict = lru_cache(maxsize=size)(self._uncached)
        self._skeleton = lru_cache(maxsize=size)(self._skeleton_uncached)

    def _skeleton_uncached(self, skeleton: str) -> QueryInfo | None:
        shape = canonical(skeleton)
        return None if shape is None else self._verdict(shape)

    def _uncached(self, canonical_text: str) -> QueryInfo | None:
        try:
            return self._check(canonical_text)
        except HubgraphError:
            # A refusal is left to the full guard on the text itself, which words it for that
            # text (where it is, what it holds).
            return None

    def verdict(self, text: str) -> QueryInfo | None:
        """The full guard's verdict on ``text``, or None when this shortcut cannot say."""
        m = _SHAPE.fullmatch(text)
        if m is None:
            return None
        # Point lookups differ in their subject only: the text with its subject replaced by
        # another IRI has the same canonical text, and is the same string request after
        # request, so the cache answers without building the canonical text again.
        start, end = m.span("subject")
        return self._skeleton(text[:start] + _ANY_IRI + text[end:])
