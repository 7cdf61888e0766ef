"""The facts of the first source (GB News, October 2025), checked through the canned queries.

The ontology and the data are loaded into a fresh in-memory pyoxigraph Store; the canned queries
of queries/*.rq run over the union of the named graphs, with parameters bound as RDF terms
(pyoxigraph ``substitutions``; list parameters as a trailing VALUES clause), as the service does.
Fixtures live in this module (not in conftest.py) so they do not clash with the package tests.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from pyoxigraph import DefaultGraph, Literal, NamedNode, RdfFormat, Store

from hubgraph.queries import bind_values

ROOT = Path(__file__).resolve().parents[1]
ONTOLOGY_FILE = ROOT / "ontology" / "hubgraph.ttl"
DATA_DIR = ROOT / "data"
QUERIES_DIR = ROOT / "queries"
ARTICLE_NAME = "gbnews-2025-10-kosovo-return-hub.txt"
ONTOLOGY_GRAPH = NamedNode("https://w3id.org/hubgraph/graph/ontology")

HG = "https://w3id.org/hubgraph/ontology#"
ID = "https://w3id.org/hubgraph/id/"
WD = "http://www.wikidata.org/entity/"
XSD = "http://www.w3.org/2001/XMLSchema#"
SOURCE = "https://w3id.org/hubgraph/source/gbnews-2025-10-kosovo-return-hub"
RETURN_HUBS = ID + "policy/uk-return-hubs"

PREFIXES = f"""
PREFIX hg: <{HG}>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
PREFIX id: <{ID}>
PREFIX country: <{ID}country/>
PREFIX person: <{ID}person/>
PREFIX organisation: <{ID}organisation/>
PREFIX group: <{ID}group/>
PREFIX office: <{ID}office/>
PREFIX mandate: <{ID}mandate/>
PREFIX policy: <{ID}policy/>
PREFIX stance: <{ID}stance/>
PREFIX condition: <{ID}condition/>
PREFIX sentence: <{ID}sentence/>
PREFIX event: <{ID}event/>
"""

# In the test patterns below, ``id:kind/slug`` is short for ``kind:slug`` (SPARQL local names
# cannot contain an unescaped "/").
_ID_NAME = re.compile(r"\bid:([a-z]+)/")


def _expand(query: str) -> str:
    return PREFIXES + _ID_NAME.sub(r"\1:", query)


# QIDs of /work/shared/wikidata-ids.md ("verified" and "verified, 1 source" rows), by entity IRI.
# None: no verified QID -> no owl:sameAs and hg:wikidataLinkMissing true.
EXPECTED_QIDS: dict[str, str | None] = {
    "country/united-kingdom": "Q145",
    "country/kosovo": "Q1246",
    "country/montenegro": "Q236",
    "country/bosnia-and-herzegovina": "Q225",
    "country/albania": "Q222",
    "country/north-macedonia": "Q221",
    "country/serbia": "Q403",
    "country/russia": "Q159",
    "country/rwanda": "Q1037",
    "person/keir-starmer": "Q6383803",
    "person/albin-kurti": "Q441633",
    "person/milojko-spajic": "Q101225458",
    "person/edi-rama": "Q316901",
    "person/slobodan-milosevic": None,
    "organisation/presidency-of-bosnia-and-herzegovina": "Q844944",
    "organisation/conservative-party": "Q9626",
    "organisation/the-times": "Q50008",
    "organisation/university-of-oxford": "Q34433",
    "organisation/migration-observatory": None,
    "organisation/gb-news": None,
    "organisation/kfor": None,
    "organisation/nato": "Q7184",
    "office/prime-minister-of-the-united-kingdom": "Q14211",
    "office/prime-minister-of-kosovo": "Q116102",
    "office/prime-minister-of-montenegro": "Q2353252",
    "office/prime-minister-of-albania": "Q16009376",
}

# The name each entity has in the first column of wikidata-ids.md (text before " (").
WIKIDATA_TABLE_NAMES: dict[str, str] = {
    "United Kingdom": "country/united-kingdom",
    "Kosovo": "country/kosovo",
    "Montenegro": "country/montenegro",
    "Bosnia and Herzegovina": "country/bosnia-and-herzegovina",
    "Albania": "country/albania",
    "North Macedonia": "country/north-macedonia",
    "Serbia": "country/serbia",
    "Russia": "country/russia",
    "Rwanda": "country/rwanda",
    "Keir Starmer": "person/keir-starmer",
    "Albin Kurti": "person/albin-kurti",
    "Milojko Spajić": "person/milojko-spajic",
    "Edi Rama": "person/edi-rama",
    "Slobodan Milošević": "person/slobodan-milosevic",
    "Presidency of Bosnia and Herzegovina": "organisation/presidency-of-bosnia-and-herzegovina",
    "Conservative Party": "organisation/conservative-party",
    "The Times": "organisation/the-times",
    "University of Oxford": "organisation/university-of-oxford",
    "Migration Observatory": "organisation/migration-observatory",
    "GB News": "organisation/gb-news",
    "KFOR": "organisation/kfor",
    "Prime Minister of the United Kingdom": "office/prime-minister-of-the-united-kingdom",
    "Prime Minister of Kosovo": "office/prime-minister-of-kosovo",
    "Prime Minister of Montenegro": "office/prime-minister-of-montenegro",
    "Prime Minister of Albania": "office/prime-minister-of-albania",
}

PARAM_RE = re.compile(
    r"^#\+ param: (?P<name>[A-Za-z_][A-Za-z0-9_]*) "
    r"(?P<type>iri|qid|entity|string|integer|decimal|date|boolean|concept\((?P<scheme>[^)\s]+)\))"
    r"(?: (?P<req>required|optional))?(?P<list> list)?(?: default=(?P<default>\S+))? -- (?P<doc>.+)$"
)


# --------------------------------------------------------------------------------------
# Fixtures and helpers
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def facts_store() -> Store:
    store = Store()
    store.load(path=str(ONTOLOGY_FILE), format=RdfFormat.TURTLE, to_graph=ONTOLOGY_GRAPH)
    for path in sorted(DATA_DIR.glob("*.trig")):
        store.load(path=str(path), format=RdfFormat.TRIG)
    return store


def _find_file(name: str, *candidates: Path) -> Path | None:
    for directory in candidates:
        if (directory / name).is_file():
            return directory / name
    return None


@pytest.fixture(scope="module")
def article() -> str:
    env = os.environ.get("HUBGRAPH_SOURCES_DIR")
    candidates = [Path(env)] if env else []
    # CI clones the repo beside a copy of shared/, which holds the source articles.
    candidates += [ROOT.parent / "shared" / "sources", Path("/work/shared/sources")]
    path = _find_file(ARTICLE_NAME, *candidates)
    assert path is not None, f"article {ARTICLE_NAME} not found in {candidates}"
    return path.read_text(encoding="utf-8")


def _normalise(text: str) -> str:
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    return re.sub(r"\s+", " ", text).strip()


def _value(term: object) -> str | None:
    return None if term is None else term.value  # type: ignore[attr-defined]


def _query_text(name: str) -> str:
    return (QUERIES_DIR / f"{name}.rq").read_text(encoding="utf-8")


def _header(text: str) -> dict[str, object]:
    header: dict[str, object] = {"params": []}
    for line in text.splitlines():
        if not line.startswith("#+ "):
            if line.strip() and not line.startswith("#"):
                break
            continue
        key, _, value = line[3:].partition(":")
        if key == "param":
            match = PARAM_RE.match(line)
            assert match, f"malformed param line: {line!r}"
            header["params"].append(match.groupdict())  # type: ignore[union-attr]
        else:
            header[key.strip()] = value.strip()
    return header


def run(
    store: Store,
    name: str,
    params: dict[str, object] | None = None,
    values: dict[str, list[str]] | None = None,
) -> list[dict[str, str | None]]:
    """Run a canned query as the service does: every term bound in a VALUES block at the top
    of the WHERE clause (hubgraph.queries.bind_values)."""
    bindings: dict[str, list[NamedNode | Literal]] = {
        var: [NamedNode(i) for i in iris] for var, iris in (values or {}).items()
    }
    for key, val in (params or {}).items():
        bindings[key] = [val if isinstance(val, (NamedNode, Literal)) else NamedNode(str(val))]
    text = bind_values(_query_text(name), bindings)
    result = store.query(text, use_default_graph_as_union=True)
    names = [v.value for v in result.variables]
    return [{n: _value(row[n]) for n in names} for row in result]


def ask(store: Store, pattern: str) -> bool:
    return bool(store.query(_expand(f"ASK {{ {pattern} }}"), use_default_graph_as_union=True))


def select(store: Store, query: str) -> list[dict[str, str | None]]:
    result = store.query(_expand(query), use_default_graph_as_union=True)
    names = [v.value for v in result.variables]
    return [{n: _value(row[n]) for n in names} for row in result]


QUERY_NAMES = sorted(p.stem for p in QUERIES_DIR.glob("*.rq"))


# --------------------------------------------------------------------------------------
# The source and its graph
# --------------------------------------------------------------------------------------


def test_one_named_graph_for_the_source_and_nothing_in_the_default_graph(
    facts_store: Store,
) -> None:
    assert list(facts_store.quads_for_pattern(None, None, None, DefaultGraph())) == []
    graphs = {g.value for g in facts_store.named_graphs()}
    assert graphs == {SOURCE, ONTOLOGY_GRAPH.value}
    in_source = list(facts_store.quads_for_pattern(None, None, None, NamedNode(SOURCE)))
    assert len(in_source) > 300


def test_source_describes_itself(facts_store: Store) -> None:
    rows = select(
        facts_store,
        f"""SELECT ?title ?publisher ?issued (DATATYPE(?issued) AS ?dt) WHERE {{
              GRAPH <{SOURCE}> {{
                <{SOURCE}> a hg:SourceDocument, <https://schema.org/NewsArticle> ;
                   dcterms:title ?title ; dcterms:publisher ?publisher ; dcterms:issued ?issued .
              }} }}""",
    )
    assert rows == [
        {
            "title": "Britain receives migrant crisis olive branch as ally offers to become UK return hub",
            "publisher": ID + "organisation/gb-news",
            "issued": "2025-10",
            "dt": "http://www.w3.org/2001/XMLSchema#gYearMonth",
        }
    ]


def test_source_title_is_the_article_headline(article: str) -> None:
    assert article.splitlines()[0] == (
        "Britain receives migrant crisis olive branch as ally offers to become UK return hub"
    )


# --------------------------------------------------------------------------------------
# Stances and conditions
# --------------------------------------------------------------------------------------


def test_refusals_are_exactly_albania_and_bosnia_and_herzegovina(facts_store: Store) -> None:
    rows = run(facts_store, "refusals")
    by_qid = {r["qid"]: r for r in rows}
    assert set(by_qid) == {"Q222", "Q225"}
    assert len(rows) == 2
    albania, bih = by_qid["Q222"], by_qid["Q225"]
    assert albania["countryLabel"] == "Albania"
    assert albania["voicedByLabel"] == "Edi Rama"
    assert albania["quote"] == "I repeat ... Never in Albania"
    assert bih["countryLabel"] == "Bosnia and Herzegovina"
    assert bih["voicedBy"] == ID + "organisation/presidency-of-bosnia-and-herzegovina"
    assert bih["quote"] == "no intention, nor any willingness, to enter into any agreement"
    for row in rows:
        assert row["source"] == SOURCE
        assert row["sourceDate"] == "2025-10"
        assert row["country"] == WD + row["qid"]


def test_refusals_filtered_by_country_list(facts_store: Store) -> None:
    rows = run(facts_store, "refusals", values={"country": [WD + "Q222"]})
    assert [r["countryLabel"] for r in rows] == ["Albania"]
    assert run(facts_store, "refusals", values={"country": [WD + "Q1246"]}) == []


def test_countries_attaching_conditions_are_montenegro_and_kosovo(facts_store: Store) -> None:
    rows = run(facts_store, "countries-attaching-conditions")
    got = {(r["countryLabel"], r["conditionKind"]) for r in rows}
    assert got == {
        ("Montenegro", ID + "condition-kind/precondition"),
        ("Kosovo", ID + "condition-kind/reciprocal-expectation"),
    }
    assert len(rows) == 2
    required = {
        "country", "countryLabel", "qid", "condition", "conditionText", "conditionKind",
        "conditionKindLabel", "voicedBy", "voicedByLabel", "quote", "source", "sourceDate",
    }  # fmt: skip
    assert required <= set(rows[0])
    by_country = {r["countryLabel"]: r for r in rows}
    montenegro, kosovo = by_country["Montenegro"], by_country["Kosovo"]
    assert montenegro["qid"] == "Q236" and kosovo["qid"] == "Q1246"
    assert montenegro["conditionKindLabel"] == "precondition"
    assert kosovo["conditionKindLabel"] == "reciprocal expectation"
    assert montenegro["voicedByLabel"] == "Milojko Spajić"
    assert kosovo["voicedByLabel"] == "Albin Kurti"
    assert "infrastructure" in (montenegro["conditionText"] or "")
    assert "only happen if Britain invested significantly" in (montenegro["statement"] or "")
    assert "intelligence-sharing" in (kosovo["conditionText"] or "")
    assert "We want to help the UK" in (kosovo["quote"] or "")
    assert "in return for more support" in (kosovo["statement"] or "")
    for row in rows:
        assert row["obligedParty"] == ID + "country/united-kingdom"
        assert row["source"] == SOURCE and row["sourceDate"] == "2025-10"


def test_conditions_filtered_by_kind_and_country(facts_store: Store) -> None:
    rows = run(
        facts_store, "countries-attaching-conditions", {"kind": ID + "condition-kind/precondition"}
    )
    assert [r["countryLabel"] for r in rows] == ["Montenegro"]
    rows = run(
        facts_store,
        "countries-attaching-conditions",
        {"kind": ID + "condition-kind/reciprocal-expectation"},
    )
    assert [r["countryLabel"] for r in rows] == ["Kosovo"]
    rows = run(
        facts_store,
        "countries-attaching-conditions",
        values={"country": [WD + "Q1246", WD + "Q222"]},
    )
    assert [r["countryLabel"] for r in rows] == ["Kosovo"]
    rows = run(facts_store, "countries-attaching-conditions", {"policy": RETURN_HUBS})
    assert len(rows) == 2


def test_stances_positions(facts_store: Store) -> None:
    rows = run(facts_store, "stances")
    positions = {r["holderLabel"]: r["position"] for r in rows}
    assert positions == {
        "Kosovo": ID + "position/willing",
        "Montenegro": ID + "position/open-with-conditions",
        "Bosnia and Herzegovina": ID + "position/refuses",
        "Albania": ID + "position/refuses",
        "North Macedonia": ID + "position/approached-no-stance-known",
    }
    assert len(rows) == 5
    cameo = {r["holderLabel"]: r["cameo"] for r in rows}
    assert cameo == {
        "Kosovo": "03",
        "Montenegro": "10",
        "Bosnia and Herzegovina": "12",
        "Albania": "12",
        "North Macedonia": "02",
    }
    required = {
        "holder", "holderLabel", "qid", "position", "positionLabel", "cameo", "voicedByLabel",
        "quote", "source", "sourceDate",
    }  # fmt: skip
    assert required <= set(rows[0])
    by_holder = {r["holderLabel"]: r for r in rows}
    kosovo = by_holder["Kosovo"]
    assert kosovo["voicedByLabel"] == "Albin Kurti"
    for quote in (
        "We want to help the UK",
        "We consider that is our friendly and political duty",
        "obligation",
    ):
        assert quote in (kosovo["quote"] or "")
    assert "first country to commit" in (kosovo["statement"] or "")
    assert kosovo["reportedByLabel"] == "GB News"
    north_macedonia = by_holder["North Macedonia"]
    assert north_macedonia["voicedBy"] is None
    assert north_macedonia["reportedByLabel"] == "The Times"
    assert "The Times had previously reported" in (north_macedonia["statement"] or "")
    assert by_holder["Montenegro"]["voicedByLabel"] == "Milojko Spajić"
    for row in rows:
        assert row["sourceDate"] == "2025-10"
        assert row["date"] == "2025-10"


def test_stances_filters(facts_store: Store) -> None:
    refuses = run(facts_store, "stances", {"position": ID + "position/refuses"})
    assert sorted(r["holderLabel"] for r in refuses) == ["Albania", "Bosnia and Herzegovina"]
    times = run(facts_store, "stances", {"reportedBy": ID + "organisation/the-times"})
    assert [r["holderLabel"] for r in times] == ["North Macedonia"]
    gb = run(facts_store, "stances", {"reportedBy": ID + "organisation/gb-news"})
    assert sorted(r["holderLabel"] for r in gb) == [
        "Albania",
        "Bosnia and Herzegovina",
        "Kosovo",
        "Montenegro",
    ]
    kosovo = run(facts_store, "stances", {"holder": ID + "country/kosovo", "policy": RETURN_HUBS})
    assert [r["positionLabel"] for r in kosovo] == ["willing"]
    rwanda = run(facts_store, "stances", {"policy": ID + "policy/rwanda-offshore-processing"})
    assert rwanda == []


def test_kosovo_reciprocal_expectation(facts_store: Store) -> None:
    assert ask(
        facts_store,
        """id:stance/kosovo-uk-return-hubs hg:hasCondition ?c ; hg:voicedBy id:person/albin-kurti .
           ?c a hg:Condition ;
              hg:conditionKind <https://w3id.org/hubgraph/id/condition-kind/reciprocal-expectation> ;
              hg:obligedParty id:country/united-kingdom ;
              hg:concerns id:country/serbia, id:country/russia ;
              hg:derivedFrom ?s .
           ?s a hg:SourceSentence ; hg:text ?t .
           FILTER(CONTAINS(?t, "security equipment and intelligence-sharing"))""",
    )


def test_kosovo_motive_refers_to_peacekeeping_against_milosevic(facts_store: Store) -> None:
    assert ask(
        facts_store,
        """id:stance/kosovo-uk-return-hubs hg:motive ?m ; hg:motiveRefersTo ?op .
           FILTER(CONTAINS(?m, "obligation") && CONTAINS(?m, "repay Britain"))
           ?op a hg:Event ; hg:protected id:country/kosovo ;
               hg:leadingParticipant id:country/united-kingdom ;
               hg:protectedAgainst id:person/slobodan-milosevic ;
               hg:conductedBy id:organisation/kfor ;
               hg:externalNote ?note .
           FILTER(CONTAINS(?note, "other public sources"))""",
    )
    assert ask(
        facts_store, "id:person/slobodan-milosevic a hg:Person ; hg:wikidataLinkMissing true"
    )
    assert not ask(facts_store, "id:person/slobodan-milosevic owl:sameAs ?any")
    assert not ask(facts_store, "id:person/slobodan-milosevic a hg:Leader")


def test_kosovo_first_country_note_and_talks(facts_store: Store) -> None:
    assert ask(
        facts_store,
        """id:stance/kosovo-uk-return-hubs hg:note ?n . FILTER(CONTAINS(?n, "first country"))""",
    )
    assert ask(
        facts_store,
        """?t a hg:Talks, hg:Event ; hg:status "ongoing" ; hg:topic id:policy/uk-return-hubs ;
              hg:participant id:country/united-kingdom, id:country/kosovo,
                             id:organisation/ministry-of-internal-affairs-of-kosovo ;
              hg:derivedFrom id:sentence/gbnews-2025-10-kosovo-return-hub-9 .""",
    )
    assert ask(
        facts_store,
        """id:organisation/ministry-of-internal-affairs-of-kosovo a hg:GovernmentBody ;
              hg:bodyOf id:country/kosovo ; hg:wikidataLinkMissing true .""",
    )


def test_montenegro_precondition(facts_store: Store) -> None:
    assert ask(
        facts_store,
        """id:stance/montenegro-uk-return-hubs hg:voicedBy id:person/milojko-spajic ;
              hg:position <https://w3id.org/hubgraph/id/position/open-with-conditions> ;
              hg:hasCondition ?c .
           ?c hg:conditionKind <https://w3id.org/hubgraph/id/condition-kind/precondition> ;
              hg:obligedParty id:country/united-kingdom ;
              hg:derivedFrom id:sentence/gbnews-2025-10-kosovo-return-hub-13 .""",
    )


def test_bosnia_and_herzegovina_voiced_by_its_presidency(facts_store: Store) -> None:
    assert ask(
        facts_store,
        """id:organisation/presidency-of-bosnia-and-herzegovina a hg:GovernmentBody, hg:Organisation, hg:Actor ;
              owl:sameAs <http://www.wikidata.org/entity/Q844944> ;
              hg:headOfStateOf id:country/bosnia-and-herzegovina ;
              hg:memberCount 3 .
           ?q a hg:Quote ; hg:speaker id:organisation/presidency-of-bosnia-and-herzegovina .""",
    )


# --------------------------------------------------------------------------------------
# Approaches, summit, policies, figures, mandates
# --------------------------------------------------------------------------------------


def test_approaches_according_to_the_times(facts_store: Store) -> None:
    rows = run(facts_store, "approaches")
    assert {r["approachedLabel"] for r in rows} == {
        "Kosovo",
        "North Macedonia",
        "other nations outside Europe",
    }
    for row in rows:
        assert row["approacher"] == ID + "country/united-kingdom"
        assert row["reporter"] == ID + "organisation/the-times"
        assert row["reporterLabel"] == "The Times"
        assert row["publisherLabel"] == "GB News"
        assert row["source"] == SOURCE
        assert row["purpose"] == RETURN_HUBS
        assert row["purposeText"] == "to open return hubs"
    group = next(r for r in rows if r["approachedKind"] == "group")
    assert group["approachedQid"] == ""
    only_nm = run(facts_store, "approaches", {"approached": ID + "country/north-macedonia"})
    assert [r["approachedLabel"] for r in only_nm] == ["North Macedonia"]
    by_times = run(facts_store, "approaches", {"reporter": ID + "organisation/the-times"})
    assert len(by_times) == 3
    assert run(facts_store, "approaches", {"reporter": ID + "organisation/gb-news"}) == []


def test_unnamed_group_is_not_invented(facts_store: Store) -> None:
    assert ask(facts_store, "id:group/other-nations-outside-europe a hg:ActorGroup, hg:Actor")
    assert not ask(
        facts_store, "id:group/other-nations-outside-europe ?p ?o . FILTER(?p = owl:sameAs)"
    )
    assert not ask(facts_store, "id:group/other-nations-outside-europe a hg:Country")
    countries = {r["c"] for r in select(facts_store, "SELECT ?c WHERE { ?c a hg:Country }")}
    assert countries == {
        ID + "country/" + slug
        for slug in (
            "united-kingdom", "kosovo", "montenegro", "bosnia-and-herzegovina", "albania",
            "north-macedonia", "serbia", "russia", "rwanda",
        )
    }  # fmt: skip


def test_summit(facts_store: Store) -> None:
    rows = select(
        facts_store,
        """SELECT ?date ?basis ?asReported ?note WHERE {
             ?s a hg:Summit, hg:Event ; hg:host id:person/keir-starmer ; hg:location "London" ;
                hg:notOnFormalAgenda id:policy/uk-return-hubs ; hg:hostIntention ?intent ;
                hg:date ?date ; hg:dateBasis ?basis ; hg:dateAsReported ?asReported ;
                hg:externalNote ?note ;
                hg:derivedFrom id:sentence/gbnews-2025-10-kosovo-return-hub-9,
                               id:sentence/gbnews-2025-10-kosovo-return-hub-11 .
             FILTER(CONTAINS(?intent, "open talks")) }""",
    )
    assert len(rows) == 1
    row = rows[0]
    assert row["date"] == "2025-10-22"
    assert row["asReported"] == "on Wednesday"
    assert "other public sources" in (row["basis"] or "")
    assert "Berlin Process" in (row["note"] or "") and "other public sources" in (row["note"] or "")


def test_policies(facts_store: Store) -> None:
    assert ask(
        facts_store,
        """id:policy/uk-return-hubs a hg:Policy ; hg:proposedBy id:person/keir-starmer ;
              hg:differsFrom id:policy/rwanda-offshore-processing ; hg:appliesTo ?who .
           FILTER(CONTAINS(?who, "rejected"))
           id:policy/rwanda-offshore-processing a hg:Policy ;
              hg:proposedBy id:organisation/conservative-party ;
              hg:involvesCountry id:country/rwanda ;
              hg:differsFrom id:policy/uk-return-hubs ;
              hg:derivedFrom id:sentence/gbnews-2025-10-kosovo-return-hub-26 .""",
    )
    aims = {
        r["aim"]
        for r in select(facts_store, "SELECT ?aim WHERE { id:policy/uk-return-hubs hg:aim ?aim }")
    }
    assert len(aims) == 2
    assert any("delay the process of removal" in a for a in aims)
    assert any("small boats" in a for a in aims)


def test_published_figures(facts_store: Store) -> None:
    rows = select(
        facts_store,
        """SELECT ?value ?unit ?start ?end WHERE {
             ?f a hg:PublishedFigure ; hg:publishedBy id:organisation/migration-observatory ;
                hg:value ?value ; hg:unit ?unit ; hg:periodStart ?start ; hg:periodEnd ?end ;
                hg:derivedFrom id:sentence/gbnews-2025-10-kosovo-return-hub-29 . }""",
    )
    assert rows == [{"value": "3", "unit": "percent", "start": "2018", "end": "2024"}]
    assert ask(
        facts_store,
        """?f a hg:PublishedFigure ; hg:trend "increase" ; hg:measure ?m ;
              hg:derivedFrom id:sentence/gbnews-2025-10-kosovo-return-hub-30 .
           FILTER(CONTAINS(?m, "removals")) FILTER NOT EXISTS { ?f hg:value ?v }""",
    )
    assert ask(
        facts_store,
        """id:organisation/migration-observatory hg:wikidataLinkMissing true ;
              skos:altLabel "Oxford Migration Observatory"@en ;
              hg:parentOrganisation id:organisation/university-of-oxford .
           id:organisation/university-of-oxford owl:sameAs <http://www.wikidata.org/entity/Q34433> .""",
    )


