"""The canned queries rewritten so that Oxigraph looks each row's evidence up instead of
aggregating the whole store's (``countries-attaching-conditions``, ``refusals``) give the rows
of the texts they replace, which Virtuoso still runs (``queries/virtuoso/``): on data/, on the
bench's synthetic data, and on that data in its older form (a stance's source known only
through its evidence, a condition's own text instead of a paraphrase, a quote without text).
``actor``, which aggregates only the evidence of nodes next to the actor, gives the rows of its
earlier text (tests/fixtures/queries-before/actor.rq) for every labelled entity of data/.
``stances``, ``stance-history``, ``observations`` and ``quotes``, which look each row's quotes
(or a quote's stances) up, and in ``stances`` whose rivals and reporters see a bound policy or
holder, give the rows of their earlier texts (tests/fixtures/queries-before/evidence/) on the
three kinds of data, for each parameter."""

from __future__ import annotations

import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from hubgraph.graph.register import read_register
from hubgraph.queries import bind_values
from hubgraph.store import OxigraphStore

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import generate  # noqa: E402
import store_texts  # noqa: E402

HG = "https://w3id.org/hubgraph/ontology#"
RETURN_HUBS = ox.NamedNode("https://w3id.org/hubgraph/id/policy/uk-return-hubs")
PRECONDITION = ox.NamedNode("https://w3id.org/hubgraph/id/condition-kind/precondition")


def union_store(quads: list[ox.Quad]) -> ox.Store:
    store = ox.Store()
    for path in sorted((ROOT / "ontology").glob("*.ttl")):
        store.load(path=str(path), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(ROOT.as_uri()))
    store.extend(quads)
    return store


@pytest.fixture(scope="module")
def synthetic_quads(tmp_path_factory: pytest.TempPathFactory) -> list[ox.Quad]:
    register_yaml, articles, _ = generate.Generator(20_000, 7).run()
    folder = tmp_path_factory.mktemp("bench")
    (folder / "register.yaml").write_text(register_yaml, encoding="utf-8")
    store = ox.Store()
    store.extend(read_register(folder / "register.yaml").quads())
    store.load(articles.encode(), format=ox.RdfFormat.TRIG)
    return list(store)


@pytest.fixture(scope="module")
def synthetic_store(synthetic_quads: list[ox.Quad]) -> ox.Store:
    return union_store(synthetic_quads)


@pytest.fixture(scope="module")
def older_store(synthetic_quads: list[ox.Quad]) -> ox.Store:
    """Every third stance without its own hg:inSource, every second condition with hg:text
    in place of its paraphrase, every fifth quote without its text."""
    in_source, paraphrase, text = (ox.NamedNode(HG + n) for n in ("inSource", "paraphrase", "text"))
    stances = {q.subject for q in synthetic_quads if q.object == ox.NamedNode(HG + "Stance")}
    quotes = {q.subject for q in synthetic_quads if q.object == ox.NamedNode(HG + "Quote")}
    kept, seen = [], {"stance": 0, "condition": 0, "quote": 0}
    for q in synthetic_quads:
        if q.predicate == in_source and q.subject in stances:
            seen["stance"] += 1
            if seen["stance"] % 3 == 0:
                continue
        elif q.predicate == paraphrase:
            seen["condition"] += 1
            if seen["condition"] % 2 == 0:
                q = ox.Quad(q.subject, text, q.object, q.graph_name)
        elif q.predicate == text and q.subject in quotes:
            seen["quote"] += 1
            if seen["quote"] % 5 == 0:
                continue
        kept.append(q)
    assert all(seen.values()), seen
    return union_store(kept)


def normal_rows(store: ox.Store | OxigraphStore, path: Path, bindings: dict) -> list[tuple]:
    """The rows, each concatenation's parts sorted (their order is the engine's to choose)."""
    query = bind_values(path.read_text(encoding="utf-8"), bindings)
    if isinstance(store, OxigraphStore):
        return store_texts.normal_rows(store.query(query))
    return store_texts.normal_rows(store.query(query, use_default_graph_as_union=True))


CASES = {
    "conditions": ("countries-attaching-conditions", {"policy": [RETURN_HUBS]}),
    "conditions-any-policy": ("countries-attaching-conditions", {}),
    "conditions-precondition": (
        "countries-attaching-conditions",
        {"policy": [RETURN_HUBS], "kind": [PRECONDITION]},
    ),
    "refusals": ("refusals", {"policy": [RETURN_HUBS]}),
    "refusals-any-policy": ("refusals", {}),
}


@pytest.mark.parametrize("data", ["data", "synthetic", "older"])
@pytest.mark.parametrize("case", list(CASES))
def test_same_rows_as_the_text_they_replace(
    request: pytest.FixtureRequest, case: str, data: str
) -> None:
    name, bindings = CASES[case]
    store = request.getfixturevalue(f"{data}_store")
    new = normal_rows(store, ROOT / "queries" / f"{name}.rq", bindings)
    old = normal_rows(store, ROOT / "queries" / "virtuoso" / f"{name}.rq", bindings)
    assert old, f"{name} should give rows on the {data} data"
    assert sorted(new, key=repr) == sorted(old, key=repr)
    # The order is the ORDER BY's, up to ties among its keys.
    assert [r[:2] for r in new] == [r[:2] for r in old]


