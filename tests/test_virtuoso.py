"""The query service straight over a real Virtuoso (Debian package ``virtuoso-opensource``,
installed by ``make setup-test``), started per module. The HTTP API suite runs over Virtuoso too:
see the ``server`` fixture in conftest."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pyoxigraph as ox
import pytest
from conftest import ROOT, VirtuosoServer, need_virtuoso

from hubgraph.config import Settings
from hubgraph.errors import QuerySyntaxError
from hubgraph.queries import bind_values
from hubgraph.runtime import open_service
from hubgraph.service import QueryService

pytestmark = [pytest.mark.virtuoso]


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh Virtuoso on loopback; yields its SPARQL endpoint."""
    need_virtuoso()
    server = VirtuosoServer(tmp_path_factory.mktemp("virtuoso"))
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="module")
def service(virtuoso: str) -> Iterator[QueryService]:
    settings = Settings(
        store=virtuoso,
        update_endpoint=virtuoso,
        data_dir=ROOT / "data",
        ontology_dir=ROOT / "ontology",
        queries_dir=ROOT / "queries",
        service_allowlist=(),
        workers=1,
        # Virtuoso is never empty (it keeps its own system graphs), so hubgraph's "load data/
        # into an empty store" would never fire: load explicitly.
        load_on_start=True,
        # stances takes Virtuoso over the default 30 s on a busy machine.
        query_timeout=180.0,
    )
    service = open_service(settings, serving=True)
    try:
        yield service
    finally:
        service.close()


def column(page, name: str) -> list[str]:  # type: ignore[no-untyped-def]
    i = page.variables.index(name)
    return [row[i].value for row in page.rows if row[i] is not None]


def test_conditions(service: QueryService) -> None:
    page = service.canned("countries-attaching-conditions", {})
    assert set(column(page, "countryLabel")) == {"Kosovo", "Montenegro"}
    assert set(
        zip(column(page, "countryLabel"), column(page, "conditionKindLabel"), strict=True)
    ) == {
        ("Kosovo", "reciprocal expectation"),
        ("Montenegro", "precondition"),
    }


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[QueryService]:
    """The same data in hubgraph's own embedded store: the expectations come from it, not from
    numbers written into the tests, so they follow the data."""
    settings = Settings(
        store=str(tmp_path_factory.mktemp("embedded") / "store"),
        data_dir=ROOT / "data",
        ontology_dir=ROOT / "ontology",
        queries_dir=ROOT / "queries",
        service_allowlist=(),
        workers=1,
    )
    service = open_service(settings, serving=True)
    try:
        yield service
    finally:
        service.close()


def test_refusals(service: QueryService, embedded: QueryService) -> None:
    expected = set(column(embedded.canned("refusals", {}), "countryLabel"))
    assert {"Albania", "Bosnia and Herzegovina"} <= expected  # the first article's refusals
    assert set(column(service.canned("refusals", {}), "countryLabel")) == expected


def test_streamed_count(service: QueryService, embedded: QueryService) -> None:
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s a hg:Stance }"
    streamed = service.sparql(query, format_name="csv")
    rows = list(csv.reader(io.StringIO(b"".join(streamed.chunks).decode())))
    embedded_rows = list(
        csv.reader(io.StringIO(b"".join(embedded.sparql(query, format_name="csv").chunks).decode()))
    )
    assert int(embedded_rows[1][0]) > 5  # more than the first article's five observations
    assert rows == embedded_rows  # Virtuoso quotes the header ("n"); csv reads it the same


def test_malformed_query(service: QueryService) -> None:
    with pytest.raises(QuerySyntaxError):
        b"".join(service.sparql("SELECT ?x WHERE { ?x ").chunks)


# Not asOf: on Virtuoso 7.2 stances with asOf runs past 150 s on data/ before the rewrite as
# after it (measured 2 December 2026), longer than this suite can wait; the embedded store's
# comparison (tests/test_history_rewrites.py) covers asOf.
@pytest.mark.parametrize(
    "bindings", [{}, {"latest": [ox.Literal(True)]}], ids=["all", "latest"]
)  # fmt: skip
def test_stances_as_before(service: QueryService, bindings: dict[str, list[ox.Literal]]) -> None:
    """The rewritten stances gives on Virtuoso the observations, reporters, sources and
    contested marks that the query before the rewrite gave there."""

    def key(text: str) -> list[tuple[str | None, ...]]:
        got = service.select(bind_values(text, bindings))
        names = list(got.variables)
        at = [names.index(n) for n in ("stance", "reportedBy", "source", "date", "contested")]
        return sorted(tuple(None if r[i] is None else r[i].value for i in at) for r in got.rows)

    before = key((ROOT / "tests" / "fixtures" / "queries-before" / "stances.rq").read_text())
    assert before
    assert key((ROOT / "queries" / "stances.rq").read_text()) == before


CONCATENATED = {"quote", "statement", "conditions", "conditionKinds"}


RETURN_HUBS = ox.NamedNode("https://w3id.org/hubgraph/id/policy/uk-return-hubs")


@pytest.mark.parametrize(
    ("name", "bindings"),
    [("stances", {}), ("stances", {"policy": [RETURN_HUBS]}), ("stance-history", {}),
     ("observations", {}), ("quotes", {})],
    ids=["stances", "stances-policy", "stance-history", "observations", "quotes"],
)  # fmt: skip
def test_evidence_lookups_as_before(
    service: QueryService, name: str, bindings: dict[str, list[ox.NamedNode]]
) -> None:
    """The texts that look each row's quotes up give on Virtuoso every column of every row that
    their earlier texts (tests/fixtures/queries-before/evidence/) gave there, or the store
    kind keeps the earlier text (queries/virtuoso/)."""

    def normal(text: str) -> list[tuple[str | None, ...]]:
        got = service.select(bind_values(text, bindings))
        names = list(got.variables)
        rows = []
        for r in got.rows:
            row: list[str | None] = []
            for n, term in zip(names, r, strict=True):
                value = None if term is None else term.value
                if n in CONCATENATED and value is not None:
                    value = " | ".join(sorted(value.split(" | ")))
                row.append(value)
            rows.append(tuple(row))
        return sorted(rows, key=repr)

    own = ROOT / "queries" / "virtuoso" / f"{name}.rq"
    text = (own if own.exists() else ROOT / "queries" / f"{name}.rq").read_text()
    before = ROOT / "tests" / "fixtures" / "queries-before" / "evidence" / f"{name}.rq"
    expected = normal(before.read_text())
    assert expected
    assert normal(text) == expected


def test_changes_runs_its_own_text(service: QueryService, embedded: QueryService) -> None:
    """Virtuoso runs the pairwise text of changes (queries/virtuoso/), which gives there the
    rows that the linear text gives on the embedded store, in the same order."""
    assert service.store.kind == "virtuoso" and embedded.store.kind == "oxigraph"
    columns = ("country", "fromObservation", "toObservation", "fromSource", "toSource", "from",
               "to", "fromDate", "toDate")  # fmt: skip

    def key(page) -> list[tuple[str | None, ...]]:  # type: ignore[no-untyped-def]
        at = [page.variables.index(n) for n in columns]
        return [tuple(None if r[i] is None else r[i].value for i in at) for r in page.rows]

    expected = key(embedded.canned("changes", {}, limit=1000))
    assert expected
    assert key(service.canned("changes", {}, limit=1000)) == expected