def test_mandates(facts_store: Store) -> None:
    rows = select(
        facts_store,
        """SELECT ?person ?qid WHERE {
             ?m a hg:Mandate ; hg:holder ?person ; hg:office ?office ; hg:derivedFrom ?s .
             ?person a hg:Leader, hg:Person, hg:Actor .
             ?office a hg:Office ; owl:sameAs ?qid . }""",
    )
    got = {(r["person"], r["qid"]) for r in rows}
    assert got == {
        (ID + "person/keir-starmer", WD + "Q14211"),
        (ID + "person/albin-kurti", WD + "Q116102"),
        (ID + "person/milojko-spajic", WD + "Q2353252"),
        (ID + "person/edi-rama", WD + "Q16009376"),
    }
    assert ask(
        facts_store,
        """id:mandate/albin-kurti-prime-minister-of-kosovo hg:status "acting" ; hg:externalNote ?n .
           FILTER(CONTAINS(?n, "other public sources"))""",
    )


def test_labels_and_article_spellings(facts_store: Store) -> None:
    assert ask(
        facts_store,
        """id:person/milojko-spajic rdfs:label "Milojko Spajić"@en ; skos:altLabel "Spajic"@en .
           id:person/keir-starmer skos:altLabel "Sir Keir"@en .
           id:country/united-kingdom skos:altLabel "Britain"@en, "UK"@en .
           id:organisation/conservative-party skos:altLabel "the Conservatives"@en .""",
    )
    missing = select(
        facts_store,
        """SELECT ?e WHERE { { ?e a hg:Actor } UNION { ?e a hg:Office } UNION { ?e a hg:Stance }
                             UNION { ?e a hg:Policy } UNION { ?e a hg:Event }
                             FILTER NOT EXISTS { ?e rdfs:label ?l FILTER(LANG(?l) = "en") } }""",
    )
    assert missing == []


