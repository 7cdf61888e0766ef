"""Content negotiation."""

from __future__ import annotations

import pytest

from hubgraph.errors import NotAcceptable
from hubgraph.formats import GRAPH_FORMATS, RESULT_FORMATS, TABLE_FORMATS, by_name, negotiate


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "json"),
        ("*/*", "json"),
        ("text/csv", "csv"),
        ("application/json", "json"),
        ("text/csv;q=0.5, application/sparql-results+xml", "xml"),
        ("text/*;q=0.9, application/sparql-results+json;q=0.1", "csv"),
        ("text/tab-separated-values, */*;q=0.1", "tsv"),
        ("application/sparql-results+json;q=0, */*", "xml"),
    ],
)
def test_results_negotiation(accept: str | None, expected: str) -> None:
    assert negotiate(accept, RESULT_FORMATS).name == expected


def test_graph_negotiation_and_not_acceptable() -> None:
    assert negotiate("application/n-triples;q=0.1, text/turtle", GRAPH_FORMATS).name == "turtle"
    assert negotiate("application/ld+json", GRAPH_FORMATS).name == "jsonld"
    assert negotiate("application/json", GRAPH_FORMATS).name == "jsonld"
    with pytest.raises(NotAcceptable, match="image/png"):
        negotiate("image/png", RESULT_FORMATS)


def test_names() -> None:
    assert by_name("csv", TABLE_FORMATS).media_type == "text/csv"
    assert by_name("text/turtle", GRAPH_FORMATS).name == "turtle"
    with pytest.raises(NotAcceptable, match="choose one of"):
        by_name("yaml", RESULT_FORMATS)
