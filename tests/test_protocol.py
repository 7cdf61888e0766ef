"""The query side of the W3C SPARQL 1.1 Protocol test suite, against the live server.

One test per W3C case (https://www.w3.org/2009/sparql/docs/tests/data-sparql11/protocol/),
named after it, with the graphs of this store standing in for the suite's data files; then
content negotiation, the Service Description, VoID, the refusal of updates and the dataset a
query's own FROM defines.
"""

from __future__ import annotations

import csv
import io
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import rdflib
from conftest import LiveServer
from http_checks import (
    HG,
    KOSOVO,
    ONTOLOGY_GRAPH,
    SHAPES_GRAPH,
    SOURCE_GRAPH,
    SPARQL_JSON,
    SPARQL_XML,
    WD,
    assert_error,
    bindings,
    count,
    media_type,
)
from rdflib.compare import isomorphic
from rdflib.namespace import OWL, RDF

SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
FORMATS = rdflib.Namespace("http://www.w3.org/ns/formats/")
SRX = "{http://www.w3.org/2005/sparql-results#}"

COUNT_ALL = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
COUNT_BY_GRAPH = (
    "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
)
ASK_COUNTRY = f"ASK {{ ?c a <{HG}Country> }}"
# Countries are described in the register's graph; a source's graph holds the stances it reports.
ASK_STANCE = f"ASK {{ ?s a <{HG}Stance> }}"
KOSOVO_CONSTRUCT = f"CONSTRUCT {{ <{KOSOVO}> ?p ?o }} WHERE {{ <{KOSOVO}> ?p ?o }}"
KOSOVO_DESCRIBE = f"DESCRIBE <{KOSOVO}>"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
DIRECT = {"Content-Type": "application/sparql-query"}


@pytest.fixture(scope="module")
def graph_sizes(base_url: str) -> dict[str, int]:
    """Triples per named graph, as the union default graph sees them."""
    response = httpx.get(f"{base_url}/sparql", params={"query": COUNT_BY_GRAPH}, timeout=30)
    sizes = {row["g"]: int(row["n"]) for row in bindings(response)}
    assert {ONTOLOGY_GRAPH, SHAPES_GRAPH, SOURCE_GRAPH} <= set(sizes)
    assert all(n > 0 for n in sizes.values())
    return sizes


def merged_size(http: httpx.Client, *graphs: str) -> int:
    """Distinct triples in the RDF merge of ``graphs``, counted over the union default graph."""
    values = " ".join(f"<{g}>" for g in graphs)
    query = (
        "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { "
        f"VALUES ?g {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} }} }}"
    )
    return count(http.get("/sparql", params={"query": query}))


def per_graph(response: httpx.Response) -> dict[str, int]:
    return {row["g"]: int(row["n"]) for row in bindings(response)}


def parse_graph(response: httpx.Response, fmt: str) -> rdflib.Graph:
    assert response.status_code == 200, response.text
    graph = rdflib.Graph()
    graph.parse(data=response.content, format=fmt)
    return graph


def assert_kosovo(graph: rdflib.Graph) -> None:
    kosovo = rdflib.URIRef(KOSOVO)
    assert (kosovo, OWL.sameAs, rdflib.URIRef(WD + "Q1246")) in graph
    assert (kosovo, RDF.type, rdflib.URIRef(HG + "Country")) in graph


# -- W3C protocol tests: queries ---------------------------------------------------------------
def test_query_get(http: httpx.Client) -> None:
    response = http.get("/sparql", params={"query": "ASK {}"})
    assert response.status_code == 200
    assert media_type(response) == SPARQL_JSON
    assert response.json()["boolean"] is True


def test_query_post_form(http: httpx.Client) -> None:
    query = f"SELECT ?c WHERE {{ ?c a <{HG}Country> }} ORDER BY ?c"
    response = http.post("/sparql", data={"query": query})
    assert response.request.headers["content-type"] == FORM["Content-Type"]
    rows = bindings(response)
    assert {"c": KOSOVO} in rows
    assert len(rows) >= 5


def test_query_post_direct(http: httpx.Client) -> None:
    response = http.post("/sparql", content=ASK_COUNTRY.encode(), headers=DIRECT)
    assert response.status_code == 200
    assert media_type(response) == SPARQL_JSON
    assert response.json()["boolean"] is True


