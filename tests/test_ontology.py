"""The ontology, the SHACL shapes, and the data's conformance to both.

The data is everything in data/ (the register, the editorial file, the sheets) as the loader
compiles it, checked here with rdflib and pyshacl, the reference implementations.
Fixtures live in this module (not in conftest.py) so they do not clash with the package tests.
"""

from __future__ import annotations

from pathlib import Path

import pyshacl
import pytest
from rdflib import BNode, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

ROOT = Path(__file__).resolve().parents[1]
ONTOLOGY_FILE = ROOT / "ontology" / "hubgraph.ttl"
SHAPES_FILE = ROOT / "ontology" / "shapes.ttl"
DATA_DIR = ROOT / "data"
ID = "https://w3id.org/hubgraph/id/"
ARTICLE = "gbnews-2025-10-kosovo-return-hub"
OA = Namespace("http://www.w3.org/ns/oa#")

HG = Namespace("https://w3id.org/hubgraph/ontology#")
SH = Namespace("http://www.w3.org/ns/shacl#")
ONTOLOGY_IRI = URIRef("https://w3id.org/hubgraph/ontology")
POSITION = Namespace("https://w3id.org/hubgraph/id/position/")
CONDITION_KIND = Namespace("https://w3id.org/hubgraph/id/condition-kind/")
SOURCE = URIRef("https://w3id.org/hubgraph/source/gbnews-2025-10-kosovo-return-hub")

ALLOWED_SHACL_TERMS = {
    SH.NodeShape,
    SH.PropertyShape,
    SH.property,
    SH.targetClass,
    SH.targetSubjectsOf,
    SH.path,
    SH.minCount,
    SH.maxCount,
    SH["class"],
    SH.datatype,
    SH.nodeKind,
    SH.pattern,
    SH["in"],
    SH.hasValue,
    SH.message,
    SH.IRI,
    SH.Literal,
}


@pytest.fixture(scope="module")
def onto() -> Graph:
    return Graph().parse(ONTOLOGY_FILE, format="turtle")


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return Graph().parse(SHAPES_FILE, format="turtle")


@pytest.fixture(scope="module")
def data_dataset() -> Dataset:
    from hubgraph.config import Settings
    from hubgraph.loader import read_and_check

    settings = Settings(data_dir=DATA_DIR, ontology_dir=ROOT / "ontology")
    ds = Dataset()
    for source in read_and_check(
        [DATA_DIR], SHAPES_FILE, sources_dir=settings.sources_dir, data_dir=DATA_DIR
    ):
        ds.parse(data="\n".join(str(q) + " ." for q in source.dataset), format="nquads")
    return ds


@pytest.fixture(scope="module")
def data_graph(data_dataset: Dataset) -> Graph:
    """All triples of all data files, merged into one graph (the union the queries see)."""
    g = Graph()
    for s, p, o, _ in data_dataset.quads((None, None, None, None)):
        g.add((s, p, o))
    return g


def _validate(graph: Graph, shapes: Graph) -> tuple[bool, str]:
    conforms, _, text = pyshacl.validate(graph, shacl_graph=shapes, inference="none")
    return bool(conforms), str(text)


def _hg_terms(onto: Graph) -> set[URIRef]:
    kinds = (
        OWL.Class,
        OWL.ObjectProperty,
        OWL.DatatypeProperty,
        OWL.AnnotationProperty,
        RDFS.Datatype,
        SKOS.ConceptScheme,
    )
    return {
        s
        for kind in kinds
        for s in onto.subjects(RDF.type, kind)
        if isinstance(s, URIRef) and str(s).startswith(str(HG))
    }


def _english(values: list) -> list[Literal]:
    return [v for v in values if isinstance(v, Literal) and v.language == "en" and str(v).strip()]


# --------------------------------------------------------------------------------------
# Ontology
# --------------------------------------------------------------------------------------


