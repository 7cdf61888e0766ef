"""The query guard: forms, nesting, SERVICE targets, read as the engine reads them."""

from __future__ import annotations

import pytest

from hubgraph.errors import QuerySyntaxError, QueryTooComplex, ServiceNotAllowed, UpdateRefused
from hubgraph.query.guard import check_query, resolve_iri, scan, where_clause_start

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


@pytest.mark.parametrize(
    ("reference", "resolved"),
    [  # RFC 3986 §5.4, against its base http://a/b/c/d;p?q
        ("g:h", "g:h"), ("g", "http://a/b/c/g"), ("./g", "http://a/b/c/g"),
        ("g/", "http://a/b/c/g/"), ("/g", "http://a/g"), ("//g", "http://g"),
        ("?y", "http://a/b/c/d;p?y"), ("g?y", "http://a/b/c/g?y"), ("#s", "http://a/b/c/d;p?q#s"),
        ("g#s", "http://a/b/c/g#s"), (";x", "http://a/b/c/;x"), ("", "http://a/b/c/d;p?q"),
        (".", "http://a/b/c/"), ("./", "http://a/b/c/"), ("..", "http://a/b/"),
        ("../g", "http://a/b/g"), ("../..", "http://a/"), ("../../g", "http://a/g"),
        ("../../../g", "http://a/g"), ("/./g", "http://a/g"), ("/../g", "http://a/g"),
        ("g.", "http://a/b/c/g."), (".g", "http://a/b/c/.g"), ("g..", "http://a/b/c/g.."),
        ("./../g", "http://a/b/g"), ("./g/.", "http://a/b/c/g/"), ("g/./h", "http://a/b/c/g/h"),
        ("g/../h", "http://a/b/c/h"), ("g;x=1/./y", "http://a/b/c/g;x=1/y"),
        ("g;x=1/../y", "http://a/b/c/y"),
    ],
)  # fmt: skip
def test_relative_iris_resolve_as_rfc_3986_says(reference: str, resolved: str) -> None:
    assert resolve_iri(reference, "http://a/b/c/d;p?q") == resolved


def test_service_calls_carry_the_span_of_their_target() -> None:
    text = (
        "PREFIX wdq: <https://query.wikidata.org/>\n"
        "SELECT * { SERVICE SILENT wdq:sparql { } SERVICE <https://query.wikidata.org/sparql> "
        "{ } SERVICE ?where { } }"
    )
    calls = scan(text).service_calls
    assert [(c.target, text[c.start : c.end], c.silent) for c in calls] == [
        ("https://query.wikidata.org/sparql", "wdq:sparql", True),
        ("https://query.wikidata.org/sparql", "<https://query.wikidata.org/sparql>", False),
        ("?where", "?where", False),
    ]


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("SELECT * { ?s ?p 'open }", "line 1, column 18: a string that is not closed"),
        ("SELECT * {\n ?s ?p ?o . \\ }", "line 2, column 13: a backslash"),
        ("SELECT * { ?s <a b> ?o }", "line 1, column 15: '<' begins an IRI"),
        ("SELECT * { ?s ?p ?o ", "line 1, column 21: the query ends too soon: expected '}'"),
        ("SELECT * { ?s ?p ?o ) }", "line 1, column 21: found ')', expected '}'"),
        ("SELECT * { ?s ?p ?o } LIMT 1", "line 1, column 23: unknown word 'LIMT'"),
        ("SELECT * { ?s ?p ?o } PREFIX a: <x:>", "PREFIX may only come before the query"),
    ],
)
def test_text_the_guard_cannot_read_is_refused_with_its_place(text: str, where: str) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        check_query(text, max_depth=100, service_allowlist=(), base_iri="http://b/")
    assert where in caught.value.message


def test_keywords_ignore_case_but_a_true_and_false_do_not() -> None:
    assert scan("select * where { ?s a ?o }").form == "SELECT"
    with pytest.raises(QuerySyntaxError, match="unknown word 'A'"):
        scan("SELECT * { ?s A ?o }")


@pytest.mark.parametrize(
    ("text", "prefixed"),
    [
        ("SELECT ?p ?o WHERE { <https://e.org/s> ?p ?o }", False),
        ("ASK {}", False),
        ("SELECT * { ?s a ?o }", False),
        # Look-alikes that are not prefixed names: inside a string, an IRI, a comment.
        ("SELECT * { ?s ?p 'hg:Stance' }", False),
        ("SELECT * { ?s ?p <hg:Stance> }", False),
        ("SELECT * { ?s ?p ?o } # hg:Stance", False),
        ("PREFIX ex: <https://e.org/> SELECT * { ?s ex:p ?o }", True),
        ("SELECT * { ?s a hg:Stance }", True),
        ("SELECT * { ?s ?p ?o FILTER(?o = xsd:true) }", True),
    ],
)
def test_the_guard_notes_whether_a_query_holds_prefixed_names(text: str, prefixed: bool) -> None:
    """A query without any is sent to the engine without the prefix map (which it would parse
    for nothing); one with even a single prefixed name must keep it."""
    assert scan(text).prefixed_names is prefixed