def test_query_dataset_default_graph(http: httpx.Client, graph_sizes: dict[str, int]) -> None:
    # W3C: POST direct, default-graph-uri in the URL.
    response = http.post(
        "/sparql",
        params={"default-graph-uri": ONTOLOGY_GRAPH},
        content=COUNT_ALL.encode(),
        headers=DIRECT,
    )
    assert count(response) == graph_sizes[ONTOLOGY_GRAPH]
    ask = http.post(
        "/sparql",
        params={"default-graph-uri": ONTOLOGY_GRAPH},
        content=ASK_COUNTRY.encode(),
        headers=DIRECT,
    )
    assert ask.json()["boolean"] is False, "the source's countries leaked into the ontology"


def test_query_dataset_default_graphs_get(http: httpx.Client, graph_sizes: dict[str, int]) -> None:
    params = [
        ("query", COUNT_ALL),
        ("default-graph-uri", ONTOLOGY_GRAPH),
        ("default-graph-uri", SHAPES_GRAPH),
    ]
    total = count(http.get("/sparql", params=params))
    assert total == merged_size(http, ONTOLOGY_GRAPH, SHAPES_GRAPH)
    assert total > graph_sizes[ONTOLOGY_GRAPH]
    assert total > graph_sizes[SHAPES_GRAPH]
    assert total < sum(graph_sizes.values())


def test_query_dataset_default_graphs_post(http: httpx.Client) -> None:
    form = {"query": COUNT_ALL, "default-graph-uri": [ONTOLOGY_GRAPH, SOURCE_GRAPH]}
    response = http.post("/sparql", data=form)
    assert count(response) == merged_size(http, ONTOLOGY_GRAPH, SOURCE_GRAPH)
    ask = http.post("/sparql", data={**form, "query": ASK_STANCE})
    assert ask.json()["boolean"] is True


def test_form_post_honours_the_dataset_in_the_url(
    http: httpx.Client, graph_sizes: dict[str, int]
) -> None:
    """As the Oxigraph server does: a form POST whose URL names the dataset is answered over
    that dataset, not silently over the union."""
    response = http.post(
        "/sparql", params={"default-graph-uri": ONTOLOGY_GRAPH}, data={"query": COUNT_ALL}
    )
    assert count(response) == graph_sizes[ONTOLOGY_GRAPH]
    ask = http.post(
        "/sparql", params={"default-graph-uri": ONTOLOGY_GRAPH}, data={"query": ASK_COUNTRY}
    )
    assert ask.json()["boolean"] is False
    named = http.post(
        "/sparql", params={"named-graph-uri": SHAPES_GRAPH}, data={"query": COUNT_BY_GRAPH}
    )
    assert per_graph(named) == {SHAPES_GRAPH: graph_sizes[SHAPES_GRAPH]}
    # Graphs named in both places make one dataset.
    both = http.post(
        "/sparql",
        params={"default-graph-uri": ONTOLOGY_GRAPH},
        data={"query": COUNT_ALL, "default-graph-uri": SHAPES_GRAPH},
    )
    assert count(both) == merged_size(http, ONTOLOGY_GRAPH, SHAPES_GRAPH)
    refused = http.post("/sparql", params={"update": "CLEAR ALL"}, data={"query": COUNT_ALL})
    assert_error(refused, 403, "update-refused")


def test_query_dataset_named_graphs_post(http: httpx.Client, graph_sizes: dict[str, int]) -> None:
    form = {"query": COUNT_BY_GRAPH, "named-graph-uri": [ONTOLOGY_GRAPH, SOURCE_GRAPH]}
    assert per_graph(http.post("/sparql", data=form)) == {
        ONTOLOGY_GRAPH: graph_sizes[ONTOLOGY_GRAPH],
        SOURCE_GRAPH: graph_sizes[SOURCE_GRAPH],
    }
    # Named graphs only: the default graph is empty, not the union.
    empty = http.post("/sparql", data={**form, "query": COUNT_ALL})
    assert count(empty) == 0