# --------------------------------------------------------------------------------------
# Traceability: every fact from a verbatim statement of the article
# --------------------------------------------------------------------------------------


def test_every_quote_is_verbatim_in_the_article(facts_store: Store, article: str) -> None:
    rows = select(
        facts_store,
        "SELECT ?q ?text ?speaker WHERE { ?q a hg:Quote ; hg:text ?text ; hg:speaker ?speaker }",
    )
    assert len(rows) >= 7
    normalised = _normalise(article)
    for row in rows:
        assert _normalise(row["text"] or "") in normalised, row
        # The quoted words really are in quotation marks in the article.
        assert f'"{_normalise(row["text"] or "")}' in normalised, row
    texts = {r["text"] for r in rows}
    for expected in (
        "We want to help the UK",
        "We consider that is our friendly and political duty",
        "I repeat ... Never in Albania",
        "no intention, nor any willingness, to enter into any agreement",
    ):
        assert expected in texts


def test_every_source_sentence_is_verbatim_in_the_article(facts_store: Store, article: str) -> None:
    rows = select(
        facts_store,
        "SELECT ?s ?text ?line WHERE { ?s a hg:SourceSentence ; hg:text ?text ; hg:lineNumber ?line }",
    )
    assert len(rows) >= 20
    lines = article.splitlines()
    normalised = _normalise(article)
    for row in rows:
        text = row["text"] or ""
        assert _normalise(text) in normalised, row
        line = int(row["line"] or 0)
        assert text in lines[line - 1], row
        assert (row["s"] or "").endswith(f"-{line}")
    spajic = next(r for r in rows if "Spajic" in (r["text"] or ""))
    assert "Spajić" not in (spajic["text"] or "")