def test_actor_same_rows_for_every_entity(data_store: OxigraphStore) -> None:
    before = ROOT / "tests" / "fixtures" / "queries-before" / "actor.rq"
    label = "<http://www.w3.org/2000/01/rdf-schema#label>"
    entities = [
        row[0]
        for row in data_store.query(
            f"SELECT DISTINCT ?a WHERE {{ ?a {label} ?l FILTER(isIRI(?a)) }}"
        )  # type: ignore[union-attr]
    ]
    assert len(entities) > 100
    facts = 0
    for entity in entities:
        new = normal_rows(data_store, ROOT / "queries" / "actor.rq", {"actor": [entity]})
        old = normal_rows(data_store, before, {"actor": [entity]})
        assert new == old, entity
        facts += len(new)
    assert facts > len(entities)


@pytest.mark.parametrize("data", ["synthetic", "older"])
def test_actor_same_rows_on_synthetic_data(request: pytest.FixtureRequest, data: str) -> None:
    store = request.getfixturevalue(f"{data}_store")
    before = ROOT / "tests" / "fixtures" / "queries-before" / "actor.rq"
    kinds = ["Country", "Person", "Organisation"]
    for kind in kinds:
        [row] = store.query(
            f"SELECT ?a WHERE {{ ?a a <{HG}{kind}> }} ORDER BY ?a LIMIT 1",
            use_default_graph_as_union=True,
        )
        new = normal_rows(store, ROOT / "queries" / "actor.rq", {"actor": [row[0]]})
        old = normal_rows(store, before, {"actor": [row[0]]})
        assert new and new == old, (kind, row[0])


EVIDENCE_BEFORE = ROOT / "tests" / "fixtures" / "queries-before" / "evidence"
DATE = ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")
TRUE = ox.Literal(True)
REFUSES = ox.NamedNode("https://w3id.org/hubgraph/id/position/refuses")
FIRST = "first"
"""Stands for a term picked from the data itself (``first_of``): the first holder, reporter or
country there, and the middle one of its dates."""

EVIDENCE_CASES: dict[str, tuple[str, dict[str, list[ox.NamedNode | ox.Literal | str]]]] = {
    "stances": ("stances", {"policy": [RETURN_HUBS]}),
    "stances-any-policy": ("stances", {}),
    "stances-latest": ("stances", {"policy": [RETURN_HUBS], "latest": [TRUE]}),
    "stances-asOf": ("stances", {"policy": [RETURN_HUBS], "asOf": [FIRST]}),
    "stances-asOf-latest-any-policy": ("stances", {"asOf": [FIRST], "latest": [TRUE]}),
    "stances-position": ("stances", {"policy": [RETURN_HUBS], "position": [REFUSES]}),
    "stances-holder": ("stances", {"holder": [FIRST], "latest": [TRUE]}),
    "stances-reportedBy": ("stances", {"policy": [RETURN_HUBS], "reportedBy": [FIRST]}),
    "stance-history": ("stance-history", {}),
    "stance-history-country": ("stance-history", {"country": [FIRST]}),
    "observations": ("observations", {}),
    "observations-country": ("observations", {"country": [FIRST]}),
    "quotes": ("quotes", {}),
    "quotes-speaker": ("quotes", {"speaker": [FIRST]}),
}
FIRST_OF = {
    "holder": "SELECT ?x WHERE { ?s a <{hg}Stance> ; <{hg}holder> ?x ; <{hg}towards> ?p }",
    "country": "SELECT ?x WHERE { ?s a <{hg}Stance> ; <{hg}holder> ?x . ?x a <{hg}Country> }",
    "reportedBy": "SELECT ?x WHERE { ?s a <{hg}Stance> ; <{hg}inSource>/<http://purl.org/dc/terms/publisher> ?x }",
    "asOf": "SELECT ?x WHERE { ?s a <{hg}Stance> ; <{hg}date> ?x }",
    "speaker": "SELECT ?x WHERE { ?q a <{hg}Quote> ; <{hg}speaker> ?x }",
}


def first_of(store: ox.Store | OxigraphStore, name: str) -> ox.NamedNode | ox.Literal:
    """The term that stands for ``FIRST``: the first in order of the parameter's kind (the
    middle date for ``asOf``, as a day)."""
    text = FIRST_OF[name].replace("{hg}", HG) + " ORDER BY ?x"
    if isinstance(store, OxigraphStore):
        found = [row[0] for row in store.query(text)]  # type: ignore[union-attr]
    else:
        found = [row[0] for row in store.query(text, use_default_graph_as_union=True)]  # type: ignore[union-attr]
    assert found, name
    if name == "asOf":
        days = sorted({term.value[:10] for term in found})
        return ox.Literal(days[len(days) // 2], datatype=DATE)
    return found[0]  # type: ignore[no-any-return]


@pytest.mark.parametrize("data", ["data", "synthetic", "older"])
@pytest.mark.parametrize("case", list(EVIDENCE_CASES))
def test_evidence_lookups_same_rows(request: pytest.FixtureRequest, case: str, data: str) -> None:
    name, given = EVIDENCE_CASES[case]
    store = request.getfixturevalue(f"{data}_store")
    bindings = {k: [first_of(store, k) if v == FIRST else v for v in vs] for k, vs in given.items()}
    new = normal_rows(store, ROOT / "queries" / f"{name}.rq", bindings)
    old = normal_rows(store, EVIDENCE_BEFORE / f"{name}.rq", bindings)
    if "position" not in given:
        assert old, f"{case} should give rows on the {data} data"
    assert sorted(new, key=repr) == sorted(old, key=repr)
    # The order is the ORDER BY's, up to ties among its keys.
    assert [r[:2] for r in new] == [r[:2] for r in old]
