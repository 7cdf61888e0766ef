"""A page of solutions rendered from the engine's own TSV instead of from Python terms.

Making a pyoxigraph term of every cell and converting each in Python cost more than the engine
took to write the whole SPARQL JSON document: the canned conditions query was 8-9 % dearer than
its text over /sparql. So the engine writes the page as TSV (SPARQL 1.1 TSV, in Rust), and each
distinct cell of it is turned into its JSON text (or its CSV value) once, with the values
:func:`hubgraph.terms.plain_value` gives the terms. (CSV gains less: Python's csv writer, the
same in both paths, costs more than the terms did.)

What this relies on in Oxigraph's TSV writer (``sparesults``; tests/test_engine_tsv.py compares
the result with the term path on real queries and on odd literals): one solution per line, each
ended by a newline, cells separated by tabs, an unbound cell empty; IRIs ``<…>``, blank nodes
``_:…``, triple terms ``<<( … )>>``; a literal ``"…"`` with ``\\t \\n \\r \\" \\\\`` escaped and its
``@lang`` or ``^^<datatype>`` (none for xsd:string), except xsd:boolean, xsd:integer,
xsd:decimal and xsd:double in Turtle's short forms, which are written bare. Those five escapes
are JSON's own, so a literal's quoted text is already its JSON string unless it holds another
control character.
"""

from __future__ import annotations

import collections
import contextlib
import csv
import io
import itertools
import json
import re
from collections.abc import Sequence
from itertools import chain
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import IO, cast

import pyoxigraph as ox

from hubgraph.safe_text import FORMULA_START, spreadsheet_cell
from hubgraph.terms import BOOLEAN, FLOATS, INTEGERS, XSD, JsonValue, literal_value, plain_value

TSV = ox.QueryResultsFormat.TSV
CONVERTED = INTEGERS | FLOATS | {BOOLEAN}
"""Datatypes whose plain value is not the lexical form."""
_CONTROL = re.compile("[\x00-\x1f]")
_DUMPS = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode
"""``json.dumps(value, ensure_ascii=False, allow_nan=False)``, without building an encoder per
call (a NaN double fails here as it does in :func:`hubgraph.terms.records_json`)."""


class _PageFull(Exception):
    """Raised from the sink once it holds every line the page needs: the engine stops there."""


class _LineSink:
    """A file-like the engine writes TSV into, that stops it after ``lines`` newlines."""

    def __init__(self, lines: int | None) -> None:
        self.chunks: list[bytes] = []
        self._left = lines

    def write(self, data: bytes) -> int:
        self.chunks.append(bytes(data))
        if self._left is not None:
            self._left -= data.count(b"\n")
            if self._left <= 0:
                raise _PageFull
        return len(data)

    def flush(self) -> None:
        """Nothing is held back."""


def solution_lines(
    result: ox.QuerySolutions, offset: int, limit: int | None
) -> tuple[list[str], list[str], bool]:
    """The variables, the TSV lines of the page (skip ``offset`` solutions, keep at most
    ``limit``) and whether solutions beyond it exist, as :func:`hubgraph.worker.collect_rows`
    pages terms."""
    variables = [v.value for v in result.variables]
    # Skipped solutions are stepped over without a term made (nor a line written) for them.
    collections.deque(itertools.islice(result, offset), maxlen=0)
    sink = _LineSink(None if limit is None else limit + 2)  # the header, the page, one more
    with contextlib.suppress(_PageFull):
        result.serialize(cast(IO[bytes], sink), TSV)
    text = b"".join(sink.chunks).decode()
    # After the header; the last piece is what follows the last newline: "" or a cut line.
    lines = text.split("\n")[1:-1]
    more = limit is not None and len(lines) > limit
    return variables, lines if limit is None else lines[:limit], more


def records_json(variables: Sequence[str], lines: Sequence[str]) -> bytes:
    """The page's JSON records, byte for byte what :func:`hubgraph.terms.records_json` writes
    for the same solutions' terms. (A line of another width than the variables', which the
    writer never makes, fails the strict zip rather than shift a row.)"""
    if not variables:  # each line is an empty row
        return ("[" + ",".join(["{}"] * len(lines)) + "]").encode()
    # Each key with the separator before it: a row is then its keys and cells interleaved,
    # which zip and chain do without a Python frame per cell.
    keys = [json.dumps(v, ensure_ascii=False) + ":" for v in variables]
    keys = ["{" + keys[0], *("," + k for k in keys[1:])]
    text_of = _CellTexts({"": "null"}).__getitem__
    rows = [
        "".join(chain.from_iterable(zip(keys, map(text_of, line.split("\t")), strict=True))) + "}"
        for line in lines
    ]
    return ("[" + ",".join(rows) + "]").encode()