def test_every_quote_is_inside_its_sentence(facts_store: Store, article: str) -> None:
    rows = select(
        facts_store,
        """SELECT ?text ?sentence ?qline ?sline WHERE {
             ?q a hg:Quote ; hg:text ?text ; hg:lineNumber ?qline ; hg:inSentence ?s .
             ?s hg:text ?sentence ; hg:lineNumber ?sline }""",
    )
    assert len(rows) == 7
    for row in rows:
        assert row["text"] in (row["sentence"] or ""), row
        assert row["qline"] == row["sline"]


def test_every_fact_is_derived_from_a_statement_of_its_source(facts_store: Store) -> None:
    for cls in (
        "Stance",
        "Condition",
        "ReportedClaim",
        "PublishedFigure",
        "Mandate",
        "Policy",
        "Event",
    ):
        count = select(facts_store, f"SELECT (COUNT(?x) AS ?n) WHERE {{ ?x a hg:{cls} }}")[0]["n"]
        assert int(count or 0) >= 1, cls
        orphans = select(
            facts_store,
            f"""SELECT ?x WHERE {{
                  GRAPH ?g {{ ?x a hg:{cls} }}
                  FILTER NOT EXISTS {{ GRAPH ?g {{ ?x hg:derivedFrom ?s . ?s a hg:Statement ; hg:inSource ?g }} }}
                }}""",
        )
        assert orphans == [], (cls, orphans)


