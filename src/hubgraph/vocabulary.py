"""Namespaces and IRIs hubgraph itself relies on."""

from __future__ import annotations

BASE = "https://w3id.org/hubgraph/"
HG = BASE + "ontology#"
ONTOLOGY_IRI = BASE + "ontology"
ID = BASE + "id/"
SOURCE = BASE + "source/"
ONTOLOGY_GRAPH = BASE + "graph/ontology"
SHAPES_GRAPH = BASE + "graph/shapes"
WIKIDATA_ENTITY = "http://www.wikidata.org/entity/"
SCHEMA = "https://schema.org/"
"""schema.org as the data and the ontology write it (https, as schema.org itself does)."""

PREFIXES: dict[str, str] = {
    "hg": HG,
    "hgid": ID,
    "hgsrc": SOURCE,
    "wd": WIKIDATA_ENTITY,
    "wdt": "http://www.wikidata.org/prop/direct/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "schema": SCHEMA,
    "foaf": "http://xmlns.com/foaf/0.1/",
    "org": "http://www.w3.org/ns/org#",
}
"""Prefixes every query may use without declaring them (the web page shows them too)."""


def prefix_block() -> str:
    return "\n".join(f"PREFIX {p}: <{iri}>" for p, iri in PREFIXES.items())


def compact(iri: str) -> str:
    """``iri`` as prefix:local when a known prefix covers it (the longest one wins)."""
    best = ""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(namespace) > len(PREFIXES.get(best, "")):
            best = prefix
    return f"{best}:{iri.removeprefix(PREFIXES[best])}" if best else iri
