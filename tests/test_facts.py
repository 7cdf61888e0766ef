"""The facts of data/, checked per source: every sheet in data/sources gets the same checks
(its own graph, quotes verbatim in its text, evidence in its own source, names from the
register, no register entity restated), then the first article's facts after its audit, then
the canned queries' headers and parameters over all the data.

The data is compiled as the loader compiles it, into a fresh in-memory pyoxigraph Store; canned
queries run over the union of the named graphs with parameters bound as RDF terms
(``substitutions``; lists as a trailing VALUES clause), as the service does. Fixtures live in
this module (not in conftest.py) so they do not clash with the package tests.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, RdfFormat, Store, Variable

from hubgraph.config import Settings
from hubgraph.graph.register import Register, read_register
from hubgraph.loader import Source, read_and_check
from hubgraph.sheets.anchor import Text

ROOT = Path(__file__).resolve().parents[1]
ONTOLOGY_FILE = ROOT / "ontology" / "hubgraph.ttl"
SHAPES_FILE = ROOT / "ontology" / "shapes.ttl"
DATA_DIR = ROOT / "data"
QUERIES_DIR = ROOT / "queries"
ONTOLOGY_GRAPH = NamedNode("https://w3id.org/hubgraph/graph/ontology")
SETTINGS = Settings(data_dir=DATA_DIR, ontology_dir=ROOT / "ontology")

HG = "https://w3id.org/hubgraph/ontology#"
ID = "https://w3id.org/hubgraph/id/"
WD = "http://www.wikidata.org/entity/"
SRC = "https://w3id.org/hubgraph/source/"
ARTICLE = "gbnews-2025-10-kosovo-return-hub"
SOURCE = SRC + ARTICLE
RETURN_HUBS = ID + "policy/uk-return-hubs"
SHEETS = sorted(p.stem for p in (DATA_DIR / "sources").glob("*.yaml"))

PREFIXES = f"""
PREFIX hg: <{HG}>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX src: <{SRC}>
"""

PARAM_RE = re.compile(
    r"^#\+ param: (?P<name>[A-Za-z_][A-Za-z0-9_]*) "
    r"(?P<type>iri|qid|entity|string|integer|decimal|date|boolean|concept\((?P<scheme>[^)\s]+)\))"
    r"(?: (?P<req>required|optional))?(?P<list> list)?(?: default=(?P<default>\S+))? -- (?P<doc>.+)$"
)


# --------------------------------------------------------------------------------------
# Fixtures and helpers
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sources() -> dict[str, Source]:
    """Every file of data/, compiled and checked by the loader, by graph IRI."""
    found = read_and_check(
        [DATA_DIR], SHAPES_FILE, sources_dir=SETTINGS.sources_dir, data_dir=DATA_DIR
    )
    return {graph: s for s in found for graph in s.graphs}


@pytest.fixture(scope="module")
def register() -> Register:
    return read_register(DATA_DIR / "register.yaml")


@pytest.fixture(scope="module")
def facts_store(sources: dict[str, Source]) -> Store:
    store = Store()
    store.load(path=str(ONTOLOGY_FILE), format=RdfFormat.TURTLE, to_graph=ONTOLOGY_GRAPH)
    for source in {id(s): s for s in sources.values()}.values():
        store.extend(list(source.dataset))
    return store


def source_text(store: Store, graph: str) -> Text | None:
    """The plain text of a source, when it is at hand (outside the repository)."""
    rows = select(
        store, f"SELECT ?file WHERE {{ GRAPH <{graph}> {{ <{graph}> hg:textFile ?file }} }}"
    )
    if not rows or rows[0]["file"] is None:
        return None
    path = SETTINGS.sources_dir / rows[0]["file"]
    return Text(path.read_text(encoding="utf-8"), path.name) if path.exists() else None


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
    """Run a canned query as the service does: terms bound by substitution, lists by VALUES."""
    text = _query_text(name)
    for var, iris in (values or {}).items():
        text += f"\nVALUES ?{var} {{ " + " ".join(f"<{iri}>" for iri in iris) + " }\n"
    subs = {}
    for key, val in (params or {}).items():
        subs[Variable(key)] = val if isinstance(val, (NamedNode, Literal)) else NamedNode(str(val))
    result = store.query(text, use_default_graph_as_union=True, substitutions=subs)
    names = [v.value for v in result.variables]
    return [{n: _value(row[n]) for n in names} for row in result]


def ask(store: Store, pattern: str) -> bool:
    return bool(store.query(PREFIXES + f"ASK {{ {pattern} }}", use_default_graph_as_union=True))


def select(store: Store, query: str) -> list[dict[str, str | None]]:
    result = store.query(PREFIXES + query, use_default_graph_as_union=True)
    names = [v.value for v in result.variables]
    return [{n: _value(row[n]) for n in names} for row in result]


QUERY_NAMES = sorted(p.stem for p in QUERIES_DIR.glob("*.rq"))


# --------------------------------------------------------------------------------------
# Every source, the same checks
# --------------------------------------------------------------------------------------


def test_every_sheet_is_a_source_graph(sources: dict[str, Source]) -> None:
    assert SHEETS and ARTICLE in SHEETS
    for sheet in SHEETS:
        assert SRC + sheet in sources, sheet
    assert not list((DATA_DIR).glob("*.trig")), "a source is a sheet or a TriG file, never both"


@pytest.mark.parametrize("sheet", SHEETS)
def test_the_source_is_one_graph_and_describes_itself(
    sources: dict[str, Source], sheet: str
) -> None:
    source = sources[SRC + sheet]
    assert source.graphs == (SRC + sheet,)
    rows = select(
        store_of(source),
        f"""SELECT ?publisher ?issued ?title ?titleNote ?url ?urlNote ?chain WHERE {{ GRAPH <{SRC + sheet}> {{
            <{SRC + sheet}> a hg:SourceDocument ; dcterms:publisher ?publisher ; dcterms:issued ?issued ;
                hg:reportingChain ?chain .
            OPTIONAL {{ <{SRC + sheet}> dcterms:title ?title }} OPTIONAL {{ <{SRC + sheet}> hg:titleNote ?titleNote }}
            OPTIONAL {{ <{SRC + sheet}> <https://schema.org/url> ?url }} OPTIONAL {{ <{SRC + sheet}> hg:urlNote ?urlNote }}
        }} }}""",
    )
    assert len(rows) == 1, sheet
    row = rows[0]
    assert row["title"] or row["titleNote"]
    assert row["url"] or row["urlNote"]
    assert re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", row["issued"] or "")


def store_of(source: Source) -> Store:
    store = Store()
    store.extend(list(source.dataset))
    return store


@pytest.mark.parametrize("sheet", SHEETS)
def test_quotes_and_verbatim_statements_are_verbatim_in_the_text(
    facts_store: Store, sheet: str
) -> None:
    graph = SRC + sheet
    text = source_text(facts_store, graph)
    checked = ask(facts_store, f"GRAPH <{graph}> {{ <{graph}> hg:quotesChecked true }}")
    rows = select(
        facts_store,
        f"""SELECT ?s ?text ?start ?end ?exact WHERE {{ GRAPH <{graph}> {{
            ?s hg:text ?text . {{ ?s a hg:Quote }} UNION {{ ?s hg:verbatim true }}
            OPTIONAL {{ ?s oa:hasSelector ?p . ?p oa:start ?start ; oa:end ?end }}
            OPTIONAL {{ ?s oa:hasSelector ?q . ?q oa:exact ?exact }}
        }} }}""",
    )
    if text is None:
        # Not at hand: the source says so, and no anchor pretends the check was made.
        assert not checked
        assert ask(facts_store, f"GRAPH <{graph}> {{ <{graph}> hg:textNote ?n }}") or not rows
        return
    assert checked
    for row in rows:
        assert row["start"] is not None, row["s"]
        assert text.text[int(row["start"]) : int(row["end"])] == row["exact"], row["s"]
        assert " ".join(row["exact"].split()) == " ".join((row["text"] or "").split()), row["s"]  # type: ignore[union-attr]


@pytest.mark.parametrize("sheet", SHEETS)
def test_every_quote_lies_in_its_sentence(facts_store: Store, sheet: str) -> None:
    for row in select(
        facts_store,
        f"""SELECT ?quote ?sentence WHERE {{ GRAPH <{SRC + sheet}> {{
            ?q hg:inSentence ?s ; hg:text ?quote . ?s hg:text ?sentence }} }}""",
    ):
        assert row["quote"] in row["sentence"]  # type: ignore[operator]


@pytest.mark.parametrize("sheet", SHEETS)
def test_every_fact_is_derived_from_a_statement_of_its_own_source(
    facts_store: Store, sheet: str
) -> None:
    graph = SRC + sheet
    facts = select(
        facts_store,
        f"""SELECT ?fact WHERE {{ GRAPH <{graph}> {{
            ?fact a ?type VALUES ?type {{ hg:Stance hg:Condition hg:ReportedClaim }} }} }}""",
    )
    assert facts or sheet != ARTICLE
    for row in facts:
        evidence = select(
            facts_store,
            f"""SELECT ?e ?in WHERE {{ GRAPH <{graph}> {{ <{row["fact"]}> hg:derivedFrom ?e }}
                OPTIONAL {{ GRAPH <{graph}> {{ ?e hg:inSource ?in }} }} }}""",
        )
        assert evidence, row["fact"]
        for e in evidence:
            assert e["in"] == graph, (row["fact"], e["e"])
    # and every stance and claim is of this source
    for row in select(
        facts_store, f"SELECT ?x ?in WHERE {{ GRAPH <{graph}> {{ ?x hg:inSource ?in }} }}"
    ):
        assert row["in"] == graph


@pytest.mark.parametrize("sheet", SHEETS)
def test_no_register_entity_is_restated_and_every_entity_named_exists(
    facts_store: Store, register: Register, sheet: str
) -> None:
    graph = SRC + sheet
    subjects = {
        r["s"]
        for r in select(
            facts_store, f"SELECT DISTINCT ?s WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
        )
    }
    restated = sorted(s for s in subjects if s and register.by_iri(s) is not None)
    assert restated == []
    assert not ask(facts_store, f"GRAPH <{graph}> {{ ?s owl:sameAs ?qid }}"), (
        "QIDs live in the register"
    )
    kinds = ("country/", "person/", "organisation/", "group/", "office/", "policy/")
    for row in select(
        facts_store,
        f"SELECT DISTINCT ?o WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o FILTER(isIRI(?o)) }} }}",
    ):
        iri = row["o"] or ""
        if iri.startswith(ID) and iri[len(ID) :].startswith(kinds):
            assert register.by_iri(iri) is not None or iri in subjects, iri


@pytest.mark.parametrize("sheet", SHEETS)
def test_every_voice_speaks_for_its_holder_or_is_the_sources_attribution(
    facts_store: Store, register: Register, sheet: str
) -> None:
    for row in select(
        facts_store,
        f"""SELECT ?holder ?voice ?date ?attribution WHERE {{ GRAPH <{SRC + sheet}> {{
            ?s a hg:Stance ; hg:holder ?holder ; hg:voicedBy ?voice .
            OPTIONAL {{ ?s hg:date ?date }} OPTIONAL {{ ?s hg:voiceAttribution ?attribution }} }} }}""",
    ):
        holder, voice = register.by_iri(row["holder"] or ""), register.by_iri(row["voice"] or "")
        if holder is None or voice is None or row["attribution"] == "source":
            continue
        assert register.speaks_for(voice, holder, row["date"]), row


# --------------------------------------------------------------------------------------
# The first article, after its audit (issue 9)
# --------------------------------------------------------------------------------------


def stances(store: Store) -> dict[str, tuple[str, str | None]]:
    rows = select(
        store,
        f"""SELECT ?holder ?position ?voice WHERE {{ GRAPH <{SOURCE}> {{
            ?s a hg:Stance ; hg:holder ?holder ; hg:position ?position ; hg:towards <{RETURN_HUBS}> .
            OPTIONAL {{ ?s hg:voicedBy ?voice }} }} }}""",
    )
    return {
        r["holder"].removeprefix(ID): (
            r["position"].removeprefix(ID + "position/"),
            r["voice"] and r["voice"].removeprefix(ID),
        )
        for r in rows
    }  # type: ignore[union-attr]


def test_the_first_articles_observations(facts_store: Store) -> None:
    assert stances(facts_store) == {
        "country/kosovo": ("willing", "person/albin-kurti"),
        "country/montenegro": ("open-with-conditions", "person/milojko-spajic"),
        "country/bosnia-and-herzegovina": (
            "refuses",
            "organisation/presidency-of-bosnia-and-herzegovina",
        ),
        "country/albania": ("refuses", "person/edi-rama"),
    }


def test_north_macedonia_has_no_stance_but_the_times_claims_the_uk_approached_it(
    facts_store: Store,
) -> None:
    assert "country/north-macedonia" not in stances(facts_store)
    rows = select(
        facts_store,
        f"""SELECT ?kind ?date (GROUP_CONCAT(STR(?about); separator=" ") AS ?abouts) WHERE {{ GRAPH <{SOURCE}> {{
            ?c a hg:ReportedClaim ; hg:reportedBy <{ID}organisation/the-times> ; hg:claimKind ?kind ; hg:about ?about .
            OPTIONAL {{ ?c hg:date ?date }} }} }} GROUP BY ?kind ?date""",
    )
    assert len(rows) == 1 and rows[0]["kind"] == "approach"
    assert rows[0]["date"] is None  # The Times's report is older than the article, and undated
    for entity in (
        "country/united-kingdom",
        "country/kosovo",
        "country/north-macedonia",
        "group/other-nations-outside-europe",
    ):
        assert ID + entity in (rows[0]["abouts"] or "").split()


def test_the_uk_kosovo_talks_are_kurtis_claim(facts_store: Store) -> None:
    assert ask(
        facts_store,
        f"""GRAPH <{SOURCE}> {{ ?c a hg:ReportedClaim ; hg:reportedBy <{ID}person/albin-kurti> ;
            hg:claimKind "talks" ; hg:about <{ID}country/united-kingdom>, <{ID}country/kosovo> }}""",
    )
    assert not ask(facts_store, "?e a hg:Talks")


def test_wants_to_help_the_uk_is_gb_news_s_adaptation_not_kurtis_quote(facts_store: Store) -> None:
    quotes = [
        r["t"]
        for r in select(
            facts_store, f"SELECT ?t WHERE {{ GRAPH <{SOURCE}> {{ ?q a hg:Quote ; hg:text ?t }} }}"
        )
    ]
    assert "wants to help the UK" not in quotes
    assert "We want to help the UK" in quotes
    assert ask(
        facts_store,
        f'GRAPH <{SOURCE}> {{ ?s a hg:SourceSentence ; hg:text ?t FILTER(CONTAINS(?t, "\\"wants to help the UK\\"")) }}',
    )


def test_conditions_precondition_and_reciprocal_expectation(facts_store: Store) -> None:
    rows = select(
        facts_store,
        f"""SELECT ?holder ?kind ?paraphrase (GROUP_CONCAT(STR(?c); separator=" ") AS ?concerns) WHERE {{
            GRAPH <{SOURCE}> {{ ?s hg:holder ?holder ; hg:hasCondition ?cond . ?cond hg:conditionKind ?kind ;
                hg:paraphrase ?paraphrase ; hg:obligedParty <{ID}country/united-kingdom> .
                OPTIONAL {{ ?cond hg:concerns ?c }} }} }} GROUP BY ?holder ?kind ?paraphrase""",
    )
    got = {
        (r["holder"].removeprefix(ID), r["kind"].removeprefix(ID + "condition-kind/")) for r in rows
    }  # type: ignore[union-attr]
    assert got == {
        ("country/kosovo", "reciprocal-expectation"),
        ("country/montenegro", "precondition"),
    }
    kosovo = next(r for r in rows if r["holder"] == ID + "country/kosovo")
    assert set((kosovo["concerns"] or "").split()) == {ID + "country/serbia", ID + "country/russia"}
    assert not ask(facts_store, "?c a hg:Condition ; hg:text ?t")


def test_the_policy_iris_are_neutral(facts_store: Store) -> None:
    assert not ask(facts_store, f"?s ?p <{ID}policy/rwanda-offshore-processing>")
    assert ask(
        facts_store, f'<{ID}policy/uk-rwanda-scheme> rdfs:label "UK–Rwanda asylum scheme"@en'
    )
    # "offshore processing" is GB News's description, in GB News's graph
    assert ask(
        facts_store,
        f"""GRAPH <{SOURCE}> {{ ?c hg:claimKind "description" ; hg:about <{ID}policy/uk-rwanda-scheme> ;
            hg:paraphrase ?p FILTER(CONTAINS(?p, "offshore processing")) }}""",
    )


def test_editorial_facts_are_out_of_the_articles_graph(facts_store: Store) -> None:
    graph = f"GRAPH <{SOURCE}>"
    assert not ask(facts_store, f"{graph} {{ ?s hg:externalNote ?n }}")
    assert not ask(facts_store, f'{graph} {{ ?s ?p "2025-10-22"^^xsd:date }}')
    assert not ask(facts_store, f"{graph} {{ ?s ?p <{ID}organisation/kfor> }}")
    assert not ask(
        facts_store,
        f'{graph} {{ ?s ?p ?o FILTER(isLiteral(?o) && CONTAINS(STR(?o), "Berlin Process")) }}',
    )
    assert not ask(facts_store, f"{graph} {{ ?s a hg:Mandate }}")
    editorial = "GRAPH <https://w3id.org/hubgraph/graph/editorial>"
    assert ask(
        facts_store,
        f'{editorial} {{ ?f a hg:EditorialFact ; hg:date "2025-10-22"^^xsd:date ; hg:reference ?r }}',
    )
    assert ask(
        facts_store, f"{editorial} {{ ?f hg:about <{ID}organisation/kfor> ; hg:reference ?r }}"
    )
    for row in select(
        facts_store,
        f"SELECT ?f ?r WHERE {{ {editorial} {{ ?f a hg:EditorialFact . OPTIONAL {{ ?f hg:reference ?r }} }} }}",
    ):
        assert row["r"], row["f"]


def test_kurtis_acting_status_and_starmers_office_are_referenced_mandates(
    facts_store: Store,
) -> None:
    register = "GRAPH <https://w3id.org/hubgraph/graph/register>"
    rows = select(
        facts_store,
        f"""SELECT ?status ?ref WHERE {{ {register} {{ ?m hg:holder <{ID}person/albin-kurti> ;
            hg:office <{ID}office/prime-minister-of-kosovo> ; hg:status ?status ; hg:statusReference ?ref }} }}""",
    )
    assert rows and rows[0]["status"] == "acting" and "LBC" in (rows[0]["ref"] or "")
    assert ask(
        facts_store,
        f"{register} {{ ?m hg:holder <{ID}person/keir-starmer> ; hg:office <{ID}office/prime-minister-of-the-united-kingdom> ; hg:reference ?r }}",
    )


def test_the_unnamed_group_is_not_invented(facts_store: Store) -> None:
    group = f"<{ID}group/other-nations-outside-europe>"
    assert ask(facts_store, f"{group} a hg:ActorGroup")
    assert not ask(facts_store, f"{group} ?member ?x FILTER(?member IN (hg:member, hg:hasMember))")


def test_labour_is_not_in_the_articles_graph(facts_store: Store) -> None:
    assert not ask(facts_store, f"GRAPH <{SOURCE}> {{ ?s ?p <{ID}organisation/labour-party> }}")


def test_the_figures_are_claims_of_their_publishers(facts_store: Store) -> None:
    rows = select(
        facts_store,
        f'SELECT ?by ?p WHERE {{ GRAPH <{SOURCE}> {{ ?c hg:claimKind "figure" ; hg:reportedBy ?by ; hg:paraphrase ?p }} }}',
    )
    by = {r["by"].removeprefix(ID) for r in rows}  # type: ignore[union-attr]
    assert by == {"organisation/migration-observatory", "organisation/gb-news"}
    assert any("three per cent" in (r["p"] or "") for r in rows)


def test_no_q1058_anywhere(facts_store: Store) -> None:
    assert not ask(facts_store, "?s ?p <http://www.wikidata.org/entity/Q1058>")


# --------------------------------------------------------------------------------------
# The canned queries
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
        # Binding a value that matches nothing yields nothing: the variable is in a mandatory pattern.
        assert nothing == [], (name, param["name"])
        if param["default"]:
            assert run(facts_store, name, {**others, param["name"]: NamedNode(param["default"])})


@pytest.mark.parametrize("name", QUERY_NAMES)
def test_query_order_is_stable(facts_store: Store, name: str) -> None:
    header = _header(_query_text(name))
    required = {p["name"]: _sample(p)[0] for p in header["params"] if p["req"] == "required"}  # type: ignore[index,union-attr]
    assert run(facts_store, name, required) == run(facts_store, name, required)
