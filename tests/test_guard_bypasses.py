"""Every way issue #8 found past the old scanner, each with the verdict the guard gives now.

1. a comment ended by CR hides an ASK (the server ran it on its event loop);
2. the same trick hides 5,000 nested braces (the server process crashed);
3. SERVICE smuggled past the allow-list: the CR comment, ``ex:a\\#b`` and ``ex:it\\'s`` escapes,
   and a prefix declared twice (allow-listed, then a ``\\u``-escaped other host);
4. 50,000 ``!`` and brackets hidden by those tricks (each killed a worker);
7. scanning was quadratic in SERVICE tokens.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from engine_oracle import EngineOracle
from loopback import Recorder, serving

from hubgraph.errors import QuerySyntaxError, QueryTooComplex, ServiceNotAllowed
from hubgraph.query.guard import check_query, scan
from hubgraph.vocabulary import PREFIXES

BASE = "http://127.0.0.1:8000/sparql"
WIKIDATA = "https://query.wikidata.org/sparql"
SLOW_ASK = "ASK { " + "VALUES ?v { 1 2 3 4 5 6 7 8 9 10 } " * 8 + "FILTER(?v = 11) }"


def check(text: str, allow: tuple[str, ...] = ()) -> object:
    return check_query(
        text, max_depth=100, service_allowlist=allow, prefixes=PREFIXES, base_iri=BASE
    )


# 1 ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("newline", ["\r", "\n", "\r\n"])
def test_a_comment_ends_at_cr_as_well_as_lf(newline: str) -> None:
    info = scan(f"#x{newline}{SLOW_ASK}", base_iri=BASE)
    assert info.form == "ASK"  # a query like any other: it runs in a worker, under the timeout


def test_text_without_a_form_is_not_run_in_the_serving_process(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import pyoxigraph

    from hubgraph.config import Settings
    from hubgraph.service import QueryService

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("the serving process must not run the engine on user text")

    monkeypatch.setattr(pyoxigraph.Store, "query", forbidden)
    service = QueryService(Settings(), None, None, None)  # type: ignore[arg-type]
    assert service.check("# nothing but a comment\r").form == "UNKNOWN"
    assert service.check(f"#x\r{SLOW_ASK}").form == "ASK"


# 2 and 4 -----------------------------------------------------------------------------------
BRACES = "{" * 5000 + "}" * 5000
HIDERS = {
    "cr-comment": "#x\r",
    "escaped-hash": "PREFIX ex: <http://e/> SELECT * { ?s ex:a\\#b ?o } ",
    "escaped-quote": "PREFIX ex: <http://e/> SELECT * { ?s ex:it\\'s ?o } ",
    "hash-in-iri": "SELECT * { ?s <http://e/#x> ?o } ",
    "hash-in-string": "SELECT * { ?s ?p '#' } ",
    "less-than": "SELECT * { FILTER(1 <'#'> 0) } ",
}


@pytest.mark.parametrize("hider", HIDERS.values(), ids=HIDERS.keys())
def test_brackets_behind_the_tricks_are_counted(hider: str) -> None:
    with pytest.raises((QueryTooComplex, QuerySyntaxError)) as caught:
        check(hider + "ASK " + BRACES)
    if isinstance(caught.value, QuerySyntaxError):
        # A text the guard cannot read is refused: only the '<' trick, by the longest-token rule.
        assert "longest-token rule" in caught.value.message
    else:
        assert "more than 100 levels deep" in caught.value.message


def test_the_less_than_trick_alone_is_read_as_the_engine_reads_it() -> None:
    info = check("SELECT * { FILTER(1 < '#' || 2 > 1) SERVICE <x:hidden> {} }", ("x:hidden",))
    assert info.services == ("x:hidden",)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * WHERE { FILTER(" + "!" * 50_000 + "true) }",
        "SELECT * WHERE { FILTER(" + "- " * 200 + "1) }",
        "SELECT * WHERE { FILTER(1" + " + 1" * 5000 + ") }",
        "SELECT * WHERE { FILTER(true" + " && true" * 5000 + ") }",
        "SELECT * WHERE { ?s <x:p>" + "/<x:p>" * 5000 + " ?o }",
        "SELECT * WHERE { ?s " + "(" * 3000 + "<x:p>" + ")" * 3000 + " ?o }",
        "SELECT * WHERE { ?s <x:p> " + "[ <x:p> " * 3000 + "1" + " ]" * 3000 + " }",
        "SELECT * WHERE { " + "OPTIONAL { ?s ?p ?o } " * 3000 + "}",
        "SELECT * WHERE { {} " + "UNION {} " * 5000 + "}",
        "SELECT * WHERE { " + "".join(f"BIND(1 AS ?v{i}) " for i in range(3000)) + "}",
        "SELECT * WHERE { FILTER(" + "STR(" * 1000 + "1" + ")" * 1000 + ") }",
    ],
    ids=["bang", "minus", "plus", "and", "path-sequence", "path-parens", "blank-nodes",
         "optional", "union", "bind", "functions"],
)  # fmt: skip
def test_every_construct_that_nests_in_the_engine_is_counted(text: str) -> None:
    # Each of these, at this size, crashes pyoxigraph 0.5 (measured with a child process).
    with pytest.raises(QueryTooComplex, match="more than 100 levels deep"):
        check(text)


# 3 ------------------------------------------------------------------------------------------
SECRET = "http://127.0.0.1:9/secret"
SMUGGLERS = {
    "cr-comment": f"#x\rSELECT * {{ SERVICE <{SECRET}> {{ }} }}",
    "escaped-hash": f"PREFIX ex: <http://e/> SELECT * {{ ?s ex:a\\#b ?o . SERVICE <{SECRET}> {{}} }}",
    "escaped-quote": (
        f"PREFIX ex: <http://e/> SELECT * {{ ?s ex:it\\'s ?o . SERVICE <{SECRET}> {{}} }} #'"
    ),
    "prefix-twice": (
        "PREFIX wd: <https://query.wikidata.org/> "
        "PREFIX wd: <\\u0068ttp://127.0.0.1:9/> SELECT * { SERVICE wd:secret { } }"
    ),
    "uchar-in-iri": "SELECT * { SERVICE <\\u0068ttp://127.0.0.1:9/secret> { } }",
    "relative": "BASE <http://127.0.0.1:9/a/> SELECT * { SERVICE <../secret> { } }",
    "silent": f"SELECT * {{ SERVICE SILENT <{SECRET}> {{ }} }}",
}


@pytest.mark.parametrize("text", SMUGGLERS.values(), ids=SMUGGLERS.keys())
def test_smuggled_service_targets_are_named_and_refused(text: str) -> None:
    info = scan(text, PREFIXES, base_iri=BASE)
    assert info.services == (SECRET,)
    call = info.service_calls[0]
    assert text[call.start : call.end] in {f"<{SECRET}>", "wd:secret", "<../secret>"} or (
        text[call.start : call.end].startswith("<\\u0068")
    )
    with pytest.raises(ServiceNotAllowed, match=re.escape("127.0.0.1:9/secret")):
        check(text, (WIKIDATA,))


def test_service_glued_to_a_prefixed_name_is_refused() -> None:
    # The engine reads SERVICE:x as SERVICE and :x (it connected to the host of ':').
    with pytest.raises(QuerySyntaxError, match="begins with the keyword SERVICE"):
        check("PREFIX : <http://127.0.0.1:9/> SELECT * { SERVICE:x { } }")


def test_the_last_declaration_of_a_prefix_counts() -> None:
    text = (
        "PREFIX wd: <http://127.0.0.1:9/> PREFIX wd: <https://query.wikidata.org/> "
        "SELECT * { SERVICE wd:sparql { } }"
    )
    assert check(text, (WIKIDATA,)).services == (WIKIDATA,)  # type: ignore[attr-defined]


# 7 ------------------------------------------------------------------------------------------
def test_scanning_is_linear_in_service_tokens() -> None:
    # 1 MB (ten times the longest query the server takes): the old scan, quadratic, needed
    # about 0.3 s for 100 KB and so would need half a minute here; a linear one, well under one.
    text = "SELECT * { " + "SERVICE <x:s> { } " * 55_000 + "}"
    started = time.perf_counter()
    info = scan(text, base_iri=BASE)
    elapsed = time.perf_counter() - started
    assert len(info.services) == 55_000
    assert elapsed < 10, f"{elapsed:.1f} s for {len(text)} characters"


# end to end ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def listener() -> Iterator[str]:
    with serving() as url:
        yield url


@pytest.mark.slow
@pytest.mark.parametrize("name", SMUGGLERS)
def test_no_smuggled_service_reaches_a_listener(
    http: httpx.Client, listener: str, name: str
) -> None:
    text = SMUGGLERS[name].replace("http://127.0.0.1:9", listener)
    text = text.replace("\\u0068ttp://127.0.0.1:9", "\\u0068" + listener[1:])
    Recorder.seen.clear()
    response = http.post("/sparql", data={"query": text})
    assert response.status_code == 403, response.text
    assert response.json()["error"] == "service-not-allowed"
    assert Recorder.seen == []
    # … and the server still answers.
    assert http.get("/sparql", params={"query": "ASK {}"}).json()["boolean"] is True


@pytest.mark.slow
def test_hidden_deep_nesting_is_refused_and_the_server_survives(http: httpx.Client) -> None:
    response = http.post("/sparql", data={"query": "#x\rASK " + BRACES})
    assert response.status_code == 400
    assert response.json()["error"] == "query-too-complex"
    assert http.get("/sparql", params={"query": "ASK {}"}).json()["boolean"] is True


# the margin -------------------------------------------------------------------------------
FAMILIES = {
    "braces": lambda n: "SELECT * WHERE " + "{" * n + "}" * n,
    "parens": lambda n: "SELECT * WHERE { FILTER(" + "(" * n + "1" + ")" * n + ") }",
    "bang": lambda n: "SELECT * WHERE { FILTER(" + "!" * n + "true) }",
    "functions": lambda n: "SELECT * WHERE { FILTER(" + "STR(" * n + "1" + ")" * n + ") }",
    "exists": lambda n: "ASK { FILTER(" + "EXISTS { FILTER(" * n + "true" + ") }" * n + ") }",
    "plus": lambda n: "SELECT * WHERE { FILTER(1" + " + 1" * n + ") }",
    "or": lambda n: "SELECT * WHERE { FILTER(true" + " || true" * n + ") }",
    "path-sequence": lambda n: "SELECT * WHERE { ?s <x:p>" + "/<x:p>" * n + " ?o }",
    "blank-nodes": lambda n: "SELECT * WHERE { ?s <x:p> " + "[ <x:p> " * n + "1" + " ]" * n + " }",
    "collections": lambda n: "SELECT * WHERE { ?s <x:p> " + "( " * n + "1" + " )" * n + " }",
    "optional": lambda n: "SELECT * WHERE { " + "OPTIONAL { ?s ?p ?o } " * n + "}",
    "union": lambda n: "SELECT * WHERE { {} " + "UNION {} " * n + "}",
    "bind": lambda n: "SELECT * WHERE { " + "".join(f"BIND(1 AS ?v{i}) " for i in range(n)) + "}",
    "subqueries": lambda n: "SELECT * WHERE " + "{ SELECT * WHERE " * n + "{}" + " }" * n,
}


def _largest_accepted(family: Callable[[int], str]) -> int:
    n = 1
    while n < 500:
        try:
            check(family(n + 1))
        except QueryTooComplex:
            return n
        n += 1
    raise AssertionError("the guard let 500 levels through")


def test_what_the_guard_lets_through_is_far_from_crashing_the_engine() -> None:
    """For every kind of nesting, the engine takes several times what the guard lets through."""
    oracle = EngineOracle()
    try:
        for name, family in FAMILIES.items():
            n = _largest_accepted(family)
            assert n >= 10, (name, n)
            # Planning long patterns takes the engine time, not stack (480 nested collections
            # take it over a minute, and crash it only past 10,000): check those at lower sizes.
            factor = {"collections": 1, "path-sequence": 2, "blank-nodes": 2}.get(name, 5)
            for size in (n, factor * n):
                verdict = oracle.ask(family(size), base=BASE)
                assert verdict.verdict == "ok", (name, size, verdict)
    finally:
        oracle.close()
