"""The query guard: forms, nesting, SERVICE targets, read as the engine reads them."""

from __future__ import annotations

import pytest

from hubgraph.errors import QueryTooComplex, ServiceNotAllowed, UpdateRefused
from hubgraph.query.guard import check_query, scan, where_clause_start

ALLOWED = ("https://query.wikidata.org/sparql",)


def test_forms_and_dataset_clauses() -> None:
    assert scan("ASK {}").form == "ASK"
    assert scan("PREFIX ex: <http://e/> CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }").returns_graph
    assert scan("SELECT * FROM <http://g> { ?s ?p ?o }").names_dataset
    assert not scan("SELECT * { ?s ?p ?o FILTER(?o = 'FROM') }").names_dataset
    assert scan("# SELECT\n DESCRIBE <http://e/x>").form == "DESCRIBE"


@pytest.mark.parametrize(
    "update",
    ["INSERT DATA { <a:b> <a:c> <a:d> }", "DELETE WHERE { ?s ?p ?o }", "DROP ALL", "LOAD <http://x>",
     "PREFIX e: <http://e/> CLEAR GRAPH e:g", "WITH <g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }"],
)  # fmt: skip
def test_updates_are_refused(update: str) -> None:
    with pytest.raises(UpdateRefused):
        check_query(update, max_depth=50, service_allowlist=ALLOWED)


def test_keywords_inside_strings_iris_and_comments_are_not_tokens() -> None:
    text = 'SELECT * { ?s ?p "INSERT SERVICE <http://evil>" } # SERVICE <http://evil>'
    info = check_query(text, max_depth=50, service_allowlist=())
    assert info.services == ()
    assert info.form == "SELECT"


def test_less_than_is_not_an_iri() -> None:
    info = scan("SELECT * { ?s ?p ?o FILTER(?o < 3 && ?o > 1) SERVICE <http://x/> { } }")
    assert info.services == ("http://x/",)


def test_nesting_depth_is_measured_before_parsing() -> None:
    deep = "SELECT * WHERE " + "{" * 3000 + "}" * 3000
    assert scan(deep).depth == 3001  # the query itself is one level
    with pytest.raises(QueryTooComplex, match="more than 100 levels deep at line 1, column 115"):
        check_query(deep, max_depth=100, service_allowlist=())
    parens = "SELECT * { FILTER(" + "(" * 2000 + "1" + ")" * 2000 + ") }"
    with pytest.raises(QueryTooComplex):
        check_query(parens, max_depth=100, service_allowlist=())


def test_service_targets_are_resolved_and_checked() -> None:
    ok = "PREFIX wdq: <https://query.wikidata.org/> SELECT * { SERVICE SILENT wdq:sparql { ?s ?p ?o } }"
    assert check_query(ok, max_depth=50, service_allowlist=ALLOWED).services == ALLOWED
    for target in (
        "<http://127.0.0.1:8080/admin>",
        "?endpoint",
        "<https://query.wikidata.org/sparq>",
    ):
        with pytest.raises(ServiceNotAllowed):
            check_query(
                f"SELECT * {{ SERVICE {target} {{ ?s ?p ?o }} }}",
                max_depth=50,
                service_allowlist=ALLOWED,
            )


def test_service_prefixes_from_the_defaults() -> None:
    text = "SELECT * { SERVICE wd:x { ?s ?p ?o } }"
    info = scan(text, {"wd": "http://www.wikidata.org/entity/"})
    assert info.services == ("http://www.wikidata.org/entity/x",)


@pytest.mark.parametrize(
    "text",
    ["SELECT ?s WHERE { ?s ?p ?o }", "SELECT ?s { ?s ?p ?o }", "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }",
     "ASK { ?s ?p ?o }", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"],
)  # fmt: skip
def test_where_clause_start_is_inside_the_pattern(text: str) -> None:
    at = where_clause_start(text)
    assert text[at - 1] == "{"
    assert text[at:].lstrip().startswith("?s ?p ?o")
