"""``/openapi.json`` and ``/docs``: each canned query is its own typed operation."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from http_checks import bindings, media_type

SCHEMA_TYPES: dict[str, dict[str, str]] = {
    "iri": {"type": "string"},
    "qid": {"type": "string"},
    "entity": {"type": "string"},
    "string": {"type": "string"},
    "integer": {"type": "integer"},
    "decimal": {"type": "number"},
    "date": {"type": "string", "format": "date"},
    "boolean": {"type": "boolean"},
}
"""The OpenAPI schema each scalar parameter type must have."""


@pytest.fixture(scope="module")
def openapi(base_url: str) -> dict[str, Any]:
    response = httpx.get(f"{base_url}/openapi.json", timeout=30)
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def queries(base_url: str) -> list[dict[str, Any]]:
    return httpx.get(f"{base_url}/queries", timeout=30).json()  # type: ignore[no-any-return]


def resolve(openapi: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        return openapi["components"]["schemas"][name]  # type: ignore[no-any-return]
    return schema


def value_schema(openapi: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """The schema of a parameter's value, with ``anyOf [X, null]`` and references unwrapped."""
    options = [s for s in schema.get("anyOf", [schema]) if s.get("type") != "null"]
    assert len(options) == 1, schema
    return resolve(openapi, options[0])


def scheme_concepts(http: httpx.Client, scheme: str) -> set[str]:
    query = f"SELECT ?c WHERE {{ ?c <http://www.w3.org/2004/02/skos/core#inScheme> <{scheme}> }}"
    return {
        row["c"].rsplit("/", 1)[-1]
        for row in bindings(http.get("/sparql", params={"query": query}))
    }


def test_every_canned_query_is_an_operation(
    openapi: dict[str, Any], queries: list[dict[str, Any]]
) -> None:
    assert queries
    operation_ids = set()
    for query in queries:
        path = f"/queries/{query['name']}"
        assert path in openapi["paths"], path
        assert set(openapi["paths"][path]) == {"get"}
        operation = openapi["paths"][path]["get"]
        assert operation["summary"] == query["title"]
        assert query["description"] in operation["description"]
        assert "Canned queries" in operation["tags"]
        assert operation["operationId"] not in operation_ids
        operation_ids.add(operation["operationId"])
        content = operation["responses"]["200"]["content"]
        assert {"application/json", "text/csv", "application/sparql-results+json"} <= set(content)
    # The catch-all routes for unknown names and suffixes stay out of the document.
    assert "/queries/{name}" not in openapi["paths"]
    assert "/queries/{name}.{suffix}" not in openapi["paths"]


def test_parameters_are_typed(
    openapi: dict[str, Any], queries: list[dict[str, Any]], http: httpx.Client
) -> None:
    seen_types = set()
    for query in queries:
        operation = openapi["paths"][f"/queries/{query['name']}"]["get"]
        documented = {p["name"]: p for p in operation["parameters"]}
        expected = [p["name"] for p in query["parameters"]] + [
            "limit",
            "offset",
            "format",
            "spreadsheet",
        ]
        assert list(documented) == expected
        for param in query["parameters"]:
            doc = documented[param["name"]]
            assert doc["in"] == "query"
            assert doc["required"] is param["required"]
            assert doc["description"].startswith(param["description"])
            schema = value_schema(openapi, doc["schema"])
            if param["list"]:
                assert schema["type"] == "array"
                schema = resolve(openapi, schema["items"])
            if param["type"] == "concept":
                assert schema["type"] == "string"
                assert set(schema["enum"]) == scheme_concepts(http, param["scheme"])
                assert set(schema["enum"]) == {c["value"] for c in param["choices"]}
            else:
                assert {k: schema.get(k) for k in SCHEMA_TYPES[param["type"]]} == (
                    SCHEMA_TYPES[param["type"]]
                )
            if param["default"] is not None and not param["list"]:
                assert doc["schema"]["default"] == param["default"]
            seen_types.add((param["type"], param["list"]))
        for name, minimum in (("limit", 1), ("offset", 0)):
            schema = value_schema(openapi, documented[name]["schema"])
            assert schema == {**schema, "type": "integer", "minimum": minimum}
            assert documented[name]["required"] is False
    # The queries exercise the interesting cases: concepts, lists, entities.
    assert {("concept", False), ("qid", True), ("entity", False), ("iri", False)} <= seen_types


def test_concept_enums_are_the_skos_schemes(openapi: dict[str, Any], http: httpx.Client) -> None:
    stances = openapi["paths"]["/queries/stances"]["get"]
    (position,) = [p for p in stances["parameters"] if p["name"] == "position"]
    assert set(value_schema(openapi, position["schema"])["enum"]) == {
        "willing",
        "open-with-conditions",
        "open-to-talks",
        "not-approached",
        "refuses",
    }
    conditions = openapi["paths"]["/queries/countries-attaching-conditions"]["get"]
    (kind,) = [p for p in conditions["parameters"] if p["name"] == "kind"]
    assert set(value_schema(openapi, kind["schema"])["enum"]) == {
        "precondition",
        "reciprocal-expectation",
    }
    (country,) = [p for p in conditions["parameters"] if p["name"] == "country"]
    assert value_schema(openapi, country["schema"]) == {
        "type": "array",
        "items": {"type": "string"},
    }


def test_other_paths_documented(openapi: dict[str, Any]) -> None:
    assert {"get", "post"} <= set(openapi["paths"]["/sparql"])
    for path in (
        "/queries",
        "/entities/wikidata/{qid}",
        "/entities/{entity_id}",
        "/void",
        "/ontology",
    ):
        assert "get" in openapi["paths"][path], path
    assert openapi["info"]["title"] == "hubgraph"


def test_docs_serve_swagger_ui(http: httpx.Client) -> None:
    response = http.get("/docs")
    assert response.status_code == 200
    assert media_type(response) == "text/html"
    assert "swagger-ui" in response.text.lower()
    assert "/openapi.json" in response.text
    # Offline: every script and style sheet of /docs and /redoc comes from this server.
    redoc = http.get("/redoc")
    assert redoc.status_code == 200
    for page in (response.text, redoc.text):
        sources = re.findall(r'(?:src|href)="([^"]+)"', page)
        assert sources and all(s.startswith("/") for s in sources), sources
        for source in sources:
            asset = http.get(source)
            assert asset.status_code == 200 and len(asset.content) > 100, source
    assert http.get("/docs-assets/nope.js").status_code == 404
