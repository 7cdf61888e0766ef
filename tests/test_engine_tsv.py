"""JSON records and CSV made from the engine's TSV (hubgraph.engine_tsv) are the very bytes the
term path writes (collect_rows, then hubgraph.terms.records_json or csv_text, spreadsheet-safe
or not), with the same page cut and the same ``more``: for every canned query on data/ and on the bench's synthetic data, and for odd
terms (language tags, numbers whose lexical form is no number, escapes and control characters,
unbound cells, blank nodes, triple terms)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pyoxigraph as ox
import pytest

from hubgraph.config import Settings
from hubgraph.executor import InlineExecutor
from hubgraph.queries import QueryRegistry
from hubgraph.runtime import open_service
from hubgraph.service import PREFIXES, QueryService
from hubgraph.store import OxigraphStore
from hubgraph.worker import Job, Rows, collect_rows, page_rows, render_rows, run_job

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import generate  # noqa: E402

XSD = "http://www.w3.org/2001/XMLSchema#"
REQUIRED = {"actor": ["Q1246"], "search": ["never in Albania"]}
"""A value for each canned query's required parameters (the rest keep their defaults)."""
NEEDS_NETWORK = {"wikidata-heads-of-government"}
PAGES = [(0, 1000), (0, 1), (1, 2), (3, 5), (0, None), (2, None), (10_000, 10)]
"""(offset, limit) pairs: the first page, short pages, pages past the end, no limit."""


def old_page(store: OxigraphStore | ox.Store, job: Job) -> Rows:
    return render_rows(collect_rows(execute(store, job), job.offset, job.limit), job.render)


def new_page(store: OxigraphStore | ox.Store, job: Job) -> Rows:
    return page_rows(execute(store, job), job)


def execute(store: OxigraphStore | ox.Store, job: Job) -> object:
    if isinstance(store, ox.Store):
        return store.query(job.query, use_default_graph_as_union=True, prefixes=job.prefixes)
    return run_job(store, job)


RENDERS = ["records", "csv", "csv-spreadsheet"]


def assert_same_page(store: OxigraphStore | ox.Store, job: Job) -> Rows:
    """The page rendered each way (see RENDERS) is the term path's, byte for byte."""
    for render in RENDERS:
        asked = replace(job, render=render)
        old, new = old_page(store, asked), new_page(store, asked)
        assert new.encoded is not None and new.rows == []
        assert new.encoded.decode() == (old.encoded or b"").decode(), render
        assert (new.variables, new.count, new.more) == (old.variables, old.count, old.more)
    return new_page(store, replace(job, render="records"))


def canned_jobs(service: QueryService, names: list[str]) -> Iterator[Job]:
    """Each query's pages (see PAGES), as the service binds them."""
    for name in names:
        params = {"actor": REQUIRED["actor"]} if name == "actor" else {}
        if name == "search":
            params = {"q": REQUIRED["search"]}
        for offset, limit in PAGES:
            _, job = service.prepare_canned(name, params, limit=limit or 10_000, offset=offset)
            if limit is None:
                job = replace(job, limit=None)
            yield replace(job, render="records")


def test_every_canned_query_on_data(data_store: OxigraphStore) -> None:
    registry = QueryRegistry(ROOT / "queries")
    service = QueryService(
        Settings(service_allowlist=()), data_store, InlineExecutor(data_store), registry
    )
    rows_seen = 0
    names = [n for n in registry.queries if n not in NEEDS_NETWORK]
    for job in canned_jobs(service, names):
        rows_seen += assert_same_page(data_store, job).count
    assert rows_seen > 1000  # the queries answered: this compared real rows