def test_ontology_metadata(onto: Graph) -> None:
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in onto
    assert onto.value(ONTOLOGY_IRI, OWL.versionInfo) == Literal("0.2.0")
    assert (
        ONTOLOGY_IRI,
        DCTERMS.license,
        URIRef("https://creativecommons.org/licenses/by/4.0/"),
    ) in onto
    assert str(onto.value(ONTOLOGY_IRI, DCTERMS.creator)) == "the hubgraph project"
    assert str(onto.value(ONTOLOGY_IRI, DCTERMS.title)).strip()
    assert len(str(onto.value(ONTOLOGY_IRI, DCTERMS.description))) > 40


def test_core_vocabulary_is_declared(onto: Graph) -> None:
    classes = {
        "Actor", "Person", "Leader", "Country", "Organisation", "GovernmentBody", "NewsOrganisation",
        "ActorGroup", "Office", "Mandate", "Policy", "Stance", "Condition", "Statement", "Quote",
        "SourceSentence", "SourceDocument", "Event", "Summit", "Talks", "Approach", "ReportedClaim",
        "PublishedFigure",
    }  # fmt: skip
    for name in classes:
        assert (HG[name], RDF.type, OWL.Class) in onto, name
    object_properties = {
        "holder", "towards", "position", "voicedBy", "derivedFrom", "hasCondition", "conditionKind",
        "obligedParty", "concerns", "inSource", "speaker", "officeOf", "office", "proposedBy",
        "differsFrom", "host", "participant", "approacher", "approached", "purpose", "reportedBy",
        "claims", "publishedBy", "parentOrganisation", "motiveRefersTo",
    }  # fmt: skip
    for name in object_properties:
        assert (HG[name], RDF.type, OWL.ObjectProperty) in onto, name
    datatype_properties = {
        "date", "motive", "text", "status", "aim", "appliesTo", "description", "value", "unit",
        "measure", "periodStart", "periodEnd", "trend", "wikidataLinkMissing", "note", "location",
    }  # fmt: skip
    for name in datatype_properties:
        assert (HG[name], RDF.type, OWL.DatatypeProperty) in onto, name


def test_every_class_and_property_has_english_label_and_comment(onto: Graph) -> None:
    terms = _hg_terms(onto)
    assert len(terms) > 60
    missing = [
        str(t)
        for t in terms
        if not _english(list(onto.objects(t, RDFS.label)))
        or not _english(list(onto.objects(t, RDFS.comment)))
    ]
    assert missing == []


def test_every_hg_property_is_typed_object_or_datatype(onto: Graph) -> None:
    used_as_property = (
        {s for s in onto.subjects(RDFS.subPropertyOf, None) if str(s).startswith(str(HG))}
        | {s for s in onto.subjects(RDFS.domain, None)}
        | {s for s in onto.subjects(RDFS.range, None)}
    )
    for prop in used_as_property:
        types = set(onto.objects(prop, RDF.type))
        assert types & {OWL.ObjectProperty, OWL.DatatypeProperty}, prop


def test_alignments_to_standard_vocabularies(onto: Graph) -> None:
    targets = {
        o
        for p in (RDFS.subClassOf, RDFS.subPropertyOf, OWL.equivalentClass)
        for o in onto.objects(None, p)
        if isinstance(o, URIRef)
    }
    for ns in (
        "https://schema.org/",
        "http://www.w3.org/ns/prov#",
        "http://xmlns.com/foaf/0.1/",
        "http://www.w3.org/ns/org#",
        "http://www.w3.org/2004/02/skos/core#",
        "http://purl.org/dc/terms/",
    ):
        assert any(str(t).startswith(ns) for t in targets), ns
    assert (HG.Actor, RDFS.subClassOf, URIRef("http://www.w3.org/ns/prov#Agent")) in onto
    assert (
        HG.derivedFrom,
        RDFS.subPropertyOf,
        URIRef("http://www.w3.org/ns/prov#wasDerivedFrom"),
    ) in onto
    assert (HG.Office, RDFS.subClassOf, URIRef("http://www.w3.org/ns/org#Post")) in onto
    assert (HG.Quote, RDFS.subClassOf, HG.Statement) in onto
    assert (HG.Leader, RDFS.subClassOf, HG.Person) in onto