def test_query_dataset_named_graphs_get(http: httpx.Client, graph_sizes: dict[str, int]) -> None:
    params = [("query", COUNT_BY_GRAPH), ("named-graph-uri", SHAPES_GRAPH)]
    assert per_graph(http.get("/sparql", params=params)) == {
        SHAPES_GRAPH: graph_sizes[SHAPES_GRAPH]
    }


def test_query_dataset_full(http: httpx.Client, graph_sizes: dict[str, int]) -> None:
    query = (
        "SELECT ?g (COUNT(*) AS ?n) WHERE { "
        "{ ?s ?p ?o BIND('default' AS ?g) } UNION { GRAPH ?g { ?s ?p ?o } } "
        "} GROUP BY ?g"
    )
    params = [
        ("query", query),
        ("default-graph-uri", ONTOLOGY_GRAPH),
        ("named-graph-uri", SHAPES_GRAPH),
        ("named-graph-uri", SOURCE_GRAPH),
    ]
    assert per_graph(http.get("/sparql", params=params)) == {
        "default": graph_sizes[ONTOLOGY_GRAPH],
        SHAPES_GRAPH: graph_sizes[SHAPES_GRAPH],
        SOURCE_GRAPH: graph_sizes[SOURCE_GRAPH],
    }


def test_query_multiple_dataset(http: httpx.Client, graph_sizes: dict[str, int]) -> None:
    # The protocol's dataset overrides the query's own FROM.
    query = f"SELECT (COUNT(*) AS ?n) FROM <{SOURCE_GRAPH}> WHERE {{ ?s ?p ?o }}"
    response = http.post(
        "/sparql",
        params={"default-graph-uri": ONTOLOGY_GRAPH},
        content=query.encode(),
        headers=DIRECT,
    )
    assert count(response) == graph_sizes[ONTOLOGY_GRAPH]
    ask = f"ASK FROM <{SOURCE_GRAPH}> WHERE {{ ?s a <{HG}Stance> }}"
    overridden = http.get("/sparql", params={"query": ask, "default-graph-uri": ONTOLOGY_GRAPH})
    assert overridden.json()["boolean"] is False
    assert http.get("/sparql", params={"query": ask}).json()["boolean"] is True


# -- W3C protocol tests: result media types -----------------------------------------------------
def _parse_results(response: httpx.Response, accept: str) -> list[str]:
    """The values of ?c in a SELECT response of type ``accept``."""
    text = response.text
    if accept == SPARQL_JSON:
        return [row["c"]["value"] for row in response.json()["results"]["bindings"]]
    if accept == SPARQL_XML:
        root = ET.fromstring(response.content)
        return [u.text or "" for u in root.iter(f"{SRX}uri")]
    if accept == "text/csv":
        rows = list(csv.DictReader(io.StringIO(text)))
        return [row["c"] for row in rows]
    rows = list(csv.DictReader(io.StringIO(text), delimiter="\t"))
    return [row["?c"].strip("<>") for row in rows]


@pytest.mark.parametrize(
    "accept", [SPARQL_JSON, SPARQL_XML, "text/csv", "text/tab-separated-values"]
)
def test_query_content_type_select(http: httpx.Client, accept: str) -> None:
    query = f"SELECT ?c WHERE {{ ?c a <{HG}Country> }} ORDER BY ?c"
    response = http.get("/sparql", params={"query": query}, headers={"Accept": accept})
    assert response.status_code == 200, response.text
    assert media_type(response) == accept
    assert "charset=utf-8" in response.headers["content-type"]
    values = _parse_results(response, accept)
    assert KOSOVO in values
    assert values == sorted(values)


@pytest.mark.parametrize("accept", [SPARQL_JSON, SPARQL_XML])
def test_query_content_type_ask(http: httpx.Client, accept: str) -> None:
    response = http.get("/sparql", params={"query": ASK_COUNTRY}, headers={"Accept": accept})
    assert response.status_code == 200
    assert media_type(response) == accept
    if accept == SPARQL_JSON:
        assert response.json()["boolean"] is True
    else:
        boolean = ET.fromstring(response.content).find(f"{SRX}boolean")
        assert boolean is not None and boolean.text == "true"


GRAPH_TYPES = [
    ("text/turtle", "turtle"),
    ("application/n-triples", "nt"),
    ("application/rdf+xml", "xml"),
    ("application/ld+json", "json-ld"),
]


