"""Documents about the service itself: the SPARQL Service Description, VoID, the ontology."""

from __future__ import annotations

import io
from collections.abc import Sequence

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import Response

from hubgraph.api.links import public_base
from hubgraph.api.responses import in_thread, service_of, streaming
from hubgraph.formats import GRAPH_FORMATS, RESULT_FORMATS, choose
from hubgraph.store import rdf_format
from hubgraph.terms import plain_value
from hubgraph.vocabulary import HG, ONTOLOGY_GRAPH, PREFIXES, WIKIDATA_ENTITY

router = APIRouter()
FORMATS_NS = "http://www.w3.org/ns/formats/"
FORMAT_IRIS = {
    "json": "SPARQL_Results_JSON", "xml": "SPARQL_Results_XML", "csv": "SPARQL_Results_CSV",
    "tsv": "SPARQL_Results_TSV", "turtle": "Turtle", "ntriples": "N-Triples",
    "nquads": "N-Quads", "trig": "TriG", "rdfxml": "RDF_XML", "jsonld": "JSON-LD", "n3": "N3",
}  # fmt: skip
DOCUMENT_PREFIXES = {
    "sd": "http://www.w3.org/ns/sparql-service-description#",
    "void": "http://rdfs.org/ns/void#",
    "dcterms": "http://purl.org/dc/terms/",
    "owl": "http://www.w3.org/2002/07/owl#",
    "sh": "http://www.w3.org/ns/shacl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "formats": FORMATS_NS,
}
PREAMBLE = "".join(f"@prefix {p}: <{iri}> .\n" for p, iri in DOCUMENT_PREFIXES.items())


def rdf_response(
    turtle: str, request: Request, format_name: str | Sequence[str] | None
) -> Response:
    """Turtle text re-serialized in the format the client asked for."""
    fmt = choose(format_name, request.headers.get("accept"), GRAPH_FORMATS)
    base = public_base(request)
    quads = list(ox.parse(turtle.encode(), ox.RdfFormat.TURTLE, base_iri=base))
    if fmt.name in {"turtle", "n3"}:
        # The text as written, with its prefixes and nested blank nodes, is the readable form
        # (Turtle is N3 too); the engine's serializer would flatten every blank node.
        body = turtle.encode()
    else:
        out = io.BytesIO()
        ox.serialize(quads, out, rdf_format(fmt.engine_name), prefixes=DOCUMENT_PREFIXES)
        body = out.getvalue()
    return Response(body, media_type=fmt.content_type, headers={"Vary": "Accept"})


def graph_sizes(request: Request) -> list[tuple[str, int]]:
    rows = (
        service_of(request)
        .select(
            "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
        )
        .rows
    )
    return [(str(plain_value(g)), int(plain_value(n) or 0)) for g, n in rows]  # type: ignore[arg-type]


def service_description(request: Request, format_name: str | Sequence[str] | None) -> Response:
    endpoint = f"{public_base(request)}sparql"
    formats = ", ".join(f"formats:{FORMAT_IRIS[f.name]}" for f in RESULT_FORMATS + GRAPH_FORMATS)
    graphs = " ,\n    ".join(
        f"[ a sd:NamedGraph ; sd:name <{g}> ; sd:graph [ a sd:Graph ; void:triples {n} ] ]"
        for g, n in graph_sizes(request)
    )
    total = sum(n for _, n in graph_sizes(request))
    named = f" ;\n  sd:namedGraph {graphs}" if graphs else ""
    # The prefixes every query may use without declaring them, in SHACL's vocabulary for
    # prefix declarations (as Wikidata's and UniProt's service descriptions do).
    declared = " ,\n    ".join(
        f'[ sh:prefix "{p}" ; sh:namespace "{iri}"^^xsd:anyURI ]'
        for p, iri in sorted(PREFIXES.items())
    )
    turtle = f"""{PREAMBLE}
<{endpoint}#service> a sd:Service ;
  sd:endpoint <{endpoint}> ;
  sd:supportedLanguage sd:SPARQL11Query ;
  sd:resultFormat {formats} ;
  sd:feature sd:UnionDefaultGraph, sd:BasicFederatedQuery ;
  sh:declare {declared} ;
  dcterms:description "Read-only. The default graph is the union of all named graphs unless a query names its dataset. SERVICE reaches only allow-listed endpoints." ;
  sd:defaultDataset [
    a sd:Dataset ;
    sd:defaultGraph [ a sd:Graph ; void:triples {total} ]{named}
  ] .
"""  # noqa: E501
    return rdf_response(turtle, request, format_name)


def void_description(request: Request, format_name: str | None) -> Response:
    base = public_base(request)
    service = service_of(request)
    sizes = graph_sizes(request)
    classes = service.select(
        "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c ORDER BY ?c"
    ).rows
    links = service.select(
        "SELECT (COUNT(*) AS ?n) (COUNT(DISTINCT ?s) AS ?e) WHERE { ?s owl:sameAs ?o "
        f'FILTER(STRSTARTS(STR(?o), "{WIKIDATA_ENTITY}")) }}'
    ).rows
    link_count = plain_value(links[0][0]) if links else 0
    partitions = " ,\n    ".join(
        f"[ void:class <{plain_value(c)}> ; void:entities {plain_value(n)} ]" for c, n in classes
    )
    subsets = " ,\n    ".join(
        f"[ a void:Dataset ; dcterms:source <{g}> ; sd:name <{g}> ; void:triples {n} ]"
        for g, n in sizes
    )
    turtle = f"""{PREAMBLE}
<{base}void#hubgraph> a void:Dataset ;
  dcterms:title "hubgraph" ;
  dcterms:description "Who committed to what, on which conditions, according to whom: stances, conditions and quotes from news sources, one named graph per source." ;
  void:sparqlEndpoint <{base}sparql> ;
  void:uriSpace "https://w3id.org/hubgraph/id/" ;
  void:vocabulary <{HG}> ;
  void:triples {sum(n for _, n in sizes)} ;
  void:classes {len(classes)} ;
  void:classPartition {partitions or "[]"} ;
  void:subset {subsets or "[]"} , <{base}void#wikidata-links> .

<{base}void#wikidata-links> a void:Linkset ;
  void:subjectsTarget <{base}void#hubgraph> ;
  void:objectsTarget <http://www.wikidata.org/> ;
  void:linkPredicate owl:sameAs ;
  void:triples {link_count} .
"""  # noqa: E501
    return rdf_response(turtle, request, format_name)


@router.get("/void", summary="VoID description of the dataset", tags=["Graph"])
async def void(request: Request, format: str | None = None) -> Response:
    return await in_thread(void_description, request, format)  # type: ignore[no-any-return]


@router.get("/ontology", summary="The hubgraph ontology (OWL, SKOS schemes)", tags=["Graph"])
async def ontology(request: Request, format: str | None = None) -> Response:
    service = service_of(request)
    streamed = await in_thread(
        service.sparql,
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{ONTOLOGY_GRAPH}> {{ ?s ?p ?o }} }}",
        accept=request.headers.get("accept"),
        format_name=format,
    )
    return streaming(streamed)