def test_cameo_datatype(onto: Graph) -> None:
    assert (HG.CAMEOCode, RDF.type, RDFS.Datatype) in onto
    assert _english(list(onto.objects(HG.CAMEOCode, RDFS.label)))
    assert _english(list(onto.objects(HG.CAMEOCode, RDFS.comment)))


@pytest.mark.parametrize(
    ("concept", "cameo"),
    [
        (POSITION["willing"], "03"),
        (POSITION["open-with-conditions"], "10"),
        (POSITION["refuses"], "12"),
        (POSITION["open-to-talks"], "036"),
        (POSITION["not-approached"], None),
    ],
)
def test_stance_position_concepts(onto: Graph, concept: URIRef, cameo: str | None) -> None:
    assert (concept, RDF.type, SKOS.Concept) in onto
    assert (concept, SKOS.inScheme, HG.StancePositionScheme) in onto
    assert (concept, SKOS.topConceptOf, HG.StancePositionScheme) in onto
    assert _english(list(onto.objects(concept, SKOS.prefLabel)))
    assert _english(list(onto.objects(concept, SKOS.definition)))
    notations = list(onto.objects(concept, SKOS.notation))
    # "not approached" reports that no act took place: no CAMEO code fits it.
    assert notations == ([Literal(cameo, datatype=HG.CAMEOCode)] if cameo else [])


def test_approached_is_no_position_any_more(onto: Graph) -> None:
    assert not list(onto.triples((POSITION["approached-no-stance-known"], None, None)))


@pytest.mark.parametrize(
    "concept", [CONDITION_KIND["precondition"], CONDITION_KIND["reciprocal-expectation"]]
)
def test_condition_kind_concepts(onto: Graph, concept: URIRef) -> None:
    assert (concept, RDF.type, SKOS.Concept) in onto
    assert (concept, SKOS.inScheme, HG.ConditionKindScheme) in onto
    assert (concept, SKOS.topConceptOf, HG.ConditionKindScheme) in onto
    assert _english(list(onto.objects(concept, SKOS.prefLabel)))
    assert _english(list(onto.objects(concept, SKOS.definition)))


def test_concept_schemes(onto: Graph) -> None:
    for scheme in (HG.StancePositionScheme, HG.ConditionKindScheme):
        assert (scheme, RDF.type, SKOS.ConceptScheme) in onto
        top = set(onto.objects(scheme, SKOS.hasTopConcept))
        assert top == set(onto.subjects(SKOS.topConceptOf, scheme))
        assert top


# --------------------------------------------------------------------------------------
# The data uses only declared vocabulary
# --------------------------------------------------------------------------------------


def test_every_hg_term_used_in_data_is_declared(onto: Graph, data_graph: Graph) -> None:
    used: set[URIRef] = set()
    for _, p, o in data_graph:
        if str(p).startswith(str(HG)):
            used.add(p)
        if p == RDF.type and str(o).startswith(str(HG)):
            used.add(o)
    assert HG.Stance in used and HG.derivedFrom in used
    declared = _hg_terms(onto)
    undeclared = sorted(str(t) for t in used - declared)
    assert undeclared == []
    for term in used:
        assert _english(list(onto.objects(term, RDFS.label))), term
        assert _english(list(onto.objects(term, RDFS.comment))), term


def test_external_vocabulary_in_data_is_known(data_graph: Graph) -> None:
    allowed = {
        RDF.type, RDFS.label, SKOS.altLabel, OWL.sameAs,
        DCTERMS.title, DCTERMS.publisher, DCTERMS.issued, DCTERMS.language,
        URIRef("https://schema.org/url"), URIRef("http://www.w3.org/ns/prov#wasGeneratedBy"),
        OA.hasSelector, OA.exact, OA.prefix, OA.suffix, OA.start, OA.end,
    }  # fmt: skip
    others = {p for _, p, _ in data_graph if not str(p).startswith(str(HG))}
    assert others <= allowed, others - allowed
    external_types = {
        o for o in data_graph.objects(None, RDF.type) if not str(o).startswith(str(HG))
    }
    assert external_types == {
        URIRef("https://schema.org/NewsArticle"),
        OA.TextQuoteSelector,
        OA.TextPositionSelector,
    }