@pytest.mark.parametrize(("accept", "rdflib_format"), GRAPH_TYPES)
def test_query_content_type_describe(http: httpx.Client, accept: str, rdflib_format: str) -> None:
    response = http.get("/sparql", params={"query": KOSOVO_DESCRIBE}, headers={"Accept": accept})
    assert media_type(response) == accept
    assert_kosovo(parse_graph(response, rdflib_format))


@pytest.mark.parametrize(("accept", "rdflib_format"), GRAPH_TYPES)
def test_query_content_type_construct(http: httpx.Client, accept: str, rdflib_format: str) -> None:
    response = http.get("/sparql", params={"query": KOSOVO_CONSTRUCT}, headers={"Accept": accept})
    assert media_type(response) == accept
    assert_kosovo(parse_graph(response, rdflib_format))


def test_query_content_type_construct_default_is_turtle(http: httpx.Client) -> None:
    response = http.get("/sparql", params={"query": KOSOVO_CONSTRUCT})
    assert media_type(response) == "text/turtle"
    assert_kosovo(parse_graph(response, "turtle"))


# -- W3C protocol tests: bad requests -----------------------------------------------------------
@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_bad_query_method(http: httpx.Client, method: str) -> None:
    response = http.request(method, "/sparql", params={"query": "ASK {}"})
    assert_error(response, 405, "method-not-allowed")
    allowed = {m.strip() for m in response.headers["allow"].split(",")}
    assert allowed == {"GET", "POST"}


def test_bad_multiple_queries(http: httpx.Client) -> None:
    response = http.get("/sparql", params=[("query", "ASK {}"), ("query", "ASK { ?s ?p ?o }")])
    body = assert_error(response, 400)
    assert "query" in body["message"]
    form = http.post("/sparql", data={"query": ["ASK {}", "ASK {}"]})
    assert_error(form, 400)
    both = http.post("/sparql", params={"query": "ASK {}"}, content=b"ASK {}", headers=DIRECT)
    assert_error(both, 400)


def test_bad_query_wrong_media_type(http: httpx.Client) -> None:
    response = http.post("/sparql", content=b"ASK {}", headers={"Content-Type": "text/plain"})
    body = assert_error(response, 415, "unsupported-media-type")
    assert "text/plain" in body["message"]


def test_bad_query_missing_form_type(http: httpx.Client) -> None:
    # A form without a query field.
    response = http.post("/sparql", data={"default-graph-uri": ONTOLOGY_GRAPH})
    body = assert_error(response, 400, "bad-request")
    assert "query" in body["message"]
    # The W3C case proper: a url-encoded body sent without its media type.
    untyped = http.post("/sparql", content=b"query=ASK%20%7B%7D")
    assert_error(untyped, 415, "unsupported-media-type")


def test_bad_query_missing_direct_type(http: httpx.Client) -> None:
    response = http.post("/sparql", content=b"ASK {}")
    assert "content-type" not in response.request.headers
    body = assert_error(response, 415, "unsupported-media-type")
    assert "application/sparql-query" in body["message"]


def test_bad_query_non_utf8(http: httpx.Client) -> None:
    # The W3C case: the query percent-encoded as UTF-32.
    utf32 = "".join(f"%{b:02X}" for b in "SELECT * WHERE { ?s ?p ?o }".encode("utf-32"))
    assert_error(http.get(f"/sparql?query={utf32}"), 400)
    # An otherwise valid query whose percent-escapes are not UTF-8, in each way it can come.
    latin1 = "ASK%20%7B%20FILTER(%22%E9%22)%20%7D"  # "é" as ISO-8859-1
    body = assert_error(http.get(f"/sparql?query={latin1}"), 400)
    assert "UTF-8" in body["message"]
    form = http.post("/sparql", content=f"query={latin1}".encode(), headers=FORM)
    assert "UTF-8" in assert_error(form, 400)["message"]
    direct = http.post("/sparql", content='ASK { FILTER("é") }'.encode("latin-1"), headers=DIRECT)
    assert "UTF-8" in assert_error(direct, 400)["message"]
    # … while the same query in UTF-8 is fine.
    utf8 = http.get("/sparql?query=ASK%20%7B%20FILTER(%22%C3%A9%22)%20%7D")
    assert utf8.status_code == 200
    assert utf8.json()["boolean"] is True


