"""RDF terms as plain values, for JSON records, CSV cells and Python callers."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence

import pyoxigraph as ox

from hubgraph.safe_text import printable, spreadsheet_cell

XSD = "http://www.w3.org/2001/XMLSchema#"
INTEGERS = {
    XSD + t
    for t in (
        "integer", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger",
        "nonPositiveInteger", "negativeInteger", "unsignedInt", "unsignedLong",
        "unsignedShort", "unsignedByte",
    )
}  # fmt: skip
FLOATS = {XSD + "decimal", XSD + "double", XSD + "float"}
BOOLEAN = XSD + "boolean"
JsonValue = str | int | float | bool | None
Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
Row = Sequence[Term | None]


def plain_value(term: Term | None) -> JsonValue:
    """A term as JSON has it: IRIs as strings, numbers and booleans as such, other literals
    (dates included, which JSON lacks) as their lexical form."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.Literal):
        return literal_value(term.value, term.datatype.value)
    return str(term)


def literal_value(lexical: str, datatype: str) -> JsonValue:
    """A literal's plain value from its lexical form and datatype IRI (see :func:`plain_value`):
    a numeric literal whose lexical form is not a number stays that text."""
    try:
        if datatype in INTEGERS:
            return int(lexical)
        if datatype in FLOATS:
            return float(lexical)
    except ValueError:
        return lexical
    if datatype == BOOLEAN:
        return lexical in {"true", "1"}
    return lexical


def records(variables: Sequence[str], rows: Iterable[Row]) -> list[dict[str, JsonValue]]:
    return [{v: plain_value(t) for v, t in zip(variables, row, strict=True)} for row in rows]


def records_json(variables: Sequence[str], rows: Iterable[Row]) -> bytes:
    """``json.dumps(records(variables, rows))`` as Starlette's JSONResponse writes it, built
    faster: rows of a query repeat their IRIs and labels, so each distinct term is converted
    and encoded once, and every row is joined from the encoded pieces."""
    keys = [json.dumps(v, ensure_ascii=False) + ":" for v in variables]
    encoded: dict[Term | None, str] = {None: "null"}
    parts = []
    for row in rows:
        cells = []
        for key, term in zip(keys, row, strict=True):
            text = encoded.get(term)
            if text is None:
                text = json.dumps(plain_value(term), ensure_ascii=False, allow_nan=False)
                encoded[term] = text
            cells.append(key + text)
        parts.append("{" + ",".join(cells) + "}")
    return ("[" + ",".join(parts) + "]").encode()


def csv_text(
    variables: Sequence[str],
    rows: Iterable[Row],
    *,
    spreadsheet: bool = False,
    terminal: bool = False,
) -> str:
    """Rows as CSV. ``spreadsheet`` neutralises text cells that a spreadsheet would run as a
    formula (see :func:`hubgraph.safe_text.spreadsheet_cell`); ``terminal`` drops from each
    cell what a terminal would obey (:func:`hubgraph.safe_text.printable`: CSV has no escapes,
    so they go; tabs and newlines stay, quoted); otherwise the values are exact."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(variables)
    for row in rows:
        cells = ("" if t is None else str(plain_value(t)) for t in row)
        if terminal:
            cells = (printable(c) for c in cells)
        if spreadsheet:
            cells = (spreadsheet_cell(t, c) for t, c in zip(row, cells, strict=True))
        writer.writerow(cells)
    return out.getvalue()


def sparql_json_term(
    term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple,
) -> dict[str, object]:
    """One binding as the SPARQL 1.1 Query Results JSON Format writes it."""
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out: dict[str, object] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != XSD + "string":
            out["datatype"] = term.datatype.value
        return out
    return {"type": "triple", "value": str(term)}


def sparql_json(variables: Sequence[str], rows: Iterable[Row]) -> dict[str, object]:
    bindings = [
        {v: sparql_json_term(t) for v, t in zip(variables, row, strict=True) if t is not None}
        for row in rows
    ]
    return {"head": {"vars": list(variables)}, "results": {"bindings": bindings}}
