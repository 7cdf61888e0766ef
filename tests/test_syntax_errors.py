"""Syntax errors as people read them: what was expected in words, where, and the engine's text."""

from __future__ import annotations

import httpx
import pyoxigraph as ox
import pytest
from conftest import LiveServer
from http_checks import assert_error

from hubgraph.query.syntax_errors import readable
from hubgraph.vocabulary import PREFIXES

BASE = "http://127.0.0.1:8000/sparql"


def engine_error(text: str) -> str:
    with pytest.raises(SyntaxError) as caught:
        ox.Store().query(text, prefixes=PREFIXES, base_iri=BASE)
    return str(caught.value)


def test_an_unknown_prefix_is_named_where_it_is() -> None:
    text = "SELECT * WHERE {\n  ?s ex:p ?o\n}\n"
    raw = engine_error(text)
    assert "Prefix" not in raw and raw.startswith("error at 2:")  # the engine says neither
    error = readable(raw, text, PREFIXES)
    assert error.message.startswith("malformed query at line 2, column 6: the prefix 'ex:'")
    assert "declare it with PREFIX ex: <…>" in error.message
    assert "predeclared prefixes: hg:, hgid:" in error.message
    assert error.extra() == {"engine_message": raw, "line": 2, "column": 6}


def test_a_prefix_error_on_one_line_is_not_reported_on_the_next() -> None:
    text = "SELECT ?x WHERE {\n  BIND(nope:a AS ?x)\n}"
    error = readable(engine_error(text), text, PREFIXES)
    assert (error.line, error.column) == (2, 8)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("SELECT * WHERE { ?s ?p }", "a triple pattern, '}' or a keyword such as OPTIONAL"),
        ("SELECT ?x { FILTER(?x = ) }", "expected an expression (a variable, a value or a"),
        ("SELECT * { ?s ?p 'abc }", "expected the string's closing quote"),
        ("SELECT * { ?s ?p ?o } GROUP BY", "expected a variable, '('"),
    ],
)
def test_what_was_expected_is_said_in_words(text: str, words: str) -> None:
    raw = engine_error(text)
    error = readable(raw, text, PREFIXES)
    assert words in error.message
    assert "\\u{" not in error.message and "..=" not in error.message  # no Unicode ranges
    assert error.engine_message == raw


@pytest.mark.slow
def test_the_endpoint_answers_in_words_and_keeps_the_engine_text(
    http: httpx.Client, server: LiveServer
) -> None:
    text = "SELECT * WHERE {\n  ?s nope:p ?o\n}"
    body = assert_error(http.post("/sparql", data={"query": text}), 400, "malformed-query")
    assert "line 2, column 6: the prefix 'nope:'" in body["message"]
    assert "predeclared prefixes" in body["message"]
    assert body["line"] == 2 and body["column"] == 6
    # The engine's own words, for those who want them.
    engine_words = "Undefined namespace prefix" if server.backend == "virtuoso" else "error at"
    assert engine_words in body["engine_message"]


@pytest.mark.slow
@pytest.mark.parametrize(
    "text",
    [
        "SELECT * WHERE { <a> <b> <c> }",
        "DESCRIBE <u>",
        "PREFIX : <#> SELECT * WHERE { ?s :p ?o }",
        "BASE <http://example.org/> SELECT * WHERE { ?s <p> ?o }",
    ],
)
def test_relative_iris_resolve_against_the_endpoint(http: httpx.Client, text: str) -> None:
    response = http.post("/sparql", data={"query": text})
    assert response.status_code == 200, response.text


@pytest.mark.slow
def test_a_relative_service_iri_is_resolved_before_the_allow_list(
    http: httpx.Client, base_url: str
) -> None:
    body = assert_error(
        http.post("/sparql", data={"query": "SELECT * { SERVICE <elsewhere> { } }"}),
        403,
        "service-not-allowed",
    )
    assert f"<{base_url}/elsewhere>" in body["message"]