def test_bad_query_syntax(http: httpx.Client, server: LiveServer) -> None:
    body = assert_error(http.get("/sparql", params={"query": "ASK {"}), 400, "malformed-query")
    assert "line 1, column 6" in body["message"]
    multiline = "SELECT * WHERE {\n  ?s ?p ?o .\n  FILTER( }"
    body = assert_error(http.post("/sparql", data={"query": multiline}), 400, "malformed-query")
    assert "line 3, column 11" in body["message"]
    assert "expected" in body["message"]


def test_bad_query_syntax_misspelt_keyword_has_position(http: httpx.Client) -> None:
    body = assert_error(http.get("/sparql", params={"query": "SELEC * WHERE { ?s ?p ?o }"}), 400)
    assert "1:" in body["message"]


# -- content negotiation ------------------------------------------------------------------------
SELECT_ONE = f"SELECT ?c WHERE {{ ?c a <{HG}Country> }} ORDER BY ?c LIMIT 1"


def test_accept_q_values_pick_xml_over_csv(http: httpx.Client) -> None:
    accept = "text/csv;q=0.5, application/sparql-results+xml"
    response = http.get("/sparql", params={"query": SELECT_ONE}, headers={"Accept": accept})
    assert response.status_code == 200
    assert media_type(response) == SPARQL_XML
    assert ET.fromstring(response.content).tag == f"{SRX}sparql"
    lower = "application/sparql-results+json;q=0.2, text/tab-separated-values"
    tsv = http.get("/sparql", params={"query": SELECT_ONE}, headers={"Accept": lower})
    assert media_type(tsv) == "text/tab-separated-values"


def test_accept_q_values_pick_turtle_for_construct(http: httpx.Client) -> None:
    accept = "application/n-triples;q=0.1, text/turtle"
    response = http.get("/sparql", params={"query": KOSOVO_CONSTRUCT}, headers={"Accept": accept})
    assert media_type(response) == "text/turtle"
    assert_kosovo(parse_graph(response, "turtle"))


def test_accept_browser_header_gets_a_result(http: httpx.Client) -> None:
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = http.get("/sparql", params={"query": SELECT_ONE}, headers={"Accept": accept})
    assert response.status_code == 200
    assert media_type(response) == SPARQL_XML


def test_accept_nothing_available_is_406(http: httpx.Client) -> None:
    response = http.get("/sparql", params={"query": SELECT_ONE}, headers={"Accept": "image/png"})
    body = assert_error(response, 406, "not-acceptable")
    assert "image/png" in body["message"]
    graph = http.get("/sparql", params={"query": KOSOVO_CONSTRUCT}, headers={"Accept": "image/png"})
    assert_error(graph, 406, "not-acceptable")
    unknown = http.get(
        "/sparql", params={"query": SELECT_ONE, "format": "png"}, headers={"Accept": "image/png"}
    )
    body = assert_error(unknown, 406, "not-acceptable")
    assert "'png'" in body["message"] and "image/png" in body["message"]


# A `format` we cannot honour falls back to Accept (deliberately changed: an unknown format
# used to be a 406 even when Accept asked for something we serve; SPARQLWrapper sends such).
@pytest.mark.parametrize("value", ["png", "turtle", "bogus", ""])
def test_format_we_cannot_honour_falls_back_to_accept(http: httpx.Client, value: str) -> None:
    response = http.get(
        "/sparql", params={"query": SELECT_ONE, "format": value}, headers={"Accept": "text/csv"}
    )
    assert response.status_code == 200, response.text
    assert media_type(response) == "text/csv"
    bare = http.get("/sparql", params={"query": SELECT_ONE, "format": value})
    assert bare.status_code == 200 and media_type(bare) == SPARQL_JSON


@pytest.mark.parametrize(
    ("value", "expected", "rdflib_format"),
    [
        ("xml", "application/rdf+xml", "xml"),
        ("json", "application/ld+json", "json-ld"),
        ("n3", "text/n3", "n3"),
        ("csv", "text/turtle", "turtle"),
        ("json-ld", "application/ld+json", "json-ld"),
        ("application/ld+json,application/x-json+ld", "application/ld+json", "json-ld"),
    ],
)
def test_format_on_a_construct(
    http: httpx.Client, value: str, expected: str, rdflib_format: str
) -> None:
    """SPARQLWrapper's names for graph formats; a result-set name (csv) means nothing for a
    graph and leaves the choice to Accept."""
    response = http.get(
        "/sparql",
        params={"query": KOSOVO_CONSTRUCT, "format": value},
        headers={"Accept": "text/turtle"},
    )
    assert media_type(response) == expected
    assert_kosovo(parse_graph(response, rdflib_format))


