"""The query guard: what a SPARQL text is, decided before the engine sees it.

The engine cannot be asked safely: a query nested a thousand levels deep overflows its stack and
kills the process, and SERVICE calls are made while evaluating. So the guard reads the text as the
engine's own parser does and answers which form it is (SELECT, ASK, CONSTRUCT, DESCRIBE or an
update), how deep it nests, whether it names its own dataset, and which endpoints SERVICE would
call. A guard that reads a text differently from the engine is a hole, so it follows the engine
(Oxigraph's SPARQL grammar, which is the SPARQL 1.1 grammar's terminals with a few differences
noted below) and refuses what it cannot read, naming the line and column.

Where the engine differs from the SPARQL 1.1 text, the guard follows the engine:
- ``\\uXXXX`` escapes are decoded only inside IRIs and strings, not across the whole text first;
- a local name takes at most one run of dots (``ex:a.b`` is one name, ``ex:a.b.c`` is not);
- names use no characters beyond U+FFFD;
- ``<`` after an operand inside an expression is the less-than operator even when an IRI could
  be read from it (``1<'#'||2>1``), and keywords need no space after them (``SERVICE:x``).
Two things the engine accepts are refused because they make a text mean different things to
different readers: a prefixed name whose prefix begins with a keyword that could be read before
it (``SERVICE:x``, ``graphx:y``), and words glued together (``NOTEXISTS``).

Nesting: every bracket counts, and so does every construct the engine nests as it parses or
builds its algebra — prefix and binary operators, path operators, and each group, OPTIONAL,
MINUS, UNION branch, BIND or VALUES joined into a group. Measured with pyoxigraph 0.5: 1,000
nested function calls, 3,000 OPTIONALs in one group or 10,000 ``!`` crash the engine; the limit
(``max_nesting_depth``, 100 by default) stays well below each.

The scan is one pass over the text with regular expressions that cannot backtrack across
tokens, so it takes time linear in the text's length.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from hubgraph.errors import QuerySyntaxError, QueryTooComplex, ServiceNotAllowed, UpdateRefused

QUERY_FORMS = frozenset({"SELECT", "CONSTRUCT", "DESCRIBE", "ASK"})
UPDATE_VERBS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"}
)
# Every keyword and function name of the engine's grammar (matched without regard to case).
KEYWORDS = frozenset(
    """ABS ADD ADJUST ALL AS ASC ASK AVG BASE BIND BNODE BOUND BY CEIL CLEAR COALESCE CONCAT
    CONSTRUCT CONTAINS COPY COUNT CREATE DATA DATATYPE DAY DEFAULT DELETE DESC DESCRIBE
    DISTINCT DROP ENCODE_FOR_URI EXISTS FILTER FLOOR FROM GRAPH GROUP GROUP_CONCAT HAVING
    HOURS IF IN INSERT INTO IRI LANG LANGDIR LANGMATCHES LATERAL LCASE LIMIT LOAD MAX MD5 MIN
    MINUS MINUTES MONTH MOVE NAMED NOT NOW OBJECT OFFSET OPTIONAL ORDER PREDICATE PREFIX RAND
    REDUCED REGEX REPLACE ROUND SAMPLE SECONDS SELECT SEPARATOR SERVICE SHA1 SHA256 SHA384
    SHA512 SILENT STR STRAFTER STRBEFORE STRDT STRENDS STRLANG STRLANGDIR STRLEN STRSTARTS
    STRUUID SUBJECT SUBSTR SUM TIMEZONE TO TRIPLE TZ UCASE UNDEF UNION URI USING UUID VALUES
    VERSION WHERE WITH YEAR HASLANG HASLANGDIR ISBLANK ISIRI ISLITERAL ISNUMERIC ISTRIPLE
    ISURI SAMETERM""".split()  # noqa: SIM905
)
CASE_SENSITIVE_WORDS = frozenset({"a", "true", "false"})
# Keywords the engine may read at the start of a prefixed name where the name does not fit
# (``SERVICE:x`` is SERVICE and ``:x``), each with where the guard refuses such a name because the
# two readings differ in what the guard decides: everywhere for SERVICE; after SERVICE for SILENT;
# in the prologue for PREFIX and BASE; outside the pattern for FROM, NAMED and the forms.
# (``FILTER:foo`` as a predicate is a W3C test; elsewhere such names only shift a count by one.)
GLUE_KEYWORDS = {
    "SERVICE": "anywhere", "SILENT": "after-service", "PREFIX": "prologue", "BASE": "prologue",
    "FROM": "top", "NAMED": "top", "DESCRIBE": "top", "SELECT": "top", "ASK": "top",
    "CONSTRUCT": "top",
}  # fmt: skip
CHAIN_OPERATORS = frozenset({"!", "/", "|", "*", "+", "-", "&&", "||", "^"})

_BASE_CHARS = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd"
)
_U = _BASE_CHARS + "_"
_C = _U + "\\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_PN_PREFIX = f"[{_BASE_CHARS}][{_C}]*+(?:\\.++[{_C}]++)*+"
_PN_LOCAL = f"(?:[{_U}:0-9]|{_PLX})(?:[{_C}:]|{_PLX})*+(?:\\.++(?:[{_C}:]|{_PLX})++)?+"
_ECHAR = r"""\\[tbnrf"'\\]"""
_UCHAR = r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"

_TOKEN = re.compile(
    rf"""
    (?P<ws>[\ \t\r\n]++)
  | (?P<comment>\#[^\r\n]*+)
  | (?P<string>'''(?:(?:''|')?+(?:[^'\\]|{_ECHAR}|{_UCHAR}))*+'''
             |\"\"\"(?:(?:\"\"|\")?+(?:[^"\\]|{_ECHAR}|{_UCHAR}))*+\"\"\"
             |'(?:[^'\\\n\r]|{_ECHAR}|{_UCHAR})*+'
             |"(?:[^"\\\n\r]|{_ECHAR}|{_UCHAR})*+")
  | (?P<var>[?$][0-9{_U}][0-9{_U}\u00b7\u0300-\u036f\u203f-\u2040]*+)
  | (?P<bnode>_:[0-9{_U}][{_C}]*+(?:\.++[{_C}]++)*+)
  | (?P<pname>(?:{_PN_PREFIX})?+:(?:{_PN_LOCAL})?+)
  | (?P<word>[A-Za-z][A-Za-z0-9_]*+)
  | (?P<number>[0-9]++\.[0-9]*+[eE][+-]?+[0-9]++|\.?+[0-9]++[eE][+-]?+[0-9]++
               |[0-9]*+\.[0-9]++|[0-9]++)
  | (?P<lang>@[a-zA-Z]++(?:-[a-zA-Z0-9]++)*+(?:--[a-zA-Z]++)?+)
  | (?P<punct>\|\||&&|!=|<=|>=|\^\^|>>|[{{}}()\[\],;.*/|!=>^+\-?~])
    """,
    re.VERBOSE,
)
_IRIREF = re.compile(rf"<(?:[^<>\"{{}}|^`\\\x00-\x20]|{_UCHAR})*+>")
_UCHAR_IN = re.compile(_UCHAR)
_OPERAND_END = frozenset({"var", "string", "number", "iri", "pname", "lang", "bnode"})
_OPENERS = {"(": ")", "{": "}", "[": "]"}
_UNREADABLE_IRI = (
    "'<' begins an IRI that is not closed by '>' or holds a character IRIs cannot hold "
    "(space, quote, braces, |, ^, ` or \\)"
)


@dataclass(frozen=True)
class Token:
    kind: str
    """word, pname, iri, var, bnode, string, number, lang, punct or op (the ``<`` operator)."""
    text: str
    start: int = 0
    end: int = 0


@dataclass(frozen=True)
class ServiceCall:
    target: str
    """The endpoint as an absolute IRI, resolved as the engine resolves it; ``?var`` for a
    variable target."""
    start: int
    end: int
    """Where the target's token (IRI, prefixed name or variable) is in the query text."""
    silent: bool


@dataclass(frozen=True)
class QueryInfo:
    form: str
    """SELECT, CONSTRUCT, DESCRIBE, ASK — or the update verb for an update; UNKNOWN when the
    text has none (the engine will say what is wrong with it)."""
    depth: int
    names_dataset: bool
    """True when the query has its own FROM or FROM NAMED."""
    services: tuple[str, ...]
    """SERVICE targets as IRIs; ``?var`` for a variable target."""
    service_calls: tuple[ServiceCall, ...] = ()
    prefixed_names: bool = True
    """False when the text holds no prefixed name at all: then no prefix map can change how
    the engine reads it, and none need be sent with it."""

    @property
    def is_update(self) -> bool:
        return self.form in UPDATE_VERBS

    @property
    def returns_graph(self) -> bool:
        return self.form in {"CONSTRUCT", "DESCRIBE"}


@dataclass
class _Frame:
    kind: str
    """top, group, expr, terms, values (a VALUES block) or row (one of its rows)."""
    opener: str = ""
    start: int = 0
    joins: int = 0
    chain: int = 0
    groups: int = 0
    """Groups opened directly in this one: each after the first is joined to those before."""
    clause: bool = False
    """In a SELECT clause or solution modifiers, where ``(`` opens an expression."""

    @property
    def weight(self) -> int:
        return 1 + self.joins + self.chain


def position(text: str, offset: int) -> tuple[int, int]:
    """Line and column (from 1) of ``offset``, counting lines as the engine does (by LF)."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def _refuse(text: str, offset: int, what: str) -> QuerySyntaxError:
    line, column = position(text, offset)
    return QuerySyntaxError(f"malformed query at line {line}, column {column}: {what}")


def _decode_iri(raw: str) -> str:
    body = raw[1:-1]
    if "\\" not in body:
        return body
    return _UCHAR_IN.sub(lambda m: chr(int(m.group()[2:], 16)), body)


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")


def resolve_iri(reference: str, base: str | None) -> str | None:
    """``reference`` resolved against ``base`` as RFC 3986 §5.2 says (the engine does the same);
    None when it is relative and there is no base."""
    if _SCHEME.match(reference):
        scheme, _, rest = reference.partition(":")
        return f"{scheme}:{_with_path(rest)}"
    if base is None:
        return None
    b = _split(base)
    r = _split(reference)
    b_path, r_path = b["path"] or "", r["path"] or ""
    authority: str | None
    query: str | None
    if r["authority"] is not None:
        authority, path, query = r["authority"], _remove_dots(r["path"]), r["query"]
    elif r_path == "":
        authority, path = b["authority"], b_path
        query = r["query"] if r["query"] is not None else b["query"]
    else:
        authority, query = b["authority"], r["query"]
        if r_path.startswith("/"):
            path = _remove_dots(r_path)
        else:
            if b["authority"] is not None and b_path == "":
                merged = "/" + r_path
            else:
                merged = b_path[: b_path.rfind("/") + 1] + r_path
            path = _remove_dots(merged)
    out = (b["scheme"] or "") + ":"
    if authority is not None:
        out += "//" + authority
    out += path
    if query is not None:
        out += "?" + query
    if r["fragment"] is not None:
        out += "#" + r["fragment"]
    return out


_PARTS = re.compile(r"^(?:([^:/?#]+):)?(?://([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$", re.S)


def _split(iri: str) -> dict[str, str | None]:
    m = _PARTS.match(iri)
    assert m is not None  # the pattern matches every string
    parts = dict(zip(("scheme", "authority", "path", "query", "fragment"), m.groups(), strict=True))
    parts["path"] = parts["path"] or ""
    return parts


def _with_path(rest: str) -> str:
    parts = _split("x:" + rest)
    out = ""
    if parts["authority"] is not None:
        out += "//" + parts["authority"]
    out += _remove_dots(parts["path"] or "")
    if parts["query"] is not None:
        out += "?" + parts["query"]
    if parts["fragment"] is not None:
        out += "#" + parts["fragment"]
    return out


def _remove_dots(path: str | None) -> str:
    path = path or ""
    if "." not in path:
        return path
    out: list[str] = []
    while path:
        if path.startswith("../"):
            path = path[3:]
        elif path.startswith("./") or path.startswith("/./"):
            path = path[2:]
        elif path == "/.":
            path = "/"
        elif path.startswith("/../"):
            path = path[3:]
            if out:
                out.pop()
        elif path == "/..":
            path = "/"
            if out:
                out.pop()
        elif path in {".", ".."}:
            path = ""
        else:
            cut = path.find("/", 1)
            segment, path = (path, "") if cut < 0 else (path[:cut], path[cut:])
            out.append(segment)
    return "".join(out)


class _Scan:
    """One pass over the text: tokens, the frames they open and close, and what they say."""

    def __init__(self, text: str, prefixes: Mapping[str, str] | None, base: str | None) -> None:
        self.text = text
        self.prefixes = dict(prefixes or {})
        self.base = base
        self.tokens: list[Token] = []
        self.frames = [_Frame("top")]
        self.total = 1
        self.max_total = 1
        self.deepest_at = 0
        self.form = ""
        self.names_dataset = False
        self.calls: list[ServiceCall] = []
        self.values_pending = False
        self.limit: int | None = None
        self.pnames = False

    # -- tokens --------------------------------------------------------------------------
    def run(self, limit: int | None = None) -> _Scan:
        self.limit = limit
        text, n, pos = self.text, len(self.text), 0
        match = _TOKEN.match
        while pos < n:
            if text[pos] == "<":
                tok = self._less_than(pos)
            else:
                m = match(text, pos)
                if m is None:
                    raise _refuse(text, pos, _cannot_read(text, pos))
                kind = m.lastgroup or "punct"
                if kind in {"ws", "comment"}:
                    pos = m.end()
                    continue
                tok = Token(kind, m.group(), pos, m.end())
            pos = tok.end
            self._take(tok)
        if len(self.frames) > 1:
            raise _refuse(text, n, "the query ends too soon: expected " + self._closer())
        return self

    def _closer(self) -> str:
        frame = self.frames[-1]
        line, column = position(self.text, frame.start)
        return (
            f"'{_OPENERS[frame.opener]}' for the '{frame.opener}' at line {line}, column {column}"
        )

    def _less_than(self, pos: int) -> Token:
        text, frame = self.text, self.frames[-1]
        prev = self.tokens[-1] if self.tokens else None
        after_operand = prev is not None and (
            prev.kind in _OPERAND_END
            or prev.text in {")", "}"}
            or (prev.kind == "word" and prev.text in {"true", "false"})
        )
        if frame.kind == "expr" and after_operand:
            # The engine reads an operator here, whatever follows; SPARQL's longest-token rule
            # reads an IRI where one can be read (W3C syn-bad-26). Where the two differ, refuse.
            iri = _IRIREF.match(text, pos)
            if iri is not None:
                raise _refuse(
                    text,
                    pos,
                    f"'{iri.group()[:40]}' is an IRI by SPARQL's longest-"
                    "token rule, and an IRI cannot follow a value here; if '<' is the "
                    "less-than operator, put a space after it",
                )
            size = 2 if text.startswith("<=", pos) else 1
            return Token("op", text[pos : pos + size], pos, pos + size)
        if text.startswith("<<", pos):
            return Token("punct", "<<", pos, pos + 2)
        m = _IRIREF.match(text, pos)
        if m is None:
            raise _refuse(text, pos, _UNREADABLE_IRI)
        # In a collection or path group '<' is an IRI; were this paren an expression the guard
        # failed to recognise, it would be less-than. After a value that often ends an operand,
        # refuse an IRI whose characters would change the reading.
        value_before = prev is not None and (
            prev.kind in {"var", "number", "string", "lang"} or prev.text == ")"
        )
        if frame.kind == "terms" and value_before and _ambiguous(m.group()):
            raise _refuse(
                text,
                pos,
                "this '<' could be an IRI or the less-than operator; "
                "write a space after the operator",
            )
        return Token("iri", m.group(), pos, m.end())

    # -- what the tokens say -------------------------------------------------------------
    def _take(self, tok: Token) -> None:
        tokens = self.tokens
        prev = tokens[-1] if tokens else None
        kind, text = tok.kind, tok.text
        frame = self.frames[-1]
        if kind == "word":
            upper = text.upper()
            if text not in CASE_SENSITIVE_WORDS and (upper not in KEYWORDS or not text.isascii()):
                raise _refuse(self.text, tok.start, f"unknown word '{text}'" + _glued(text))
            self._word(tok, upper, frame)
        elif kind == "pname":
            self.pnames = True
            self._check_pname(tok, prev, frame)
        elif kind == "punct":
            self._punct(tok, prev, frame)
        tokens.append(tok)
        if prev is not None and prev.kind == "word":
            self._after_keyword(prev, tok)
        if kind == "iri":
            self._declare(tok)

    def _declare(self, tok: Token) -> None:
        """PREFIX p: <iri> and BASE <iri>, applied as they come: a prefix declared twice means
        its last value, and a relative IRI resolves against the base in force, as in the engine."""
        tokens = self.tokens
        if len(tokens) >= 2:
            before = tokens[-2]
            if before.kind == "word" and before.text.upper() == "BASE":
                resolved = resolve_iri(_decode_iri(tok.text), self.base)
                if resolved is None:
                    raise _refuse(self.text, tok.start, "BASE needs an absolute IRI here")
                self.base = resolved
            elif len(tokens) >= 3 and before.kind == "pname":
                keyword = tokens[-3]
                if keyword.kind == "word" and keyword.text.upper() == "PREFIX":
                    name, _, local = before.text.partition(":")
                    if local:
                        raise _refuse(self.text, before.start, "PREFIX needs a name ending in ':'")
                    resolved = resolve_iri(_decode_iri(tok.text), self.base)
                    if resolved is None:
                        raise _refuse(self.text, tok.start, "PREFIX needs an absolute IRI here")
                    self.prefixes[name] = resolved

    def _word(self, tok: Token, upper: str, frame: _Frame) -> None:
        if (
            frame.kind == "top"
            and not self.form
            and (upper in QUERY_FORMS or upper in UPDATE_VERBS)
        ):
            self.form = upper
        elif upper in {"PREFIX", "BASE"} and (self.form or frame.kind != "top"):
            raise _refuse(self.text, tok.start, f"{upper} may only come before the query")
        if upper == "FROM" and frame.kind == "top":
            self.names_dataset = True
        elif upper in {"BIND", "VALUES"}:
            self._grow(frame, joins=1)
            self.values_pending = upper == "VALUES"
        elif upper == "SELECT" and frame.kind == "group":
            frame.clause = True  # a subquery: its SELECT clause holds expressions
        elif upper in {"GROUP", "ORDER", "HAVING"}:
            frame.clause = True

    def _check_pname(self, tok: Token, prev: Token | None, frame: _Frame) -> None:
        prefix = tok.text.partition(":")[0]
        head = prefix[:9].upper() if prefix[:9].isascii() else ""
        after_service = prev is not None and prev.kind == "word" and prev.text.upper() == "SERVICE"
        for keyword, where in GLUE_KEYWORDS.items():
            if not head.startswith(keyword):
                continue
            if (
                where == "anywhere"
                or (where == "after-service" and after_service)
                or (where == "prologue" and frame.kind == "top" and not self.form)
                or (where == "top" and frame.kind == "top")
            ):
                raise _refuse(
                    self.text,
                    tok.start,
                    f"'{tok.text}' begins with the keyword "
                    f"{keyword}, which the engine may read apart from the rest: write "
                    "a space after the keyword, or choose another prefix",
                )

    def _punct(self, tok: Token, prev: Token | None, frame: _Frame) -> None:
        text = tok.text
        if text in _OPENERS:
            if text == "(":
                kind = self._paren_kind(prev, frame)
            elif text == "{":
                kind = "values" if self.values_pending else "group"
                self.values_pending = False
                frame.groups += 1
                if frame.groups > 1:
                    self._grow(frame, joins=1)
                if frame.kind == "group":
                    frame.clause = False  # the subquery's WHERE clause begins
            else:
                kind = "group"
            self._push(_Frame(kind, text, tok.start), tok)
        elif text in {")", "}", "]"}:
            if len(self.frames) == 1:
                raise _refuse(self.text, tok.start, f"'{text}' closes nothing that is open")
            if _OPENERS[self.frames[-1].opener] != text:
                raise _refuse(self.text, tok.start, f"found '{text}', expected " + self._closer())
            closed = self.frames.pop()
            self.total -= closed.weight
        elif text in CHAIN_OPERATORS:
            if text != "*" or (
                prev is not None and (prev.kind in _OPERAND_END or prev.text in ")]")
            ):
                self._grow(frame, chain=1)  # not SELECT * nor COUNT(*): those nest nothing
        elif text in {",", ";", "."}:
            self.total -= frame.chain
            frame.chain = 0

    def _paren_kind(self, prev: Token | None, frame: _Frame) -> str:
        if frame.kind == "expr":
            return "expr"
        if prev is not None and prev.kind == "word":
            if prev.text == "a":
                return "terms"
            if prev.text.upper() == "VALUES":
                return "terms"
            return "expr"  # FILTER, BIND, HAVING, ASC, a function …
        if frame.kind == "values":
            return "row"
        if prev is not None and prev.kind in {"iri", "pname"}:
            before = self.tokens[-2] if len(self.tokens) > 1 else None
            called = (
                before is not None and before.kind == "word" and before.text.upper() == "FILTER"
            )
            if frame.kind == "top" or frame.clause or called:
                return "expr"  # a function named by an IRI
            return "terms"
        if frame.kind == "top" or frame.clause:
            return "expr"
        return "terms"

    def _after_keyword(self, keyword: Token, tok: Token) -> None:
        upper = keyword.text.upper()
        if upper == "SERVICE":
            silent = tok.kind == "word" and tok.text.upper() == "SILENT"
            if silent:
                return  # the target comes next
            self._service(tok, silent=False, keyword=keyword)
        elif upper == "SILENT" and len(self.tokens) > 2:
            before = self.tokens[-3]
            if before.kind == "word" and before.text.upper() == "SERVICE":
                self._service(tok, silent=True, keyword=before)

    def _service(self, tok: Token, *, silent: bool, keyword: Token) -> None:
        if tok.kind == "var":
            target = "?" + tok.text[1:]
        elif tok.kind == "iri":
            resolved = resolve_iri(_decode_iri(tok.text), self.base)
            if resolved is None:
                raise ServiceNotAllowed(
                    f"SERVICE {tok.text} is a relative IRI and the query has no base IRI"
                )
            target = resolved
        elif tok.kind == "pname":
            prefix, _, local = tok.text.partition(":")
            if prefix not in self.prefixes:
                raise _refuse(
                    self.text,
                    tok.start,
                    f"SERVICE {tok.text}: the prefix '{prefix}:' is not declared",
                )
            target = self.prefixes[prefix] + local.replace("\\", "")
        else:
            raise _refuse(
                self.text,
                keyword.start,
                "SERVICE must be followed by an IRI, a prefixed name or a variable",
            )
        self.calls.append(ServiceCall(target, tok.start, tok.end, silent))

    # -- nesting -------------------------------------------------------------------------
    def _push(self, frame: _Frame, tok: Token) -> None:
        self.frames.append(frame)
        self._add(1, tok)

    def _grow(self, frame: _Frame, *, joins: int = 0, chain: int = 0) -> None:
        frame.joins += joins
        frame.chain += chain
        self._add(joins + chain, None)

    def _add(self, amount: int, tok: Token | None) -> None:
        self.total += amount
        if self.total > self.max_total:
            self.max_total = self.total
            at = tok.start if tok is not None else (self.tokens[-1].end if self.tokens else 0)
            self.deepest_at = at
            if self.limit is not None and self.total > self.limit:
                line, column = position(self.text, at)
                raise QueryTooComplex(
                    f"the query nests more than {self.limit} levels deep at line {line}, column "
                    f"{column} (brackets, operators, property paths and the patterns joined in "
                    f"a group all count); at most {self.limit} are allowed"
                )


def _ambiguous(iri: str) -> bool:
    return any(c in iri for c in "#'()[]!|^*+&=") or iri.count("/") > 6


def _cannot_read(text: str, pos: int) -> str:
    c = text[pos]
    if c in "'\"":
        return "a string that is not closed (or holds an invalid escape such as \\x)"
    if c == "\\":
        return "a backslash outside a string, IRI or prefixed name"
    if c == "?" or c == "$":
        return f"'{c}' not followed by a variable name"
    return f"unexpected character {c!r}"


def _glued(word: str) -> str:
    upper = word.upper()
    for keyword in sorted(KEYWORDS, key=len, reverse=True):
        if upper.startswith(keyword) and upper != keyword:
            return f" (if you meant {keyword} {word[len(keyword) :]}, put a space between them)"
    return ""


def scan(
    text: str,
    prefixes: Mapping[str, str] | None = None,
    *,
    base_iri: str | None = None,
    max_depth: int | None = None,
) -> QueryInfo:
    """Read ``text`` without running or parsing it with the engine; raise QuerySyntaxError for
    text the engine's grammar has no tokens for, QueryTooComplex past ``max_depth``."""
    s = _Scan(text, prefixes, base_iri).run(max_depth)
    return QueryInfo(
        s.form or "UNKNOWN",
        s.max_total,
        s.names_dataset,
        tuple(c.target for c in s.calls),
        tuple(s.calls),
        s.pnames,
    )


def check_query(
    text: str,
    *,
    max_depth: int,
    service_allowlist: tuple[str, ...],
    prefixes: Mapping[str, str] | None = None,
    base_iri: str | None = None,
) -> QueryInfo:
    """Refuse what must never reach the engine; return what the scan learnt."""
    info = scan(text, prefixes, base_iri=base_iri, max_depth=max_depth)
    if info.is_update:
        raise UpdateRefused(
            f"this endpoint is read-only: {info.form} is a SPARQL update, and updates are refused"
        )
    for target in info.services:
        if target not in service_allowlist:
            allowed = ", ".join(service_allowlist) or "none"
            raise ServiceNotAllowed(
                f"SERVICE <{target}> is not on this server's allow-list (allowed: {allowed})"
            )
    return info


def tokens(text: str, base_iri: str | None = None) -> list[Token]:
    return _Scan(text, None, base_iri).run().tokens


def iri_value(token: Token) -> str:
    """The IRI an ``iri`` token writes, its ``\\u`` escapes decoded (not yet resolved)."""
    return _decode_iri(token.text)


@lru_cache(maxsize=256)
def where_clause_start(text: str) -> int:
    """The offset just inside the opening brace of the query's WHERE clause, where bindings
    for the whole query pattern can go (the WHERE keyword is optional except in CONSTRUCT)."""
    depth = 0
    form = ""
    for tok in _lenient_tokens(text):
        if tok.kind == "word" and depth == 0:
            upper = tok.text.upper()
            if not form and upper in QUERY_FORMS:
                form = upper
            elif upper == "WHERE":
                form = "WHERE"
        elif tok.text in _OPENERS:
            if tok.text == "{" and depth == 0 and form in {"WHERE", "SELECT", "ASK", "DESCRIBE"}:
                return tok.start + 1
            depth += 1
        elif tok.text in {")", "}", "]"}:
            depth = max(0, depth - 1)
    raise ValueError("the query has no WHERE clause")


@lru_cache(maxsize=256)
def subselect_scopes(text: str) -> tuple[tuple[int, frozenset[str]], ...]:
    """For each sub-select of the query: the offset just inside the opening brace of its WHERE
    clause, and the variables its WHERE clause names (``?x`` and ``$x`` alike)."""
    toks = _lenient_tokens(text)
    found: list[tuple[int, frozenset[str]]] = []
    depth = 0
    pending: list[int] = []
    """Depths at which a nested SELECT waits for its WHERE clause's brace."""
    open_scopes: list[tuple[int, int, set[str]]] = []
    """(depth of its brace, offset inside it, variables) of each sub-select being read."""
    for tok in toks:
        if tok.kind == "word" and tok.text.upper() == "SELECT" and depth > 0:
            pending.append(depth)
        elif tok.kind == "var":
            for _, _, names in open_scopes:
                names.add(tok.text[1:])
        elif tok.text in _OPENERS:
            if tok.text == "{" and pending and pending[-1] == depth:
                pending.pop()
                open_scopes.append((depth, tok.start + 1, set()))
            depth += 1
        elif tok.text in {")", "}", "]"}:
            depth = max(0, depth - 1)
            if open_scopes and open_scopes[-1][0] == depth and tok.text == "}":
                _, at, names = open_scopes.pop()
                found.append((at, frozenset(names)))
    return tuple(sorted(found))


def undeclared_prefixes(text: str, known: Mapping[str, str]) -> dict[str, str]:
    """The prefixes of ``known`` that ``text`` uses without declaring them."""
    declared: set[str] = set()
    used: set[str] = set()
    toks = _lenient_tokens(text)
    for i, tok in enumerate(toks):
        if tok.kind != "pname":
            continue
        before = toks[i - 1] if i else None
        if before is not None and before.kind == "word" and before.text.upper() == "PREFIX":
            declared.add(tok.text.partition(":")[0])
        else:
            used.add(tok.text.partition(":")[0])
    return {p: known[p] for p in sorted(used - declared) if p in known}


def _lenient_tokens(text: str) -> list[Token]:
    """The tokens of text hubgraph wrote itself or that the guard already let through; relative
    IRIs need no base to be tokens."""
    return _Scan(text, None, "x:/").run().tokens


__all__ = [
    "QueryInfo",
    "ServiceCall",
    "Token",
    "check_query",
    "resolve_iri",
    "scan",
    "subselect_scopes",
    "tokens",
    "undeclared_prefixes",
    "where_clause_start",
]
