"""The history queries rewritten for speed give the rows they gave before, in the same order,
on the history bench's synthetic data (many source graphs, contested and latest observations);
``changes`` and ``disputes`` also on the dates-as-intervals fixture (days, months and years)
and on the real data."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from hubgraph.queries import bind_values
from hubgraph.store import OxigraphStore

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import history  # noqa: E402

BEFORE = Path(__file__).parent / "fixtures" / "queries-before"
DATE = ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")
AS_OF = ox.Literal("2023-01-01", datatype=DATE)
COUNTRY = ox.NamedNode("urn:the-first-holder")
"""Stands for the first holder in the data (the ``country`` fixture)."""
REFUSES = ox.NamedNode("https://w3id.org/hubgraph/id/position/refuses")
RETURN_HUBS = ox.NamedNode("https://w3id.org/hubgraph/id/policy/uk-return-hubs")
RWANDA = ox.NamedNode("https://w3id.org/hubgraph/id/policy/uk-rwanda-scheme")
FIXTURE = Path(__file__).parent / "fixtures" / "history-test-data.trig"


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


@pytest.fixture(scope="module")
def interval_store() -> ox.Store:
    """The dates-as-intervals fixture and the ontology (positions' labels)."""
    s = ox.Store()
    for path in sorted((ROOT / "ontology").glob("*.ttl")):
        s.load(path=str(path), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(ROOT.as_uri()))
    s.load(path=str(FIXTURE), format=ox.RdfFormat.TRIG)
    return s


def mixed_precision_trig(seed: int, countries: int = 2, per_country: int = 20) -> str:
    """Observations dated to the day, the month or the year (in and across the same years and
    months, on the same days, some with two sources), with random positions: every case of
    "begins after it ends" and "nothing wholly between" that a calendar bucket can meet."""
    rng = random.Random(seed)
    hg = "https://w3id.org/hubgraph/ontology#"
    xsd = "http://www.w3.org/2001/XMLSchema#"
    lines = [f"<{RETURN_HUBS.value}> a <{hg}Policy> ."]
    for c in range(countries):
        country = f"urn:test:country-{c}"
        lines.append(f"<{country}> a <{hg}Country> .")
        for i in range(per_country):
            year = rng.choice([2023, 2024, 2024, 2025])
            month, day = rng.randint(1, 12), rng.randint(1, 28)
            date = rng.choice([
                f'"{year}"^^<{xsd}gYear>', f'"{year}-{month:02d}"^^<{xsd}gYearMonth>',
                f'"{year}-{month:02d}-{day:02d}"^^<{xsd}date>', f'"{year}-{month:02d}-01"^^<{xsd}date>',
                f'"{year}-{month:02d}-28"^^<{xsd}date>', f'"{year}-12-31"^^<{xsd}date>',
            ])  # fmt: skip
            position = rng.choice(["willing", "refuses", "open-to-talks"])
            node = f"<urn:test:obs-{c}-{i}>"
            lines.append(
                f"{node} a <{hg}Stance> ; <{hg}holder> <{country}> ; <{hg}towards> "
                f"<{RETURN_HUBS.value}> ; <{hg}position> <https://w3id.org/hubgraph/id/position/"
                f"{position}> ; <{hg}date> {date} ; <{hg}inSource> <urn:test:source-{i % 7}> ."
            )
            if rng.random() < 0.2:
                lines.append(f"{node} <{hg}inSource> <urn:test:source-extra> .")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_changes_same_rows_over_mixed_precision_dates(seed: int) -> None:
    s = ox.Store()
    s.load(mixed_precision_trig(seed).encode(), format=ox.RdfFormat.TURTLE)
    before = rows(s, BEFORE / "changes.rq", {})
    after = rows(s, ROOT / "queries" / "changes.rq", {})
    assert len(before) > 20
    assert_same_changes(after, before)
    assert after == rows(s, VIRTUOSO / "changes.rq", {})


VIRTUOSO = ROOT / "queries" / "virtuoso"
CHANGES_PAIR = (0, 10, 11)
"""Where ``changes`` gives ?country, ?fromObservation and ?toObservation."""


def assert_same_changes(after: list[tuple], before: list[tuple]) -> None:
    """The same rows, and in the same order but for ties: the text before ordered on fewer
    columns, so rows that differ only in their sources (or positions, dates) came in any order.
    Both texts of now order on every column, so they agree row for row."""
    assert sorted(map(str, after)) == sorted(map(str, before))
    pairs = [[r[i] for i in CHANGES_PAIR] for r in after]
    assert pairs == [[r[i] for i in CHANGES_PAIR] for r in before]


def rows(
    store: ox.Store | OxigraphStore, path: Path, bindings: dict[str, list[ox.NamedNode]]
) -> list[tuple]:
    query = bind_values(path.read_text(encoding="utf-8"), bindings)
    if isinstance(store, OxigraphStore):
        return [tuple(r) for r in store.query(query)]  # type: ignore[union-attr]
    return [tuple(r) for r in store.query(query, use_default_graph_as_union=True)]  # type: ignore[union-attr]


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


POLICIES = [{}, {"policy": [RETURN_HUBS]}, {"policy": [RWANDA]}, {"policy": [RETURN_HUBS, RWANDA]}]
POLICY_IDS = ["any-policy", "return-hubs", "rwanda", "both"]


@pytest.mark.parametrize("data", ["synthetic", "intervals", "data", "mixed"])
@pytest.mark.parametrize("bindings", POLICIES, ids=POLICY_IDS)
def test_changes_same_rows(
    request: pytest.FixtureRequest, data: str, bindings: dict[str, list[ox.NamedNode]]
) -> None:
    """``mixed``: the synthetic data with dates of every kind (see ``mixed_store``)."""
    store = request.getfixturevalue({"synthetic": "store", "intervals": "interval_store",
                                     "data": "data_store", "mixed": "mixed_store"}[data])  # fmt: skip
    before = rows(store, BEFORE / "changes.rq", bindings)
    after = rows(store, ROOT / "queries" / "changes.rq", bindings)
    if bindings.get("policy") != [RWANDA]:
        assert before, f"the {data} data should give changes"
    assert_same_changes(after, before)
    assert after == rows(store, VIRTUOSO / "changes.rq", bindings)


@pytest.mark.parametrize("data", ["synthetic", "intervals", "data"])
def test_disputes_same_rows(request: pytest.FixtureRequest, data: str) -> None:
    store = request.getfixturevalue({"synthetic": "store", "intervals": "interval_store",
                                     "data": "data_store"}[data])  # fmt: skip
    before = rows(store, BEFORE / "disputes.rq", {})
    after = rows(store, ROOT / "queries" / "disputes.rq", {})
    assert before, f"the {data} data should give disputes"
    assert after == before


XSD = "http://www.w3.org/2001/XMLSchema#"
HG = "https://w3id.org/hubgraph/ontology#"


@pytest.fixture(scope="module")
def mixed_store(store: ox.Store) -> ox.Store:
    """The synthetic data with dates of every kind: some observations known to the month or
    the year only (whose intervals hold the days of others), some dated with a time zone or a
    time of day, a five-digit year, and some undated; and a source with no publisher."""
    s = ox.Store()
    s.extend(store.quads_for_pattern(None, None, None, None))
    date = ox.NamedNode(HG + "date")
    stances = sorted(
        (q for q in s.quads_for_pattern(None, date, None, None)), key=lambda q: q.subject.value
    )
    for i, q in enumerate(stances):
        text = q.object.value
        new: ox.Literal | None
        if i % 5 == 1:
            new = ox.Literal(text[:7], datatype=ox.NamedNode(XSD + "gYearMonth"))
        elif i % 7 == 3:
            new = ox.Literal(text[:4], datatype=ox.NamedNode(XSD + "gYear"))
        elif i % 11 == 5:
            new = ox.Literal(text[:4] + "Z", datatype=ox.NamedNode(XSD + "gYear"))
        elif i % 13 == 6:
            new = ox.Literal(text[:7] + "Z", datatype=ox.NamedNode(XSD + "gYearMonth"))
        elif i % 17 == 8:
            new = ox.Literal(text + "T10:00:00Z", datatype=ox.NamedNode(XSD + "dateTime"))
        elif i % 19 == 9:
            new = ox.Literal("1" + text, datatype=ox.NamedNode(XSD + "date"))
        elif i % 23 == 10:
            new = None
        else:
            continue
        s.remove(q)
        if new is not None:
            s.add(ox.Quad(q.subject, date, new, q.graph_name))
    publisher = ox.NamedNode("http://purl.org/dc/terms/publisher")
    for q in list(s.quads_for_pattern(UNPUBLISHED, publisher, None, None)):
        s.remove(q)
    # Its observations cite an outlet: without one they would have no reporter, and no row.
    cited = ox.NamedNode("https://w3id.org/hubgraph/id/organisation/hist-publisher-1")
    in_source = ox.NamedNode(HG + "inSource")
    for q in list(s.quads_for_pattern(None, in_source, UNPUBLISHED, None)):
        s.add(ox.Quad(q.subject, ox.NamedNode(HG + "citing"), cited, q.graph_name))
    return s


UNPUBLISHED = ox.NamedNode("https://w3id.org/hubgraph/source/hist-000003")
PUBLISHER_LABEL_COLUMNS = (18, 21)
"""Where ``stances`` gives ?source and ?publisherLabel."""


@pytest.mark.parametrize(
    "bindings",
    [{}, {"latest": [ox.Literal(True)]}, {"asOf": [AS_OF]},
     {"asOf": [AS_OF], "latest": [ox.Literal(True)]},
     {"position": [REFUSES], "latest": [ox.Literal(True)]}],
    ids=["all", "latest", "asOf", "asOf-latest", "position-latest"],
)  # fmt: skip
def test_stances_same_rows_with_dates_of_every_kind(
    mixed_store: ox.Store, bindings: dict[str, list[ox.Literal]]
) -> None:
    before = rows(mixed_store, BEFORE / "stances.rq", bindings)
    after = rows(mixed_store, ROOT / "queries" / "stances.rq", bindings)
    assert before, "the data should give stances"
    # Before, a source with no publisher took any label in the graph as its publisher's (the
    # label's pattern stood outside the publisher's OPTIONAL); now it has none. Otherwise the
    # rows are the same.
    source, label = PUBLISHER_LABEL_COLUMNS
    unpublished = UNPUBLISHED.value
    assert all(r[label] is None for r in after if r[source].value == unpublished)
    if not bindings:
        assert any(r[source].value == unpublished for r in after)
    assert [without_label(r) for r in after] == [without_label(r) for r in before]


def without_label(row: tuple) -> tuple:
    source, label = PUBLISHER_LABEL_COLUMNS
    if row[source].value != UNPUBLISHED.value:
        return row
    return (*row[:label], None, *row[label + 1 :])


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