def test_two_format_values_are_not_an_error(http: httpx.Client) -> None:
    """The first usable value wins; one that names nothing here is passed over."""
    both = [("query", SELECT_ONE), ("format", "xml"), ("format", "json")]
    assert media_type(http.get("/sparql", params=both)) == SPARQL_XML
    skip = [("query", SELECT_ONE), ("format", "turtle"), ("format", "tsv")]
    assert media_type(http.get("/sparql", params=skip)) == "text/tab-separated-values"
    form = http.post(
        "/sparql", params={"format": "csv"}, data={"query": SELECT_ONE, "format": "bogus"}
    )
    assert media_type(form) == "text/csv"


@pytest.mark.parametrize(
    ("query", "accept", "expected"),
    [
        (SELECT_ONE, "text/plain", "text/csv"),
        ("ASK {}", "text/plain", "text/csv"),
        (KOSOVO_CONSTRUCT, "text/plain", "application/n-triples"),
        (KOSOVO_CONSTRUCT, "text/n3", "text/n3"),
        (KOSOVO_CONSTRUCT, "text/rdf+n3", "text/n3"),
        (KOSOVO_DESCRIBE, "text/n3", "text/n3"),
    ],
)
def test_accept_the_oxigraph_server_answers(
    http: httpx.Client, query: str, accept: str, expected: str
) -> None:
    """Where the Oxigraph server answers (text/plain for results, text/n3), so do we."""
    response = http.get("/sparql", params={"query": query}, headers={"Accept": accept})
    assert response.status_code == 200, response.text
    assert media_type(response) == expected
    if expected == "text/csv" and query == SELECT_ONE:
        assert response.text.splitlines()[0] == "c"
    elif expected != "text/csv":
        assert_kosovo(parse_graph(response, "nt" if "triples" in expected else "n3"))


def test_format_parameter_overrides_accept(http: httpx.Client) -> None:
    response = http.get(
        "/sparql", params={"query": SELECT_ONE, "format": "csv"}, headers={"Accept": SPARQL_JSON}
    )
    assert response.status_code == 200
    assert media_type(response) == "text/csv"
    assert response.text.splitlines()[0] == "c"
    form = http.post("/sparql", params={"format": "xml"}, data={"query": SELECT_ONE})
    assert media_type(form) == SPARQL_XML
    graph = http.get("/sparql", params={"query": KOSOVO_CONSTRUCT, "format": "ntriples"})
    assert media_type(graph) == "application/n-triples"


@pytest.mark.parametrize(
    ("accept", "rdflib_format"),
    [("application/ld+json", "json-ld"), ("application/rdf+xml", "xml")],
)
def test_construct_jsonld_and_rdfxml_parse_to_the_same_graph(
    http: httpx.Client, accept: str, rdflib_format: str
) -> None:
    reference = parse_graph(
        http.get("/sparql", params={"query": KOSOVO_CONSTRUCT, "format": "ntriples"}), "nt"
    )
    response = http.get("/sparql", params={"query": KOSOVO_CONSTRUCT}, headers={"Accept": accept})
    assert media_type(response) == accept
    graph = parse_graph(response, rdflib_format)
    assert len(graph) == len(reference) > 2
    assert isomorphic(graph, reference)


def test_construct_as_nquads(http: httpx.Client) -> None:
    response = http.get(
        "/sparql",
        params={"query": KOSOVO_CONSTRUCT},
        headers={"Accept": "application/n-quads"},
    )
    assert response.status_code == 200
    assert media_type(response) == "application/n-quads"
    dataset = rdflib.Dataset()
    dataset.parse(data=response.content, format="nquads")
    assert_kosovo(dataset.default_graph)
    lines = [line for line in response.text.splitlines() if line.strip()]
    assert all(line.endswith(" .") for line in lines)


