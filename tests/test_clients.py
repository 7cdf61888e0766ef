"""The clients people actually use, against the live server: SPARQLWrapper, rdflib's
SPARQLStore, and pandas reading the canned queries."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import warnings
from typing import Any
from xml.dom.minidom import Document

import httpx
import pandas as pd
import pytest
import rdflib
from http_checks import HG, KOSOVO, WD
from rdflib.namespace import OWL, RDFS
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from sheet_facts import observations
from SPARQLWrapper import (
    CSV,
    GET,
    JSON,
    JSONLD,
    N3,
    POST,
    POSTDIRECTLY,
    RDFXML,
    TSV,
    TURTLE,
    URLENCODED,
    XML,
    SPARQLWrapper,
)

from hubgraph.formats import GRAPH_FORMATS, RESULT_FORMATS

COUNTRIES = (
    f"SELECT ?c ?label WHERE {{ ?c a <{HG}Country> ; <{RDFS.label}> ?label }} ORDER BY ?label"
)
EXPECTED_COUNTRIES = {
    "Albania",
    "Bosnia and Herzegovina",
    "Kosovo",
    "Montenegro",
    "North Macedonia",
    "United Kingdom",
}


@pytest.fixture
def wrapper(base_url: str) -> SPARQLWrapper:
    sparql = SPARQLWrapper(f"{base_url}/sparql")
    sparql.setTimeout(30)
    return sparql


# -- SPARQLWrapper ------------------------------------------------------------------------------
@pytest.mark.parametrize("method", [GET, POST])
def test_sparqlwrapper_json(wrapper: SPARQLWrapper, method: str) -> None:
    wrapper.setQuery(COUNTRIES)
    wrapper.setMethod(method)
    wrapper.setReturnFormat(JSON)
    result = wrapper.query()
    assert result.response.headers["content-type"].startswith("application/sparql-results+json")
    body = result.convert()
    assert body["head"]["vars"] == ["c", "label"]
    rows = body["results"]["bindings"]
    labels = [row["label"]["value"] for row in rows]
    assert set(labels) >= EXPECTED_COUNTRIES
    assert labels == sorted(labels)
    kosovo = next(row for row in rows if row["label"]["value"] == "Kosovo")
    assert kosovo["c"] == {"type": "uri", "value": KOSOVO}
    assert kosovo["label"]["xml:lang"] == "en"


def test_sparqlwrapper_csv(wrapper: SPARQLWrapper) -> None:
    wrapper.setQuery(COUNTRIES)
    wrapper.setReturnFormat(CSV)
    data = wrapper.query().convert()
    assert isinstance(data, bytes)
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    assert {"c": KOSOVO, "label": "Kosovo"} in rows
    assert {row["label"] for row in rows} >= EXPECTED_COUNTRIES


def test_sparqlwrapper_xml_ask(wrapper: SPARQLWrapper) -> None:
    wrapper.setQuery(f"ASK {{ <{KOSOVO}> <{OWL.sameAs}> <{WD}Q1246> }}")
    wrapper.setReturnFormat(XML)
    document = wrapper.query().convert()
    (boolean,) = document.getElementsByTagName("boolean")
    assert boolean.firstChild.data == "true"


def test_sparqlwrapper_construct_turtle(wrapper: SPARQLWrapper) -> None:
    wrapper.setQuery(
        f"CONSTRUCT {{ ?c <{OWL.sameAs}> ?q }} WHERE {{ ?c a <{HG}Country> ; <{OWL.sameAs}> ?q }}"
    )
    wrapper.setReturnFormat(TURTLE)
    data = wrapper.query().convert()
    graph = rdflib.Graph().parse(data=data, format="turtle")
    assert (rdflib.URIRef(KOSOVO), OWL.sameAs, rdflib.URIRef(WD + "Q1246")) in graph


# Every return format SPARQLWrapper has, with every request shape it can send. It repeats
# its format as `format`, `output` and `results` (twice for some), names graph formats "xml" or
# "json", and asks `*/*` where it has no media type: each must still get a readable answer.
ASK_KOSOVO = f"ASK {{ <{KOSOVO}> <{OWL.sameAs}> <{WD}Q1246> }}"
CONSTRUCT_LINKS = (
    f"CONSTRUCT {{ ?c <{OWL.sameAs}> ?q }} WHERE {{ ?c a <{HG}Country> ; <{OWL.sameAs}> ?q }}"
)
REQUESTS = [(GET, URLENCODED), (POST, URLENCODED), (POST, POSTDIRECTLY)]
RESULT_RETURNS = [JSON, XML, CSV, TSV]
GRAPH_RETURNS = [TURTLE, N3, XML, RDFXML, JSONLD, JSON]


def ask(wrapper: SPARQLWrapper, query: str, fmt: str, method: str, request: str) -> Any:
    wrapper.setQuery(query)
    wrapper.setReturnFormat(fmt)
    wrapper.setMethod(method)
    wrapper.setRequestMethod(request)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # its own "sending */*" notice
        result = wrapper.query()
    return result.response.headers["content-type"], result.convert()


def select_labels(fmt: str, data: Any) -> set[str]:
    if fmt == JSON:
        return {row["label"]["value"] for row in data["results"]["bindings"]}
    if fmt == XML:
        assert isinstance(data, Document)
        return {
            b.getElementsByTagName("literal")[0].firstChild.data
            for b in data.getElementsByTagName("binding")
            if b.getAttribute("name") == "label"
        }
    text = data.decode("utf-8")
    if fmt == CSV:
        return {row["label"] for row in csv.DictReader(io.StringIO(text))}
    return result_labels(text, "tsv")


def result_labels(text: str, rdflib_format: str) -> set[str]:
    return {
        str(b[rdflib.Variable("label")])
        for b in rdflib.query.Result.parse(io.StringIO(text), format=rdflib_format).bindings
    }


@pytest.mark.parametrize(("method", "request_method"), REQUESTS)
@pytest.mark.parametrize("fmt", RESULT_RETURNS)
def test_sparqlwrapper_select_every_format(
    wrapper: SPARQLWrapper, fmt: str, method: str, request_method: str
) -> None:
    content_type, data = ask(wrapper, COUNTRIES, fmt, method, request_method)
    expected = {JSON: "application/sparql-results+json", XML: "application/sparql-results+xml",
                CSV: "text/csv", TSV: "text/tab-separated-values"}[fmt]  # fmt: skip
    assert content_type.startswith(expected)
    assert select_labels(fmt, data) >= EXPECTED_COUNTRIES


@pytest.mark.parametrize(("method", "request_method"), REQUESTS)
@pytest.mark.parametrize("fmt", RESULT_RETURNS)
def test_sparqlwrapper_ask_every_format(
    wrapper: SPARQLWrapper, fmt: str, method: str, request_method: str
) -> None:
    _, data = ask(wrapper, ASK_KOSOVO, fmt, method, request_method)
    if fmt == JSON:
        assert data["boolean"] is True
    elif fmt == XML:
        assert data.getElementsByTagName("boolean")[0].firstChild.data == "true"
    else:
        assert data.decode().strip().splitlines()[-1] == "true"


@pytest.mark.parametrize(("method", "request_method"), REQUESTS)
@pytest.mark.parametrize("fmt", GRAPH_RETURNS)
@pytest.mark.parametrize("form", ["CONSTRUCT", "DESCRIBE"])
def test_sparqlwrapper_graph_every_format(
    wrapper: SPARQLWrapper, form: str, fmt: str, method: str, request_method: str
) -> None:
    query = CONSTRUCT_LINKS if form == "CONSTRUCT" else f"DESCRIBE <{KOSOVO}>"
    content_type, data = ask(wrapper, query, fmt, method, request_method)
    media = content_type.split(";")[0]
    expected = {TURTLE: "text/turtle", N3: "text/n3", XML: "application/rdf+xml",
                RDFXML: "application/rdf+xml", JSONLD: "application/ld+json",
                JSON: "application/ld+json"}[fmt]  # fmt: skip
    assert media == expected
    if isinstance(data, bytes):
        data = rdflib.Graph().parse(data=data, format="n3" if fmt == N3 else "turtle")
    assert isinstance(data, rdflib.Graph)
    assert (rdflib.URIRef(KOSOVO), OWL.sameAs, rdflib.URIRef(WD + "Q1246")) in data


def test_sparqlwrapper_service_description(wrapper: SPARQLWrapper) -> None:
    """Without a query, a GET answers the Service Description, which it can read."""
    response = httpx.get(wrapper.endpoint, headers={"Accept": "text/turtle"}, timeout=30)
    graph = rdflib.Graph().parse(data=response.text, format="turtle")
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    assert (None, rdflib.RDF.type, sd.Service) in graph


# -- rdflib SPARQLStore -------------------------------------------------------------------------
@pytest.fixture
def remote_graph(base_url: str) -> rdflib.Graph:
    return rdflib.Graph(store=SPARQLStore(f"{base_url}/sparql"))


def test_sparqlstore_select(remote_graph: rdflib.Graph) -> None:
    result = remote_graph.query(COUNTRIES)
    assert result.type == "SELECT"
    rows = list(result)
    labels = {str(row.label) for row in rows}  # type: ignore[union-attr]
    assert labels >= EXPECTED_COUNTRIES
    kosovo = {row.c for row in rows if str(row.label) == "Kosovo"}  # type: ignore[union-attr]
    assert kosovo == {rdflib.URIRef(KOSOVO)}


def test_sparqlstore_construct(remote_graph: rdflib.Graph) -> None:
    result = remote_graph.query(
        f"CONSTRUCT {{ ?c <{OWL.sameAs}> ?q }} WHERE {{ ?c a <{HG}Country> ; <{OWL.sameAs}> ?q }}"
    )
    assert result.type == "CONSTRUCT"
    assert result.graph is not None
    assert (rdflib.URIRef(KOSOVO), OWL.sameAs, rdflib.URIRef(WD + "Q1246")) in result.graph
    assert len(result.graph) >= len(EXPECTED_COUNTRIES)


def test_sparqlstore_triples(remote_graph: rdflib.Graph) -> None:
    kosovo = rdflib.URIRef(KOSOVO)
    labels = set(remote_graph.objects(kosovo, RDFS.label))
    assert rdflib.Literal("Kosovo", lang="en") in labels


def test_sparqlstore_ask_and_post(base_url: str) -> None:
    store = SPARQLStore(f"{base_url}/sparql", method="POST")
    graph = rdflib.Graph(store=store)
    assert graph.query(ASK_KOSOVO).askAnswer is True
    rows = list(graph.query(COUNTRIES))
    assert {str(row.label) for row in rows} >= EXPECTED_COUNTRIES  # type: ignore[union-attr]
    assert len(graph) > 100  # COUNT(*) over the union


def test_sparqlstore_describe_and_graphs(remote_graph: rdflib.Graph) -> None:
    result = remote_graph.query(f"DESCRIBE <{KOSOVO}>")
    assert result.graph is not None
    assert (rdflib.URIRef(KOSOVO), OWL.sameAs, rdflib.URIRef(WD + "Q1246")) in result.graph


# -- curl, with every media type we serve ----------------------------------------------------
def curl(url: str, *args: str) -> tuple[int, str, bytes]:
    done = subprocess.run(
        ["curl", "-sS", "-o", "-", "-w", "\n%{http_code} %{content_type}", *args, url],
        capture_output=True,
        timeout=60,
        check=True,
    )
    body, _, tail = done.stdout.rpartition(b"\n")
    status, _, content_type = tail.decode().partition(" ")
    return int(status), content_type.split(";")[0], body


RESULT_TYPES = sorted({m for f in RESULT_FORMATS for m in (f.media_type, *f.aliases)})
GRAPH_TYPES = sorted({m for f in GRAPH_FORMATS for m in (f.media_type, *f.aliases)})
RDFLIB_NAMES = {"turtle": "turtle", "ntriples": "nt", "nquads": "nquads", "trig": "trig",
                "rdfxml": "xml", "jsonld": "json-ld", "n3": "n3"}  # fmt: skip
needs_curl = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")


@needs_curl
@pytest.mark.parametrize("how", ["get", "form", "direct"])
@pytest.mark.parametrize("accept", RESULT_TYPES)
def test_curl_select_every_media_type(base_url: str, accept: str, how: str) -> None:
    url = f"{base_url}/sparql"
    sends = {"get": ["-G", "--data-urlencode", f"query={COUNTRIES}"],
             "form": ["--data-urlencode", f"query={COUNTRIES}"],
             "direct": ["-H", "Content-Type: application/sparql-query", "--data-binary",
                        COUNTRIES]}[how]  # fmt: skip
    status, content_type, body = curl(url, "-H", f"Accept: {accept}", *sends)
    assert status == 200, body
    fmt = next(f for f in RESULT_FORMATS if accept in (f.media_type, *f.aliases))
    assert content_type == fmt.media_type
    text = body.decode("utf-8")
    if fmt.name == "json":
        labels = {r["label"]["value"] for r in json.loads(text)["results"]["bindings"]}
    elif fmt.name == "csv":
        labels = {row["label"] for row in csv.DictReader(io.StringIO(text))}
    else:
        labels = result_labels(text, fmt.name)
    assert labels >= EXPECTED_COUNTRIES


@needs_curl
@pytest.mark.parametrize("accept", GRAPH_TYPES)
def test_curl_construct_every_media_type(base_url: str, accept: str) -> None:
    status, content_type, body = curl(
        f"{base_url}/sparql", "-H", f"Accept: {accept}", "--data-urlencode",
        f"query={CONSTRUCT_LINKS}",
    )  # fmt: skip
    assert status == 200, body
    fmt = next(f for f in GRAPH_FORMATS if accept in (f.media_type, *f.aliases))
    assert content_type == fmt.media_type
    if fmt.name in {"nquads", "trig"}:
        graph: rdflib.Graph = rdflib.Dataset()
    else:
        graph = rdflib.Graph()
    graph.parse(data=body, format=RDFLIB_NAMES[fmt.name])
    assert (rdflib.URIRef(KOSOVO), OWL.sameAs, rdflib.URIRef(WD + "Q1246")) in graph


@needs_curl
def test_curl_unacceptable_is_a_406_that_says_what_is_served(base_url: str) -> None:
    status, content_type, body = curl(
        f"{base_url}/sparql", "-G", "-H", "Accept: image/png", "--data-urlencode",
        f"query={COUNTRIES}",
    )  # fmt: skip
    assert status == 406 and content_type == "application/json"
    assert "text/csv" in json.loads(body)["message"]


# -- pandas -------------------------------------------------------------------------------------
def test_pandas_read_csv_countries_attaching_conditions(base_url: str) -> None:
    frame = pd.read_csv(f"{base_url}/queries/countries-attaching-conditions.csv")
    # One row per condition of a country's stance, as the sheets code them.
    coded = [(o.holder.qid, k) for o in observations() if o.holder.qid for k in o.condition_kinds]
    assert len(frame) == len(coded)
    assert set(zip(frame["countryLabel"], frame["conditionKindLabel"], strict=True)) == {
        ("Kosovo", "reciprocal expectation"),
        ("Montenegro", "precondition"),
    }
    kinds = set(zip(frame["qid"], frame["conditionKind"], strict=True))
    assert kinds == {(q, f"https://w3id.org/hubgraph/id/condition-kind/{k}") for q, k in coded}
    assert frame["conditionText"].notna().all()
    assert frame["source"].notna().all()


def test_pandas_dataframe_from_refusals_json(base_url: str) -> None:
    body = httpx.get(f"{base_url}/queries/refusals", timeout=30).json()
    frame = pd.DataFrame(body["rows"])
    assert list(frame.columns) == body["columns"]
    # One row per refusal of a country (a holder with a QID), as the sheets code them.
    refusals = [o for o in observations() if o.position == "refuses" and o.holder.qid]
    assert sorted(frame["countryLabel"]) == sorted(o.holder.label for o in refusals)
    assert sorted(frame["qid"]) == sorted(str(o.holder.qid) for o in refusals)
    # A quote wherever the refusal's evidence holds one (some rest on statements only).
    assert frame["quote"].notna().sum() == sum(o.quoted for o in refusals)