def test_concepts_used_in_data_exist_in_ontology(onto: Graph, data_graph: Graph) -> None:
    for prop, scheme in (
        (HG.position, HG.StancePositionScheme),
        (HG.conditionKind, HG.ConditionKindScheme),
    ):
        values = set(data_graph.objects(None, prop))
        assert values
        for value in values:
            assert (value, SKOS.inScheme, scheme) in onto, value


# --------------------------------------------------------------------------------------
# Shapes
# --------------------------------------------------------------------------------------


def test_shapes_use_only_the_allowed_shacl_core_subset(shapes: Graph) -> None:
    used = {
        t
        for triple in shapes
        for t in triple
        if isinstance(t, URIRef) and str(t).startswith(str(SH))
    }
    assert used <= ALLOWED_SHACL_TERMS, used - ALLOWED_SHACL_TERMS
    for forbidden in (
        SH["or"],
        SH["and"],
        SH["not"],
        SH.node,
        SH.sparql,
        SH.xone,
        SH.qualifiedValueShape,
    ):
        assert forbidden not in used


def test_every_property_shape_has_a_message_and_node_shape_a_label(shapes: Graph) -> None:
    node_shapes = set(shapes.subjects(RDF.type, SH.NodeShape))
    assert len(node_shapes) >= 12
    for shape in node_shapes:
        assert _english(list(shapes.objects(shape, RDFS.label))), shape
        assert set(shapes.objects(shape, SH.targetClass)) | set(
            shapes.objects(shape, SH.targetSubjectsOf)
        )
    property_shapes = set(shapes.objects(None, SH.property))
    assert len(property_shapes) > 40
    for prop_shape in property_shapes:
        assert shapes.value(prop_shape, SH.path) is not None
        assert str(shapes.value(prop_shape, SH.message) or "").strip(), prop_shape


def test_required_shapes_are_present(shapes: Graph) -> None:
    targets = set(shapes.objects(None, SH.targetClass))
    for cls in (
        HG.Stance, HG.Condition, HG.Quote, HG.SourceSentence, HG.Mandate,
        HG.ReportedClaim, HG.PublishedFigure, HG.SourceDocument,
    ):  # fmt: skip
        assert cls in targets, cls
    assert OWL.sameAs in set(shapes.objects(None, SH.targetSubjectsOf))
    patterns = {str(p) for p in shapes.objects(None, SH.pattern)}
    assert r"^http://www\.wikidata\.org/entity/Q[1-9][0-9]*$" in patterns


def test_data_conforms_to_shapes(data_graph: Graph, shapes: Graph) -> None:
    conforms, report = _validate(data_graph, shapes)
    assert conforms, report


def test_ontology_concepts_conform_to_shapes(onto: Graph, shapes: Graph) -> None:
    conforms, report = _validate(onto, shapes)
    assert conforms, report


def test_data_is_all_in_named_graphs(data_dataset: Dataset) -> None:
    graphs = {c for _, _, _, c in data_dataset.quads((None, None, None, None))}
    assert {
        SOURCE,
        URIRef("https://w3id.org/hubgraph/graph/register"),
        URIRef("https://w3id.org/hubgraph/graph/editorial"),
    } <= graphs
    assert all(
        str(g).startswith("https://w3id.org/hubgraph/source/")
        or str(g).endswith(("/register", "/editorial"))
        for g in graphs
    )


def _copy(graph: Graph) -> Graph:
    g = Graph()
    for triple in graph:
        g.add(triple)
    return g


def test_stance_without_holder_fails(data_graph: Graph, shapes: Graph) -> None:
    broken = _copy(data_graph)
    stance = URIRef(f"{ID}stance/{ARTICLE}/albania-refuses")
    broken.remove((stance, HG.holder, None))
    conforms, report = _validate(broken, shapes)
    assert not conforms
    assert "hg:holder" in report or str(HG.holder) in report


def test_stance_with_unknown_position_fails(data_graph: Graph, shapes: Graph) -> None:
    broken = _copy(data_graph)
    stance = URIRef(f"{ID}stance/{ARTICLE}/albania-refuses")
    broken.set((stance, HG.position, POSITION["enthusiastic"]))
    assert not _validate(broken, shapes)[0]