def test_external_facts_are_marked_as_such(facts_store: Store) -> None:
    """Facts from outside the article never sit in statement text and always carry a note."""
    statements = select(facts_store, "SELECT ?t WHERE { ?s a hg:Statement ; hg:text ?t }")
    for row in statements:
        for outside in ("Berlin", "22 October", "acting", "caretaker", "KFOR", "NATO", "Labour"):
            assert outside not in (row["t"] or "")
    for entity in (
        "event/london-western-balkans-summit-2025",
        "mandate/albin-kurti-prime-minister-of-kosovo",
        "mandate/keir-starmer-prime-minister-of-the-united-kingdom",
        "organisation/kfor",
        "organisation/nato",
    ):
        assert ask(
            facts_store,
            f"""<{ID}{entity}> hg:externalNote ?n . FILTER(CONTAINS(?n, "other public sources"))""",
        ), entity


# --------------------------------------------------------------------------------------
# Wikidata
# --------------------------------------------------------------------------------------


def test_qids_are_exactly_the_verified_ones(facts_store: Store) -> None:
    links = select(facts_store, "SELECT ?e ?wd WHERE { ?e owl:sameAs ?wd }")
    got = {r["e"]: r["wd"] for r in links}
    expected = {ID + k: WD + v for k, v in EXPECTED_QIDS.items() if v}
    assert got == expected
    for key, qid in EXPECTED_QIDS.items():
        if qid is None:
            assert ask(facts_store, f"<{ID}{key}> hg:wikidataLinkMissing true"), key


