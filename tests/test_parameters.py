"""Canned-query headers and parameter binding."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from hubgraph.errors import ConfigError, NotFound, ParameterError
from hubgraph.queries import QueryRegistry, bind, bind_values, parse_parameter, read_query

SCHEME = "http://example.org/scheme"
QUERY = """#+ title: Test
#+ description: A query for the tests.
#+ param: country qid optional list -- countries
#+ param: position concept(http://example.org/scheme) optional -- a position
#+ param: year integer required -- a year
#+ param: day date optional default=2025-10-22 -- a day
SELECT ?country ?position ?year ?day WHERE { ?x ?p ?o } ORDER BY ?x
"""


@pytest.fixture
def query(tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "test-query.rq"
    path.write_text(QUERY)
    return read_query(path)


def no_entities(value: str) -> None:
    return None


def choices(scheme: str) -> dict[str, str]:
    return {
        "refuses": "http://example.org/refuses",
        "http://example.org/refuses": "http://example.org/refuses",
    }


def solve(text: str) -> list[dict[str, str | None]]:
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("http://e/x"), ox.NamedNode("http://e/p"), ox.Literal("o")))
    result = store.query(text)
    names = [v.value for v in result.variables]  # type: ignore[union-attr]
    return [{n: (row[n].value if row[n] is not None else None) for n in names} for row in result]  # type: ignore[union-attr]


def test_header(query) -> None:  # type: ignore[no-untyped-def]
    assert query.name == "test-query" and query.title == "Test"
    country, position, year, day = query.parameters
    assert country.is_list and country.type == "qid" and not country.required
    assert position.type == "concept" and position.scheme == SCHEME
    assert year.required and year.type == "integer"
    assert day.default == "2025-10-22"


def test_binding_is_by_terms(query) -> None:  # type: ignore[no-untyped-def]
    bound = bind(
        query,
        {"year": ["2025"], "country": ["Q1246", "wd:Q236"], "position": ["refuses"]},
        no_entities,
        choices,
    )
    rows = solve(bound.text)
    assert {r["country"] for r in rows} == {
        "http://www.wikidata.org/entity/Q1246",
        "http://www.wikidata.org/entity/Q236",
    }
    assert {r["year"] for r in rows} == {"2025"}
    assert {r["day"] for r in rows} == {"2025-10-22"}
    assert {r["position"] for r in rows} == {"http://example.org/refuses"}


def test_a_string_cannot_escape_its_literal(tmp_path: Path) -> None:
    path = tmp_path / "s.rq"
    path.write_text("#+ param: name string required -- text\nSELECT ?name WHERE { ?x ?p ?o }\n")
    nasty = '" } } ; DROP ALL ; SELECT * { "'
    rows = solve(bind(read_query(path), {"name": [nasty]}, no_entities, choices).text)
    assert rows == [{"name": nasty}]


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({}, "needs parameter 'year'"),
        ({"year": ["twenty"]}, "'year' must be an integer"),
        ({"year": ["1"], "country": ["X1"]}, "'country' must be a Wikidata entity"),
        ({"year": ["1"], "position": ["maybe"]}, "choose one of refuses"),
        ({"year": ["1"], "day": ["22/10/2025"]}, "'day' must be a date"),
        ({"year": ["1", "2"]}, "takes one value"),
        ({"year": ["1"], "colour": ["red"]}, "no parameter 'colour'"),
    ],
)
def test_bad_parameters_say_what_is_wrong(query, params, fragment) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ParameterError, match=fragment):
        bind(query, params, no_entities, choices)


def test_header_errors() -> None:
    with pytest.raises(ConfigError, match="unknown type"):
        parse_parameter("x colour optional", "q.rq")
    with pytest.raises(ConfigError, match="reserved"):
        parse_parameter("limit integer", "q.rq")


def test_registry(settings) -> None:  # type: ignore[no-untyped-def]
    registry = QueryRegistry(settings.queries_dir)
    assert "countries-attaching-conditions" in registry.queries
    with pytest.raises(NotFound, match="countries-attaching-conditions"):
        registry.get("nope")


def test_values_go_inside_the_where_clause() -> None:
    text = "SELECT ?g (COUNT(*) AS ?n) WHERE { ?s ?p ?g } GROUP BY ?g"
    bound = bind_values(text, {"g": [ox.Literal("o")]})
    assert solve(bound) == [{"g": "o", "n": "1"}]