class _CellTexts(dict[str, str]):
    """Each TSV cell's JSON text, worked out the first time the cell is met (a query's rows
    repeat their IRIs and labels)."""

    def __missing__(self, cell: str) -> str:
        text = self[cell] = cell_json(cell)
        return text


def cell_json(cell: str) -> str:
    """One non-empty TSV cell as JSON: the JSON text of the term's plain value."""
    first = cell[0]
    if first == '"':
        if cell[-1] == '"':  # xsd:string, the commonest
            quoted = cell
        else:
            end = cell.rindex('"')  # neither a language tag nor an IRI holds a quote
            quoted, suffix = cell[: end + 1], cell[end + 1 :]
            if suffix.startswith("^^<") and suffix[3:-1] in CONVERTED:
                return _DUMPS(literal_value(unescape(quoted[1:-1]), suffix[3:-1]))
        # isprintable() is quick and false for every control character (and for a few
        # other characters, which the search then clears).
        if quoted.isprintable() or _CONTROL.search(quoted) is None:
            return quoted
        return _DUMPS(unescape(quoted[1:-1]))
    if cell.startswith("<<("):
        return _DUMPS(plain_value(cell_term(cell)))
    if first == "<":
        return encode_basestring(cell[1:-1])  # type: ignore[no-any-return]
    if first == "_":
        return encode_basestring(cell)  # type: ignore[no-any-return]
    return _DUMPS(bare_value(cell))


def bare_value(cell: str) -> JsonValue:
    """A literal the writer put bare: a Turtle boolean, integer, decimal or double."""
    if cell in {"true", "false"}:
        return cell == "true"
    if "e" in cell or "E" in cell:
        return literal_value(cell, XSD + "double")
    if "." in cell:
        return literal_value(cell, XSD + "decimal")
    return literal_value(cell, XSD + "integer")


def unescape(text: str) -> str:
    """A TSV literal's text without the writer's escapes (each ``\\\\`` first, so that the
    backslash it stands for starts no other escape)."""
    if "\\" not in text:
        return text
    return "\\".join(
        part.replace("\\t", "\t").replace("\\n", "\n").replace("\\r", "\r").replace('\\"', '"')
        for part in text.split("\\\\")
    )


def cell_term(cell: str) -> ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple:
    """A cell as the engine's term, for the rare cell that needs more than its text (a triple
    term; a spreadsheet cell that starts like a formula): every TSV cell is a Turtle object,
    short forms and escapes included, and the parser keeps blank node labels."""
    document = f"<urn:x:s> <urn:x:p> {cell} .".encode()
    (triple,) = ox.parse(document, ox.RdfFormat.TURTLE)
    return triple.object  # type: ignore[no-any-return]


def csv_text(variables: Sequence[str], lines: Sequence[str], *, spreadsheet: bool = False) -> str:
    """The page as CSV, what :func:`hubgraph.terms.csv_text` writes for the same solutions'
    terms (``spreadsheet`` as there)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(variables)
    rows = [line.split("\t") for line in lines] if variables else [[] for _ in lines]
    if any(len(row) != len(variables) for row in rows):
        raise ValueError("a TSV line of another width than the variables'")
    cells = _SpreadsheetCells if spreadsheet else _CsvCells
    text_of = cells({"": ""}).__getitem__
    writer.writerows([map(text_of, row) for row in rows])
    return out.getvalue()


class _CsvCells(dict[str, str]):
    """Each TSV cell's CSV text (its plain value as text), worked out once."""

    def __missing__(self, cell: str) -> str:
        text = self[cell] = str(cell_value(cell))
        return text


class _SpreadsheetCells(dict[str, str]):
    """Each TSV cell's CSV text as a spreadsheet will not run it as a formula."""

    def __missing__(self, cell: str) -> str:
        text = str(cell_value(cell))
        if text.startswith(FORMULA_START):  # rare: the term itself says if it is a number
            text = spreadsheet_cell(cell_term(cell), text)
        self[cell] = text
        return text


def cell_value(cell: str) -> JsonValue:
    """One non-empty TSV cell's plain value (:func:`hubgraph.terms.plain_value`)."""
    first = cell[0]
    if first == '"':
        end = cell.rindex('"')
        lexical, suffix = unescape(cell[1:end]), cell[end + 1 :]
        return literal_value(lexical, suffix[3:-1]) if suffix.startswith("^^<") else lexical
    if cell.startswith("<<("):
        return plain_value(cell_term(cell))
    if first == "<":
        return cell[1:-1]
    if first == "_":
        return cell
    return bare_value(cell)