def test_qids_agree_with_wikidata_ids_md() -> None:
    env = os.environ.get("HUBGRAPH_WIKIDATA_IDS")
    candidates = [Path(env)] if env else []
    candidates += [
        ROOT.parent / "shared" / "wikidata-ids.md",
        Path("/work/shared/wikidata-ids.md"),
    ]
    path = next((p for p in candidates if p.is_file()), None)
    if path is None:
        pytest.skip("wikidata-ids.md not available here")
    table: dict[str, str | None] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or cells[0].startswith(("entity", "---")):
            continue
        name = cells[0].split(" (")[0].strip()
        table[name] = cells[1] if re.fullmatch(r"Q[1-9][0-9]*", cells[1]) else None
    for name, key in WIKIDATA_TABLE_NAMES.items():
        assert name in table, name
        assert EXPECTED_QIDS[key] == table[name], name
    assert "Q7184" in path.read_text(encoding="utf-8")  # NATO, the parent of KFOR


def test_no_q1058_anywhere(facts_store: Store) -> None:
    for quad in facts_store:
        for term in (quad.subject, quad.predicate, quad.object):
            assert "Q1058" not in term.value
    for path in list(DATA_DIR.glob("*.trig")) + list(QUERIES_DIR.glob("*.rq")) + [ONTOLOGY_FILE]:
        assert "Q1058" not in path.read_text(encoding="utf-8"), path