@pytest.mark.parametrize("query", ["countries-attaching-conditions", "refusals", "stances"])
def test_canned_queries_on_the_bench_data(tmp_path: Path, query: str) -> None:
    data = generate.generate(20_000, seed=7, out=tmp_path)
    settings = Settings(
        store="memory", data_dir=data.folder, ontology_dir=ROOT / "ontology",
        queries_dir=ROOT / "queries", workers=1, service_allowlist=(),
    )  # fmt: skip
    service = open_service(settings)
    try:
        assert isinstance(service.store, OxigraphStore)
        for job in canned_jobs(service, [query]):
            assert_same_page(service.store, job)
        _, first = service.prepare_canned(query, {}, limit=1000)
        assert new_page(service.store, replace(first, render="records")).count > 20
    finally:
        service.close()


def literal(value: str, datatype: str) -> ox.Literal:
    return ox.Literal(value, datatype=ox.NamedNode(datatype if ":" in datatype else XSD + datatype))


ODD = [
    ox.NamedNode("https://w3id.org/hubgraph/id/country/kosovo"),
    ox.NamedNode("http://example.org/caf\u00e9/%20?q=1#x"),
    ox.BlankNode("b0"),
    ox.BlankNode("n1a2"),
    ox.Literal("Kosovo", language="en"),
    ox.Literal("Kosovë", language="sq-Latn-XK"),
    ox.Literal('"Never" in Albania — Milošević\n\t\\ \\n \\" \r end'),
    ox.Literal("control \x01 \x08 \x0c \x1f del \x7f nel \x85 ls \u2028 ps \u2029 😀"),
    ox.Literal("control in a tag \x02", language="en"),
    ox.Literal(""),
    ox.Literal("", language="en"),
    ox.Literal("=cmd|' /C calc'!A0"),
    ox.Literal("+1", language="en"),
    ox.Literal("@home"),
    ox.Literal('\tstarts with a tab, "quoted", and, commas'),
    ox.Literal("\rstarts with a carriage return"),
    literal("-not a number", "integer"),
    literal("-1_0", "long"),
    literal("-5", "http://example.org/number"),
    literal("3", "integer"),
    literal("-0", "integer"),
    literal("007", "integer"),
    literal("+42", "int"),
    literal("9" * 5000, "integer"),
    literal("not a number", "integer"),
    literal(" 3", "integer"),
    literal("1_000", "long"),
    literal("3.0", "integer"),
    literal("0.5", "decimal"),
    literal("-.5", "decimal"),
    literal("1.", "decimal"),
    literal("12", "decimal"),
    literal("1e3", "double"),
    literal("-1.5E-3", "double"),
    literal("2.5", "float"),
    literal("abc", "double"),
    literal("true", "boolean"),
    literal("false", "boolean"),
    literal("1", "boolean"),
    literal("0", "boolean"),
    literal("yes", "boolean"),
    literal("2025-10-22", "date"),
    literal("2025-10-22T10:00:00Z", "dateTime"),
    literal("P1D", "duration"),
    literal('x \\ "y"\t', "http://example.org/datatype"),
    literal("7", "http://example.org/number"),
    literal("<b>bold</b>", "http://www.w3.org/1999/02/22-rdf-syntax-ns#HTML"),
    ox.Triple(
        ox.NamedNode("http://example.org/s"),
        ox.NamedNode("http://example.org/p"),
        ox.Literal('q "x"\n', language="en"),
    ),
    ox.Triple(
        ox.BlankNode("b0"),
        ox.NamedNode("http://example.org/p"),
        ox.Triple(
            ox.NamedNode("http://example.org/a"),
            ox.NamedNode("http://example.org/b"),
            literal("3", "integer"),
        ),
    ),
]


@pytest.fixture(scope="module")
def odd_store() -> ox.Store:
    store = ox.Store()
    graph = ox.NamedNode("http://example.org/graph")
    for i, term in enumerate(ODD):
        subject = ox.NamedNode(f"http://example.org/row/{i:03d}")
        store.add(ox.Quad(subject, ox.NamedNode("http://example.org/value"), term, graph))
        if i % 3:  # some rows have a second column, the others leave it unbound
            store.add(ox.Quad(subject, ox.NamedNode("http://example.org/other"), term, graph))
    return store


