"""Tables for analysts: one row per stance observation, as CSV or JSON Lines.

The rows are the ``observations`` canned query's (so the CLI, HTTP and the client agree on
them); this module only pages through it and writes the two formats. The columns are
documented in ``docs/observations.md``.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import TextIO

from hubgraph.service import QueryService
from hubgraph.terms import JsonValue, plain_value

QUERY = "observations"
FORMATS = {
    "observations-csv": "text/csv; charset=utf-8",
    "observations-jsonl": "application/jsonl; charset=utf-8",
}
"""Export format name → media type."""


def observation_table(
    service: QueryService, params: Mapping[str, Sequence[str]] | None = None
) -> tuple[list[str], list[dict[str, JsonValue]]]:
    """The columns and every row of the observations table (all pages)."""
    size = service.settings.max_page_size
    columns: list[str] = []
    rows: list[dict[str, JsonValue]] = []
    offset = 0
    while True:
        page = service.canned(QUERY, params or {}, limit=size, offset=offset)
        columns = list(page.variables)
        rows.extend(
            {v: plain_value(t) for v, t in zip(page.variables, row, strict=True)}  # type: ignore[arg-type]
            for row in page.rows
        )
        if not page.truncated:
            return columns, rows
        offset += size


def _cell(value: JsonValue) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def csv_lines(columns: Sequence[str], rows: Sequence[Mapping[str, JsonValue]]) -> Iterator[str]:
    """The table as CSV (RFC 4180, header row first), one line at a time."""

    class Line:
        text = ""

        def write(self, s: str) -> None:
            self.text += s

    line = Line()
    writer = csv.writer(line, lineterminator="\r\n")
    writer.writerow(columns)
    yield line.text
    for row in rows:
        line.text = ""
        writer.writerow([_cell(row.get(c)) for c in columns])
        yield line.text


def jsonl_lines(columns: Sequence[str], rows: Sequence[Mapping[str, JsonValue]]) -> Iterator[str]:
    """The table as JSON Lines: one object per observation, every column present (null when
    the graph has no value), keys in column order."""
    for row in rows:
        record = {c: row.get(c) if row.get(c) != "" else None for c in columns}
        yield json.dumps(record, ensure_ascii=False, default=str) + "\n"


def write_observations(service: QueryService, format_name: str, out: TextIO) -> int:
    """Write the table in ``format_name`` (a key of FORMATS) to ``out``; the number of rows."""
    columns, rows = observation_table(service)
    lines = csv_lines if format_name == "observations-csv" else jsonl_lines
    for text in lines(columns, rows):
        out.write(text)
    return len(rows)