def test_stance_without_statement_fails(data_graph: Graph, shapes: Graph) -> None:
    broken = _copy(data_graph)
    stance = URIRef(f"{ID}stance/{ARTICLE}/albania-refuses")
    broken.remove((stance, HG.derivedFrom, None))
    assert not _validate(broken, shapes)[0]


def test_malformed_wikidata_iri_fails(data_graph: Graph, shapes: Graph) -> None:
    broken = _copy(data_graph)
    albania = URIRef("https://w3id.org/hubgraph/id/country/albania")
    broken.set((albania, OWL.sameAs, URIRef("http://www.wikidata.org/entity/X1")))
    conforms, report = _validate(broken, shapes)
    assert not conforms
    assert "wikidata" in report.lower()


def test_wikidata_literal_instead_of_iri_fails(data_graph: Graph, shapes: Graph) -> None:
    broken = _copy(data_graph)
    albania = URIRef("https://w3id.org/hubgraph/id/country/albania")
    broken.set((albania, OWL.sameAs, Literal("http://www.wikidata.org/entity/Q222")))
    assert not _validate(broken, shapes)[0]


def test_quote_without_speaker_fails(data_graph: Graph, shapes: Graph) -> None:
    broken = _copy(data_graph)
    quote = URIRef(f"{ID}quote/{ARTICLE}/rama-never-in-albania")
    broken.remove((quote, HG.speaker, None))
    assert not _validate(broken, shapes)[0]


def test_condition_without_kind_fails(data_graph: Graph, shapes: Graph) -> None:
    broken = _copy(data_graph)
    condition = URIRef(f"{ID}condition/{ARTICLE}/montenegro-infrastructure-investment")
    broken.remove((condition, HG.conditionKind, None))
    assert not _validate(broken, shapes)[0]


def test_source_document_without_publisher_fails(data_graph: Graph, shapes: Graph) -> None:
    broken = _copy(data_graph)
    broken.remove((SOURCE, DCTERMS.publisher, None))
    assert not _validate(broken, shapes)[0]


def test_claim_with_two_kinds_fails(data_graph: Graph, shapes: Graph) -> None:
    broken = _copy(data_graph)
    claim = URIRef(f"{ID}claim/{ARTICLE}/migration-observatory-small-boat-returns")
    assert (claim, HG.claimKind, Literal("figure")) in broken
    broken.add((claim, HG.claimKind, Literal("misc")))
    assert not _validate(broken, shapes)[0]


def test_condition_with_verbatim_text_fails(data_graph: Graph, shapes: Graph) -> None:
    """A condition is the coder's paraphrase: hg:text is for the source's own words."""
    broken = _copy(data_graph)
    condition = URIRef(f"{ID}condition/{ARTICLE}/montenegro-infrastructure-investment")
    broken.add((condition, HG.text, Literal("That would only happen if Britain invested")))
    assert not _validate(broken, shapes)[0]


def test_mandate_without_reference_fails(data_graph: Graph, shapes: Graph) -> None:
    broken = _copy(data_graph)
    mandate = URIRef(f"{ID}mandate/albin-kurti--prime-minister-of-kosovo")
    broken.remove((mandate, HG.reference, None))
    assert not _validate(broken, shapes)[0]


def test_missing_link_and_sameas_together_fails(data_graph: Graph, shapes: Graph) -> None:
    broken = _copy(data_graph)
    albania = URIRef("https://w3id.org/hubgraph/id/country/albania")
    broken.add((albania, HG.wikidataLinkMissing, Literal(True)))
    assert not _validate(broken, shapes)[0]


def test_stance_with_blank_holder_fails(data_graph: Graph, shapes: Graph) -> None:
    broken = _copy(data_graph)
    stance = URIRef(f"{ID}stance/{ARTICLE}/albania-refuses")
    blank = BNode()
    broken.add((blank, RDF.type, HG.Actor))
    broken.add((blank, RDFS.label, Literal("someone", lang="en")))
    broken.set((stance, HG.holder, blank))
    assert not _validate(broken, shapes)[0]