def test_labour_is_left_out(facts_store: Store) -> None:
    assert not ask(facts_store, "?e owl:sameAs <http://www.wikidata.org/entity/Q9630>")
    assert not ask(facts_store, '?e rdfs:label ?l . FILTER(CONTAINS(?l, "Labour"))')


def test_every_country_person_organisation_and_office_has_a_link_or_says_it_is_missing(
    facts_store: Store,
) -> None:
    rows = select(
        facts_store,
        """SELECT ?e WHERE {
             { ?e a hg:Country } UNION { ?e a hg:Person } UNION { ?e a hg:Organisation } UNION { ?e a hg:Office }
             FILTER NOT EXISTS { ?e owl:sameAs ?wd }
             FILTER NOT EXISTS { ?e hg:wikidataLinkMissing true } }""",
    )
    assert rows == []
    both = select(
        facts_store, "SELECT ?e WHERE { ?e owl:sameAs ?wd ; hg:wikidataLinkMissing true }"
    )
    assert both == []


def test_wikidata_links_query(facts_store: Store) -> None:
    rows = run(facts_store, "wikidata-links")
    linked = {r["entity"]: r["qid"] for r in rows if r["linkMissing"] == "false"}
    missing = {r["entity"]: r["qid"] for r in rows if r["linkMissing"] == "true"}
    assert linked == {ID + k: v for k, v in EXPECTED_QIDS.items() if v}
    assert missing == {ID + k: "" for k, v in EXPECTED_QIDS.items() if v is None} | {
        ID + "organisation/government-of-the-united-kingdom": "",
        ID + "organisation/ministry-of-internal-affairs-of-kosovo": "",
    }


# --------------------------------------------------------------------------------------
# Other canned queries
# --------------------------------------------------------------------------------------


def test_quotes_query(facts_store: Store) -> None:
    rows = run(facts_store, "quotes")
    assert len(rows) == 7
    assert [int(r["lineNumber"] or 0) for r in rows] == sorted(
        int(r["lineNumber"] or 0) for r in rows
    )
    rama = run(facts_store, "quotes", {"speaker": ID + "person/edi-rama"})
    assert [(r["text"], r["qid"]) for r in rama] == [("I repeat ... Never in Albania", "Q316901")]
    assert "Albania" in (rama[0]["supports"] or "")
    kurti = run(facts_store, "quotes", {"speaker": ID + "person/albin-kurti"})
    assert len(kurti) == 5


def test_actor_query(facts_store: Store) -> None:
    rows = run(facts_store, "actor", {"actor": ID + "person/albin-kurti"})
    relations = {(r["relation"], r["value"]) for r in rows}
    assert ("type", HG + "Leader") in relations
    assert ("Wikidata entity", WD + "Q441633") in relations
    assert ("holds office", ID + "office/prime-minister-of-kosovo") in relations
    assert ("voiced stance", ID + "stance/kosovo-uk-return-hubs") in relations
    assert sum(1 for r in rows if r["relation"] == "quoted") == 5
    stance_row = next(r for r in rows if r["relation"] == "voiced stance")
    assert "We want to help the UK" in (stance_row["quote"] or "")
    assert stance_row["source"] == SOURCE and stance_row["sourceDate"] == "2025-10"
    for row in rows:
        assert row["actorLabel"] == "Albin Kurti"
    kosovo = run(facts_store, "actor", {"actor": ID + "country/kosovo"})
    kosovo_relations = {r["relation"] for r in kosovo}
    assert {
        "holds stance",
        "was approached",
        "has office",
        "beneficiary of condition",
    } <= kosovo_relations
    approached = next(r for r in kosovo if r["relation"] == "was approached")
    assert approached["detail"] == "according to The Times"
    assert run(facts_store, "actor", {"actor": ID + "country/atlantis"}) == []


def test_timeline_is_in_date_order(facts_store: Store) -> None:
    rows = run(facts_store, "timeline")
    dates = [r["date"] or "" for r in rows]
    assert dates == sorted(dates)
    assert (
        rows[0]["kind"] == "figure" and rows[0]["date"] == "2018" and rows[0]["dateEnd"] == "2024"
    )
    summit = next(r for r in rows if r["item"] == ID + "event/london-western-balkans-summit-2025")
    assert summit["date"] == "2025-10-22"
    assert "other public sources" in (summit["dateBasis"] or "")
    assert rows[-1] == summit
    kinds = {r["kind"] for r in rows}
    assert {"event", "stance", "figure", "source", "mandate"} <= kinds
    stances = [r for r in rows if r["kind"] == "stance"]
    assert len(stances) == 5 and all(r["date"] == "2025-10" for r in stances)


