"""A lexical scan of SPARQL text, run before the engine sees it.

The engine cannot be asked these questions safely: a query nested a few thousand brackets deep
overflows its stack and kills the process, and SERVICE calls are made while evaluating. So the
scan answers, from the tokens alone: which form the request is (SELECT, ASK, CONSTRUCT, DESCRIBE
or an update), how deep it nests, whether it names its own dataset (FROM), and which endpoints
it would call with SERVICE.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache

from hubgraph.errors import QueryTooComplex, ServiceNotAllowed, UpdateRefused

QUERY_FORMS = frozenset({"SELECT", "CONSTRUCT", "DESCRIBE", "ASK"})
UPDATE_VERBS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"}
)

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
               |'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][A-Za-z0-9_\u00B7-\uFFFF]+)
  | (?P<open>[{(\[])
  | (?P<close>[})\]])
  | (?P<word>[A-Za-z_\u00C0-\uFFFF][\w\-.\u00B7-\uFFFF]*(?::[\w\-.:%\\\u00B7-\uFFFF]*)?
             |:[\w\-.:%\\\u00B7-\uFFFF]*)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    start: int = 0


@dataclass(frozen=True)
class QueryInfo:
    form: str
    """SELECT, CONSTRUCT, DESCRIBE, ASK — or the update verb for an update."""
    depth: int
    names_dataset: bool
    """True when the query has its own FROM or FROM NAMED."""
    services: tuple[str, ...]
    """SERVICE targets as IRIs; ``?var`` for a variable target."""

    @property
    def is_update(self) -> bool:
        return self.form in UPDATE_VERBS

    @property
    def returns_graph(self) -> bool:
        return self.form in {"CONSTRUCT", "DESCRIBE"}


def tokens(text: str) -> Iterator[Token]:
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "other"
        if kind not in {"ws", "comment"}:
            yield Token(kind, match.group(), match.start())


def scan(text: str, prefixes: Mapping[str, str] | None = None) -> QueryInfo:
    """Scan ``text`` without running or parsing it. Malformed text is scanned as far as it goes:
    the engine's parser reports syntax errors afterwards."""
    known_prefixes = dict(prefixes or {})
    form = ""
    depth = max_depth = 0
    names_dataset = False
    services: list[str] = []
    toks = list(tokens(text))
    for i, tok in enumerate(toks):
        if tok.kind == "open":
            depth += 1
            max_depth = max(max_depth, depth)
        elif tok.kind == "close":
            depth = max(0, depth - 1)
        elif tok.kind != "word":
            continue
        upper = tok.text.upper()
        if upper == "PREFIX" and i + 2 < len(toks) and toks[i + 2].kind == "iri":
            known_prefixes[toks[i + 1].text.rstrip(":")] = toks[i + 2].text[1:-1]
        elif not form and (upper in QUERY_FORMS or upper in UPDATE_VERBS):
            form = upper
        elif upper == "FROM" and depth == 0:
            names_dataset = True
        elif upper == "SERVICE":
            services.append(_service_target(toks[i + 1 :], known_prefixes))
    return QueryInfo(form or "UNKNOWN", max_depth, names_dataset, tuple(services))


@lru_cache(maxsize=256)
def where_clause_start(text: str) -> int:
    """The offset just inside the opening brace of the query's WHERE clause, where bindings
    for the whole query pattern can go (the WHERE keyword is optional except in CONSTRUCT)."""
    depth = 0
    form = ""
    for tok in tokens(text):
        if tok.kind == "word" and depth == 0:
            upper = tok.text.upper()
            if not form and upper in QUERY_FORMS:
                form = upper
            elif upper == "WHERE":
                form = "WHERE"
        elif tok.kind == "open":
            if tok.text == "{" and depth == 0 and form in {"WHERE", "SELECT", "ASK", "DESCRIBE"}:
                return tok.start + 1
            depth += 1
        elif tok.kind == "close":
            depth = max(0, depth - 1)
    raise ValueError("the query has no WHERE clause")


def undeclared_prefixes(text: str, known: Mapping[str, str]) -> dict[str, str]:
    """The prefixes of ``known`` that ``text`` uses without declaring them."""
    declared: set[str] = set()
    used: set[str] = set()
    toks = list(tokens(text))
    for i, tok in enumerate(toks):
        if tok.kind != "word":
            continue
        if tok.text.upper() == "PREFIX" and i + 1 < len(toks):
            declared.add(toks[i + 1].text.rstrip(":"))
        elif ":" in tok.text:
            used.add(tok.text.partition(":")[0])
    return {p: known[p] for p in sorted(used - declared) if p in known}


def _service_target(rest: list[Token], prefixes: Mapping[str, str]) -> str:
    if rest and rest[0].kind == "word" and rest[0].text.upper() == "SILENT":
        rest = rest[1:]
    if not rest:
        return ""
    tok = rest[0]
    if tok.kind == "iri":
        return tok.text[1:-1]
    if tok.kind == "word" and ":" in tok.text:
        prefix, _, local = tok.text.partition(":")
        if prefix in prefixes:
            return prefixes[prefix] + local
    return tok.text


def check_query(
    text: str,
    *,
    max_depth: int,
    service_allowlist: tuple[str, ...],
    prefixes: Mapping[str, str] | None = None,
) -> QueryInfo:
    """Refuse what must never reach the engine; return what the scan learnt."""
    info = scan(text, prefixes)
    if info.is_update:
        raise UpdateRefused(
            f"this endpoint is read-only: {info.form} is a SPARQL update, and updates are refused"
        )
    if info.depth > max_depth:
        raise QueryTooComplex(
            f"the query nests {info.depth} brackets deep; at most {max_depth} are allowed"
        )
    for target in info.services:
        if target not in service_allowlist:
            allowed = ", ".join(service_allowlist) or "none"
            raise ServiceNotAllowed(
                f"SERVICE <{target}> is not on this server's allow-list (allowed: {allowed})"
            )
    return info
