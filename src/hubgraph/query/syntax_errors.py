"""The engine's syntax errors, said in words.

The engine reports the furthest position its parser reached and the set of things it tried
there: rule names, keyword fragments and Unicode ranges ("expected one of ABS, AVG, DAY …,
['A' ..= 'Z' | …]"). An unknown prefix it reports as "Prefix not found", often at the next
token it could not read — a line late. This module turns that into a message a person can act
on, and keeps the engine's own text beside it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from hubgraph.errors import QuerySyntaxError
from hubgraph.query.guard import Token, _lenient_tokens, position

_WHERE = re.compile(r"error at (\d+):(\d+): (.*)", re.S)
_PATTERN_WORDS = {"OPTIONAL", "LATERAL", "SERVICE", "GRAPH", "MINUS", "BIND", "VALUES", "FILTER"}
_FUNCTION_WORDS = {"ABS", "AVG", "DAY", "IRI", "MAX", "MD5", "MIN", "NOT", "NOW", "STR", "SUM"}
_MODIFIER_WORDS = {"HAVING", "OFFSET", "LIMIT", "ORDER", "GROUP"}


def readable(
    message: str, text: str, prefixes: Mapping[str, str] | None = None
) -> QuerySyntaxError:
    """The QuerySyntaxError to report for the engine's ``message`` about query ``text``."""
    unknown = _unknown_prefix(text, prefixes or {})
    if unknown is not None:
        line, column = position(text, unknown.start)
        prefix = unknown.text.partition(":")[0]
        known = ", ".join(f"{p}:" for p in (prefixes or {}))
        return QuerySyntaxError(
            f"malformed query at line {line}, column {column}: the prefix '{prefix}:' (in "
            f"'{unknown.text}') is not declared; declare it with PREFIX {prefix}: <…>"
            + (f", or use one of the predeclared prefixes: {known}" if known else ""),
            engine_message=message,
            line=line,
            column=column,
        )
    m = _WHERE.match(message)
    if m is None:
        return QuerySyntaxError(f"malformed query: {message}", engine_message=message)
    line, column = int(m.group(1)), int(m.group(2))
    found = _found(text, line, column)
    expected = _expected(m.group(3))
    return QuerySyntaxError(
        f"malformed query at line {line}, column {column}: found {found}"
        + (f", expected {expected}" if expected else ""),
        engine_message=message,
        line=line,
        column=column,
    )


def from_remote(
    body: str, text: str, prefixes: Mapping[str, str] | None = None
) -> QuerySyntaxError:
    """The error for a remote store's 400 about ``text``: its positions refer to the text as
    sent (with declarations prepended), so only an unknown prefix is placed from ``text``."""
    if _unknown_prefix(text, prefixes or {}) is not None:
        return readable(body, text, prefixes)
    return QuerySyntaxError(f"malformed query (the remote store says: {body})", engine_message=body)


def _unknown_prefix(text: str, prefixes: Mapping[str, str]) -> Token | None:
    try:
        toks = _lenient_tokens(text)
    except QuerySyntaxError:
        return None
    declared = set(prefixes)
    for i, tok in enumerate(toks):
        if tok.kind != "pname":
            continue
        prefix = tok.text.partition(":")[0]
        before = toks[i - 1] if i else None
        if before is not None and before.kind == "word" and before.text.upper() == "PREFIX":
            declared.add(prefix)
        elif prefix not in declared:
            return tok
    return None


def _found(text: str, line: int, column: int) -> str:
    lines = text.split("\n")
    if line > len(lines):
        return "the end of the query"
    offset = sum(len(x) + 1 for x in lines[: line - 1]) + column - 1
    rest = text[offset:].lstrip(" \t\r\n")
    if not rest:
        return "the end of the query"
    word = re.match(r"[^\s{}()\[\],;]+|.", rest)
    shown = word.group() if word else rest[0]
    return f"'{shown[:40]}'"


_LITERALS = {
    "$": "a variable", "?": "a variable", "<": "an IRI", ":": "a prefixed name",
    "'": "a string", '"': "a string", "\'\'\'": "a string", '"""': "a string",
    "_:": "a blank node", "[": "a blank node", "+": "a number", "-": "a number",
    "true": "true or false", "false": "true or false",
    "<<": "", "<<(": "", "{|": "", "~": "",
}  # fmt: skip
"""What the engine's literal tokens stand for, when it expects them; "" for those of SPARQL 1.2
annotations, which are never what a reader missed."""


def _expected(raw: str) -> str:
    raw = raw.removeprefix("expected one of ").removeprefix("expected ")
    items = re.findall(r'"(?:[^"\\]|\\.)*"|\[[^\]]*\]|[^,\s][^,]*', raw)
    words: list[str] = []

    def add(phrase: str) -> None:
        if phrase and phrase not in words:
            words.append(phrase)

    for item in (i.strip() for i in items):
        upper = item.upper()
        if item == "[_]":
            continue
        if item.startswith('"'):
            literal = item[1:-1].replace('\\"', '"').replace("\\\\", "\\")
            if literal.startswith("\\"):
                add("the string's closing quote (or a valid escape such as \\n or \\u00E9)")
            else:
                add(_LITERALS.get(literal, f"'{literal}'"))
        elif item.startswith("["):
            numeric = "'0'..='9'" in item and "'A'" not in item
            add("a number" if numeric else "a name (a prefixed name or a keyword)")
        elif upper in _FUNCTION_WORDS or upper in {"ISLITERAL", "ISNUMERIC"}:
            add("an expression (a variable, a value or a function call)")
        elif upper in _PATTERN_WORDS:
            add("a triple pattern, '}' or a keyword such as OPTIONAL, FILTER, BIND or SERVICE")
        elif upper in {"SELECT", "CONSTRUCT", "DESCRIBE", "ASK"}:
            add("SELECT, CONSTRUCT, DESCRIBE or ASK")
        elif upper in _MODIFIER_WORDS:
            add("the end of the query or a modifier such as LIMIT, OFFSET or ORDER BY")
        elif item == "IRI parsing failed":
            add("a valid IRI")
        elif item == "Prefix not found":
            add("a declared prefix")
        elif not item.isalpha():
            add(item)  # the engine's own words, such as "language tag parsing failed"
        # other keyword names are fragments of the engine's search, not what was missed
    if "an expression (a variable, a value or a function call)" in words:
        words = [w for w in words if w not in {"a variable", "a string", "a number", "an IRI"}]
    if any(w.startswith("the string's closing quote") for w in words):
        words = [w for w in words if w != "a string"]
    if not words:
        return ""
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]
