"""The clients people actually use, against the live server: SPARQLWrapper, rdflib's
SPARQLStore, and pandas reading the canned queries."""

from __future__ import annotations

import csv
import io

import httpx
import pandas as pd
import pytest
import rdflib
from http_checks import HG, KOSOVO, WD
from rdflib.namespace import OWL, RDFS
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, GET, JSON, POST, TURTLE, XML, SPARQLWrapper

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


# -- pandas -------------------------------------------------------------------------------------
def test_pandas_read_csv_countries_attaching_conditions(base_url: str) -> None:
    frame = pd.read_csv(f"{base_url}/queries/countries-attaching-conditions.csv")
    assert len(frame) == 2
    assert set(zip(frame["countryLabel"], frame["conditionKindLabel"], strict=True)) == {
        ("Kosovo", "reciprocal expectation"),
        ("Montenegro", "precondition"),
    }
    kinds = dict(zip(frame["qid"], frame["conditionKind"], strict=True))
    assert kinds == {
        "Q1246": "https://w3id.org/hubgraph/id/condition-kind/reciprocal-expectation",
        "Q236": "https://w3id.org/hubgraph/id/condition-kind/precondition",
    }
    assert frame["conditionText"].notna().all()
    assert frame["source"].notna().all()


def test_pandas_dataframe_from_refusals_json(base_url: str) -> None:
    body = httpx.get(f"{base_url}/queries/refusals", timeout=30).json()
    frame = pd.DataFrame(body["rows"])
    assert list(frame.columns) == body["columns"]
    assert sorted(frame["countryLabel"]) == ["Albania", "Bosnia and Herzegovina"]
    assert sorted(frame["qid"]) == ["Q222", "Q225"]
    assert frame["quote"].notna().all()
