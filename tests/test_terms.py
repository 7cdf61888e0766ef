"""Rows rendered as JSON records where the query ran must be the very bytes the serving process
would have written from the terms themselves (Starlette's JSONResponse of ``records``)."""

from __future__ import annotations

import json

import pyoxigraph as ox
from starlette.responses import JSONResponse

from hubgraph.executor import Rows, render_rows
from hubgraph.terms import csv_text, records, records_json

XSD = "http://www.w3.org/2001/XMLSchema#"
ROWS = [
    (
        ox.NamedNode("https://w3id.org/hubgraph/id/country/kosovo"),
        ox.Literal("Kosovo", language="en"),
        ox.Literal("3", datatype=ox.NamedNode(XSD + "integer")),
        ox.Literal("0.5", datatype=ox.NamedNode(XSD + "decimal")),
        ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean")),
        ox.Literal("2025-10-22", datatype=ox.NamedNode(XSD + "date")),
        ox.BlankNode("b0"),
        None,
    ),
    (
        ox.NamedNode("https://w3id.org/hubgraph/id/country/kosovo"),  # repeated: encoded once
        ox.Literal('"Never" in Albania — Milošević\n\t\\ \u2028', language="en"),
        ox.Literal("not a number", datatype=ox.NamedNode(XSD + "integer")),
        None,
        ox.Literal("0", datatype=ox.NamedNode(XSD + "boolean")),
        ox.Literal("=cmd|' /C calc'!A0"),
        None,
        ox.Literal("Kosovo", language="en"),
    ),
]
VARIABLES = ["country", "label", "n", "share", "flag", "date", "node", "other"]


def test_records_json_is_what_json_response_writes() -> None:
    expected = JSONResponse(records(VARIABLES, ROWS)).body
    assert records_json(VARIABLES, ROWS) == expected
    assert json.loads(records_json(VARIABLES, [])) == []


def test_rendered_rows_carry_the_page_and_its_count() -> None:
    rows = Rows(VARIABLES, list(ROWS), more=True)
    rendered = render_rows(rows, "records")
    assert rendered.rows == [] and rendered.count == 2 and rendered.more
    assert rendered.encoded == records_json(VARIABLES, ROWS)
    spreadsheet = render_rows(rows, "csv-spreadsheet")
    assert spreadsheet.encoded == csv_text(VARIABLES, ROWS, spreadsheet=True).encode()
    assert b"'=cmd" in (spreadsheet.encoded or b"")
    assert render_rows(rows, "") is rows
    ask = Rows([], [], False, boolean=True)
    assert render_rows(ask, "records") is ask