# -- service description, VoID ------------------------------------------------------------------
def test_get_without_query_is_the_service_description(http: httpx.Client, base_url: str) -> None:
    response = http.get("/sparql")
    assert response.status_code == 200
    assert media_type(response) == "text/turtle"
    graph = parse_graph(response, "turtle")
    endpoint = rdflib.URIRef(f"{base_url}/sparql")
    services = list(graph.subjects(SD.endpoint, endpoint))
    assert len(services) == 1
    service = services[0]
    assert (service, RDF.type, SD.Service) in graph
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in graph
    formats = set(graph.objects(service, SD.resultFormat))
    assert {
        FORMATS.SPARQL_Results_JSON,
        FORMATS.SPARQL_Results_XML,
        FORMATS["SPARQL_Results_CSV"],
        FORMATS["SPARQL_Results_TSV"],
        FORMATS.Turtle,
        FORMATS["N-Triples"],
        FORMATS["JSON-LD"],
        FORMATS.RDF_XML,
    } <= formats
    named = {str(n) for n in graph.objects(None, SD.name)}
    assert {ONTOLOGY_GRAPH, SHAPES_GRAPH, SOURCE_GRAPH} <= named
    (dataset,) = graph.objects(service, SD.defaultDataset)
    for node in graph.objects(dataset, SD.namedGraph):
        assert (node, RDF.type, SD.NamedGraph) in graph
        assert (node, SD.name, None) in graph
    assert len(list(graph.objects(dataset, SD.namedGraph))) == len(named)
    # Written for people: prefixes declared, and the predeclared query prefixes listed.
    assert response.text.startswith(
        "@prefix sd: <http://www.w3.org/ns/sparql-service-description#>"
    )
    assert "formats:SPARQL_Results_JSON" in response.text
    declared = {
        str(graph.value(d, SH.prefix)): str(graph.value(d, SH.namespace))
        for d in graph.objects(service, SH.declare)
    }
    assert declared["hg"] == HG and declared["wd"] == WD


def test_service_description_negotiated(http: httpx.Client) -> None:
    response = http.get("/sparql", headers={"Accept": "application/ld+json"})
    assert media_type(response) == "application/ld+json"
    graph = parse_graph(response, "json-ld")
    assert any(graph.subjects(RDF.type, SD.Service))


def test_void(http: httpx.Client, base_url: str, graph_sizes: dict[str, int]) -> None:
    response = http.get("/void")
    graph = parse_graph(response, "turtle")
    datasets = [d for d in graph.subjects(VOID.sparqlEndpoint, rdflib.URIRef(f"{base_url}/sparql"))]
    assert len(datasets) == 1
    dataset = datasets[0]
    (triples,) = graph.objects(dataset, VOID.triples)
    assert int(triples) > 0
    assert int(triples) == sum(graph_sizes.values())
    linksets = list(graph.subjects(RDF.type, VOID.Linkset))
    assert len(linksets) == 1
    assert (linksets[0], VOID.linkPredicate, OWL.sameAs) in graph
    (links,) = graph.objects(linksets[0], VOID.triples)
    assert int(links) > 0
    assert (dataset, VOID.subset, linksets[0]) in graph


# -- read-only ----------------------------------------------------------------------------------
INSERT = "INSERT DATA { GRAPH <urn:x-test:g> { <urn:x-test:s> <urn:x-test:p> <urn:x-test:o> } }"


def test_updates_are_refused_and_change_nothing(http: httpx.Client) -> None:
    before = count(http.get("/sparql", params={"query": COUNT_ALL}))
    attempts = [
        http.get("/sparql", params={"query": INSERT}),
        http.post("/sparql", data={"query": INSERT}),
        http.post("/sparql", content=INSERT.encode(), headers=DIRECT),
        http.post("/sparql", data={"update": INSERT}),
        http.post(
            "/sparql",
            content=INSERT.encode(),
            headers={"Content-Type": "application/sparql-update"},
        ),
        http.get("/sparql", params={"query": "CLEAR ALL"}),
        http.get("/sparql", params={"query": f"DROP GRAPH <{SOURCE_GRAPH}>"}),
    ]
    for response in attempts:
        assert_error(response, 403, "update-refused")
    after = count(http.get("/sparql", params={"query": COUNT_ALL}))
    assert after == before
    ask = "ASK { GRAPH ?g { <urn:x-test:s> ?p ?o } }"
    assert http.get("/sparql", params={"query": ask}).json()["boolean"] is False
    assert http.get("/sparql", params={"query": ASK_COUNTRY}).json()["boolean"] is True


