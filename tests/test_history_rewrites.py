"""The history queries rewritten for speed give the rows they gave before, in the same order,
on the history bench's synthetic data (many source graphs, contested and latest observations)."""

from __future__ import annotations

import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from hubgraph.queries import bind_values

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import history  # noqa: E402

BEFORE = Path(__file__).parent / "fixtures" / "queries-before"
DATE = ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")
AS_OF = ox.Literal("2023-01-01", datatype=DATE)
COUNTRY = ox.NamedNode("urn:the-first-holder")
"""Stands for the first holder in the data (the ``country`` fixture)."""
REFUSES = ox.NamedNode("https://w3id.org/hubgraph/id/position/refuses")


@pytest.fixture(scope="module")
def country(store: ox.Store) -> ox.NamedNode:
    [row] = store.query(
        "SELECT ?c WHERE { ?s <https://w3id.org/hubgraph/ontology#holder> ?c } ORDER BY ?c LIMIT 1",
        use_default_graph_as_union=True,
    )
    return row["c"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def store() -> ox.Store:
    text, _ = history.HistoryGenerator(10, 42).run()
    s = ox.Store()
    s.load(text.encode(), format=ox.RdfFormat.TRIG)
    return s


def rows(store: ox.Store, path: Path, bindings: dict[str, list[ox.Literal]]) -> list[tuple]:
    query = bind_values(path.read_text(encoding="utf-8"), bindings)
    return [tuple(r) for r in store.query(query, use_default_graph_as_union=True)]


@pytest.mark.parametrize(
    "bindings",
    [{}, {"latest": [ox.Literal(True)]}, {"asOf": [AS_OF]},
     {"asOf": [AS_OF], "latest": [ox.Literal(True)]},
     {"position": [REFUSES]}, {"position": [REFUSES], "latest": [ox.Literal(True)]},
     {"holder": [COUNTRY], "asOf": [AS_OF], "latest": [ox.Literal(True)]}],
    ids=["all", "latest", "asOf", "asOf-latest", "position", "position-latest",
         "holder-asOf-latest"],
)  # fmt: skip
def test_stances_same_rows(
    store: ox.Store, country: ox.NamedNode, bindings: dict[str, list[ox.Literal]]
) -> None:
    bindings = {k: [country if v is COUNTRY else v for v in vs] for k, vs in bindings.items()}
    before = rows(store, BEFORE / "stances.rq", bindings)
    after = rows(store, ROOT / "queries" / "stances.rq", bindings)
    assert before, "the synthetic data should give stances"
    assert after == before


def test_the_synthetic_data_has_contested_rows(store: ox.Store) -> None:
    got = rows(store, ROOT / "queries" / "stances.rq", {})
    contested = [r for r in got if r[-3] is not None and r[-3].value == "true"]
    assert 0 < len(contested) < len(got)


def test_a_parameter_binds_inside_the_sub_selects_that_name_it() -> None:
    text = (
        "SELECT ?s ?n WHERE { ?s ?p ?o . "
        "{ SELECT ?s (COUNT(*) AS ?n) WHERE { ?s ?q ?asOf } GROUP BY ?s } "
        "{ SELECT ?o WHERE { ?o ?r ?x } } }"
    )
    bound = bind_values(text, {"asOf": [AS_OF], "p": [REFUSES, COUNTRY]})
    _, outer, first, second = bound.split("WHERE {")
    assert "VALUES (?asOf ?p)" in outer  # every combination at the top
    assert first.count("VALUES") == 1 and "VALUES (?asOf)" in first  # only what it names
    assert "VALUES" not in second  # names neither: left alone
