"""Checks shared by the tests that talk to the live server over HTTP."""

from __future__ import annotations

from typing import Any

import httpx

HG = "https://w3id.org/hubgraph/ontology#"
ID = "https://w3id.org/hubgraph/id/"
WD = "http://www.wikidata.org/entity/"
ONTOLOGY_GRAPH = "https://w3id.org/hubgraph/graph/ontology"
SHAPES_GRAPH = "https://w3id.org/hubgraph/graph/shapes"
SOURCE_GRAPH = "https://w3id.org/hubgraph/source/gbnews-2025-10-kosovo-return-hub"
KOSOVO = ID + "country/kosovo"

SPARQL_JSON = "application/sparql-results+json"
SPARQL_XML = "application/sparql-results+xml"


def media_type(response: httpx.Response) -> str:
    return response.headers.get("content-type", "").split(";")[0].strip()


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """``response`` is the one error shape with ``status`` (and ``code``), and no traceback."""
    assert response.status_code == status, response.text
    assert media_type(response) == "application/json", response.headers
    assert "Traceback" not in response.text
    assert 'File "' not in response.text
    body = response.json()
    assert {"status", "error", "message"} <= set(body), body
    assert body["status"] == status
    assert isinstance(body["error"], str) and body["error"]
    assert isinstance(body["message"], str) and body["message"]
    if code is not None:
        assert body["error"] == code, body
    return body  # type: ignore[no-any-return]


def bindings(response: httpx.Response) -> list[dict[str, str]]:
    """SPARQL JSON results as plain ``{variable: value}`` rows."""
    assert response.status_code == 200, response.text
    assert media_type(response) == SPARQL_JSON
    return [
        {k: v["value"] for k, v in row.items()} for row in response.json()["results"]["bindings"]
    ]


def count(response: httpx.Response) -> int:
    """The single ``?n`` of a ``SELECT (COUNT(*) AS ?n)`` response."""
    (row,) = bindings(response)
    return int(row["n"])