# -- the default graph ----------------------------------------------------------------------------
def test_default_graph_is_the_union(http: httpx.Client, graph_sizes: dict[str, int]) -> None:
    total = count(http.get("/sparql", params={"query": COUNT_ALL}))
    assert total == merged_size(http, *graph_sizes)
    assert http.get("/sparql", params={"query": ASK_COUNTRY}).json()["boolean"] is True


def test_from_switches_off_the_union_default_graph(
    http: httpx.Client, graph_sizes: dict[str, int]
) -> None:
    query = f"SELECT (COUNT(*) AS ?n) FROM <{ONTOLOGY_GRAPH}> WHERE {{ ?s ?p ?o }}"
    assert count(http.get("/sparql", params={"query": query})) == graph_sizes[ONTOLOGY_GRAPH]
    ask = f"ASK FROM <{ONTOLOGY_GRAPH}> WHERE {{ ?c a <{HG}Country> }}"
    assert http.get("/sparql", params={"query": ask}).json()["boolean"] is False
    owl_class = f"ASK FROM <{ONTOLOGY_GRAPH}> WHERE {{ <{HG}Country> a <{OWL.Class}> }}"
    assert http.get("/sparql", params={"query": owl_class}).json()["boolean"] is True
    named = (
        f"SELECT ?g (COUNT(*) AS ?n) FROM NAMED <{SHAPES_GRAPH}> "
        "WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    )
    assert per_graph(http.get("/sparql", params={"query": named})) == {
        SHAPES_GRAPH: graph_sizes[SHAPES_GRAPH]
    }


# -- large results ------------------------------------------------------------------------------


def _rows_in(response: httpx.Response, fmt: str) -> int:
    if fmt == "json":
        return len(response.json()["results"]["bindings"])
    if fmt == "xml":
        return sum(1 for _ in ET.fromstring(response.content).iter(f"{SRX}result"))
    if fmt == "ntriples":
        return len(parse_graph(response, "nt"))
    if fmt == "csv":  # a quoted value may hold line breaks: read it as CSV, not as lines
        return sum(1 for _ in csv.reader(io.StringIO(response.text, newline=""))) - 1
    # TSV escapes line breaks in values; splitlines() would also split at U+2028 and the like.
    return response.text.rstrip("\n").count("\n")  # a header, then a line per row


def test_large_results_stream_completely(
    base_url: str, server: LiveServer, request: pytest.FixtureRequest
) -> None:
    """Every triple, several formats at once, a few rounds: each answer whole and right."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        total = count(client.get("/sparql", params={"query": COUNT_ALL}))
    select = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
    construct = "CONSTRUCT WHERE { ?s ?p ?o }"
    jobs = [(select, fmt) for fmt in ("json", "xml", "csv", "tsv")] + [(construct, "ntriples")]

    def fetch(job: tuple[str, str]) -> tuple[str, int | str]:
        query, fmt = job
        try:
            with httpx.Client(base_url=base_url, timeout=30) as client:
                response = client.get("/sparql", params={"query": query, "format": fmt})
            if response.status_code != 200:
                return fmt, f"{response.status_code} {response.text[:80]}"
            return fmt, _rows_in(response, fmt)
        except httpx.HTTPError as exc:
            return fmt, f"{type(exc).__name__}: {exc}"

    outcomes = []
    try:
        with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
            for _ in range(3):
                outcomes += list(pool.map(fetch, jobs))
    finally:
        _wait_until_healthy(base_url)
    expected = [(fmt, total) for _, fmt in jobs] * 3
    assert outcomes == expected


def _wait_until_healthy(base_url: str, seconds: float = 15) -> None:
    """Workers killed by a failed test take a moment to come back; later tests need them."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            answers = [
                httpx.get(f"{base_url}/sparql", params={"query": "ASK {}"}, timeout=5)
                for _ in range(2)
            ]
            if all(a.status_code == 200 for a in answers):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
