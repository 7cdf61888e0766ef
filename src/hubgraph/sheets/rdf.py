"""Printing a compiled source as TriG, with the prefixes a person reads it by."""

from __future__ import annotations

import pyoxigraph as ox

from hubgraph.vocabulary import HG, ID, SOURCE

PREFIXES = {
    "hg": HG,
    "src": SOURCE,
    "country": ID + "country/",
    "person": ID + "person/",
    "organisation": ID + "organisation/",
    "group": ID + "group/",
    "office": ID + "office/",
    "mandate": ID + "mandate/",
    "policy": ID + "policy/",
    "position": ID + "position/",
    "condition-kind": ID + "condition-kind/",
    "coding": ID + "coding/",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "dcterms": "http://purl.org/dc/terms/",
    "schema": "https://schema.org/",
    "prov": "http://www.w3.org/ns/prov#",
    "oa": "http://www.w3.org/ns/oa#",
    "wd": "http://www.wikidata.org/entity/",
}


def trig(dataset: ox.Store) -> bytes:
    """The dataset as TriG, quads sorted so that the output is the same each time."""
    quads = sorted(
        dataset, key=lambda q: (str(q.graph_name), str(q.subject), str(q.predicate), str(q.object))
    )
    return ox.serialize(quads, format=ox.RdfFormat.TRIG, prefixes=PREFIXES) or b""