# --------------------------------------------------------------------------------------
# Every canned query: header, ORDER BY, runs, parameters bind and narrow
# --------------------------------------------------------------------------------------


def test_the_expected_canned_queries_exist() -> None:
    assert set(QUERY_NAMES) >= {
        "countries-attaching-conditions", "stances", "refusals", "actor", "quotes", "approaches",
        "wikidata-links", "timeline",
    }  # fmt: skip


@pytest.mark.parametrize("name", QUERY_NAMES)
def test_query_header(name: str) -> None:
    text = _query_text(name)
    header = _header(text)
    assert str(header.get("title", "")).strip(), name
    assert len(str(header.get("description", ""))) > 20, name
    names = [p["name"] for p in header["params"]]  # type: ignore[union-attr]
    assert len(names) == len(set(names))
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    projection = body[body.index("SELECT") : body.index("WHERE")]
    for param in header["params"]:  # type: ignore[union-attr]
        # pyoxigraph substitutions need the variable in the projection.
        assert re.search(rf"\?{param['name']}\b", projection), (name, param["name"])


@pytest.mark.parametrize("name", QUERY_NAMES)
def test_query_ends_with_order_by(name: str) -> None:
    body = "\n".join(
        line for line in _query_text(name).splitlines() if not line.lstrip().startswith("#")
    ).strip()
    tail = body[body.rindex("}") + 1 :]
    match = re.search(r"\bORDER BY\s+(?P<keys>[^{}]+)$", tail)
    assert match, name
    keys = match.group("keys").upper()
    assert "VALUES" not in keys and "LIMIT" not in keys and "OFFSET" not in keys


def _sample(param: dict[str, str | None], query: str = "") -> tuple[NamedNode, NamedNode]:
    """A value that exists in the data and one that does not, for a parameter."""
    ptype = param["type"] or ""
    name = param["name"]
    if ptype.startswith("concept("):
        scheme = param["scheme"] or ""
        good = ID + (
            "condition-kind/precondition" if "ConditionKind" in scheme else "position/refuses"
        )
        return NamedNode(good), NamedNode(ID + "position/no-such-concept")
    if ptype == "qid":
        return NamedNode(WD + "Q222" if query == "refusals" else WD + "Q1246"), NamedNode(
            WD + "Q999999999"
        )
    if ptype == "iri":
        return NamedNode(param["default"] or RETURN_HUBS), NamedNode(ID + "policy/no-such-policy")
    if ptype == "entity":
        good = {
            "reportedBy": ID + "organisation/the-times",
            "reporter": ID + "organisation/the-times",
            "speaker": ID + "person/albin-kurti",
            "approacher": ID + "country/united-kingdom",
        }.get(name or "", ID + "country/kosovo")
        return NamedNode(good), NamedNode(ID + "country/atlantis")
    if ptype == "date":  # as of: the end of the data's year, and before any of it
        date = NamedNode(XSD + "date")
        return Literal("2026-12-31", datatype=date), Literal("1900-01-01", datatype=date)  # type: ignore[return-value]
    if ptype == "boolean":  # a switch: both values match something (see the test)
        return Literal(True), Literal(False)  # type: ignore[return-value]
    if ptype == "string":  # the search words
        return Literal("Kosovo"), Literal("no such words xyzzy")  # type: ignore[return-value]
    raise AssertionError(f"no sample for parameter type {ptype}")


@pytest.mark.parametrize("name", QUERY_NAMES)
def test_query_runs_and_parameters_bind(facts_store: Store, name: str) -> None:
    header = _header(_query_text(name))
    params = header["params"]  # type: ignore[assignment]
    required = {p["name"]: _sample(p)[0] for p in params if p["req"] == "required"}  # type: ignore[index,union-attr]
    baseline = run(facts_store, name, required)
    assert baseline, f"{name} returns no rows on the article's data"
    assert list(baseline[0])  # has columns
    for param in params:  # type: ignore[union-attr]
        good, bad = _sample(param, name)
        others = {k: v for k, v in required.items() if k != param["name"]}
        if param["list"]:
            narrowed = run(facts_store, name, others, values={param["name"]: [good.value]})
            nothing = run(facts_store, name, others, values={param["name"]: [bad.value]})
        else:
            narrowed = run(facts_store, name, {**others, param["name"]: good})
            nothing = run(facts_store, name, {**others, param["name"]: bad})
        assert narrowed, (name, param["name"])
        assert len(narrowed) <= len(baseline) or param["req"] == "required"
        # Binding a value that matches nothing yields nothing: the variable is in a mandatory
        # pattern. (A boolean switch has no such value.)
        assert nothing == [] or param["type"] == "boolean", (name, param["name"])
        if param["default"]:
            assert run(facts_store, name, {**others, param["name"]: NamedNode(param["default"])})


@pytest.mark.parametrize("name", QUERY_NAMES)
def test_query_order_is_stable(facts_store: Store, name: str) -> None:
    header = _header(_query_text(name))
    required = {p["name"]: _sample(p)[0] for p in header["params"] if p["req"] == "required"}  # type: ignore[index,union-attr]
    assert run(facts_store, name, required) == run(facts_store, name, required)