def odd_job(query: str, offset: int = 0, limit: int | None = 1000) -> Job:
    return Job(query=query, prefixes=PREFIXES, offset=offset, limit=limit, render="records")


ODD_QUERY = """SELECT ?row ?value ?other ?nothing WHERE {
  ?row <http://example.org/value> ?value OPTIONAL { ?row <http://example.org/other> ?other }
} ORDER BY ?row"""


@pytest.mark.parametrize(("offset", "limit"), PAGES)
def test_odd_terms(odd_store: ox.Store, offset: int, limit: int | None) -> None:
    assert_same_page(odd_store, odd_job(ODD_QUERY, offset, limit))


def test_every_odd_term_is_compared(odd_store: ox.Store) -> None:
    page = new_page(odd_store, odd_job(ODD_QUERY))
    assert page.count == len(ODD)  # the engine took each term, none was folded into another


@pytest.mark.parametrize(
    "query",
    [
        # Values the query makes, not the store's: no canonical forms.
        'SELECT ?a ?b ?c ?d ?e ?f ?g WHERE { BIND("03"^^xsd:integer AS ?a) '
        'BIND("-.50"^^xsd:decimal AS ?b) BIND("+1.E3"^^xsd:double AS ?c) BIND("1"^^xsd:boolean'
        ' AS ?d) BIND(STRDT("x\\ty", <http://example.org/dt>) AS ?e) BIND(1/3 AS ?f) '
        'BIND(STRLANG("chat", "fr-BE") AS ?g) }',
        "SELECT ?x WHERE { VALUES ?x { 1 2.5 3e0 true 'a' <http://example.org/x> UNDEF } }",
        "SELECT * WHERE { }",
        "SELECT ?x ?y WHERE { } LIMIT 0",
        "SELECT ?x ?y WHERE { VALUES (?x ?y) { (UNDEF UNDEF) (1 UNDEF) (UNDEF 2) } }",
        "SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s",
    ],
    ids=["computed", "values", "no-variables", "no-rows", "unbound", "subjects"],
)
@pytest.mark.parametrize(("offset", "limit"), [(0, 1000), (1, 1), (0, None)])
def test_odd_queries(odd_store: ox.Store, query: str, offset: int, limit: int | None) -> None:
    assert_same_page(odd_store, odd_job(query, offset, limit))


@pytest.mark.parametrize("value", ['"NaN"^^xsd:double', '"INF"^^xsd:double', '"-INF"^^xsd:float'])
def test_what_json_cannot_hold_fails_as_it_did(odd_store: ox.Store, value: str) -> None:
    job = odd_job(f"SELECT ?x WHERE {{ BIND({value} AS ?x) }}")
    with pytest.raises(ValueError) as old:
        old_page(odd_store, job)
    with pytest.raises(ValueError) as new:
        new_page(odd_store, job)
    assert str(new.value) == str(old.value)


def test_asks_and_graphs_keep_the_term_path(odd_store: ox.Store) -> None:
    ask = new_page(odd_store, odd_job("ASK { ?s ?p ?o }"))
    assert ask.boolean is True and ask.encoded is None
    construct = odd_job("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
    assert new_page(odd_store, construct).encoded == old_page(odd_store, construct).encoded


def test_a_long_page_stops_the_engine_early() -> None:
    """The engine writes little more than the page: a sink that has its lines stops it."""
    store = ox.Store()
    value = ox.NamedNode("http://example.org/value")
    store.extend(
        ox.Quad(ox.NamedNode(f"http://example.org/{i}"), value, ox.Literal(str(i)))
        for i in range(50_000)
    )
    result = store.query("SELECT ?s ?o WHERE { ?s ?p ?o }")
    page = page_rows(result, odd_job("", offset=10, limit=5))
    assert page.count == 5 and page.more
    assert sum(1 for _ in result) > 40_000  # the rest was never serialized
