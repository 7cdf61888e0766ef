"""The ``hubgraph`` command, run as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from hubgraph.config import Settings

ROOT = Path(__file__).resolve().parents[1]


def hubgraph(store: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hubgraph.cli", "--store", store, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = str(tmp_path_factory.mktemp("cli") / "store")
    done = hubgraph(path, "load")
    assert done.returncode == 0, done.stderr
    assert "loaded" in done.stdout
    return path


def test_run_countries_attaching_conditions(store: str) -> None:
    done = hubgraph(store, "run", "countries-attaching-conditions", "--format", "json")
    assert done.returncode == 0, done.stderr
    rows = {r["countryLabel"]: r["conditionKindLabel"] for r in json.loads(done.stdout)}
    assert rows == {"Montenegro": "precondition", "Kosovo": "reciprocal expectation"}
    table = hubgraph(store, "run", "countries-attaching-conditions").stdout
    assert "Montenegro" in table and "Kosovo" in table and "precondition" in table
    assert "(2 rows)" in table


def test_run_with_params_and_csv(store: str) -> None:
    done = hubgraph(store, "run", "stances", "--param", "position=refuses", "--format", "csv")
    assert done.returncode == 0, done.stderr
    assert "Albania" in done.stdout and "Bosnia and Herzegovina" in done.stdout
    assert "Kosovo" not in done.stdout


def test_query_formats(store: str) -> None:
    q = "SELECT (COUNT(*) AS ?n) WHERE { ?s a hg:Stance }"
    table = hubgraph(store, "query", q)
    assert table.returncode == 0, table.stderr
    assert "(1 row)" in table.stdout
    as_json = json.loads(hubgraph(store, "query", q, "--format", "json").stdout)
    assert int(as_json["results"]["bindings"][0]["n"]["value"]) >= 5
    assert hubgraph(store, "query", q, "--format", "csv").stdout.splitlines()[0] == "n"
    turtle = hubgraph(store, "query", "CONSTRUCT WHERE { ?s a hg:Country }").stdout
    assert len(list(ox.parse(turtle.encode(), ox.RdfFormat.TURTLE))) >= 9


def test_query_from_file(store: str, tmp_path: Path) -> None:
    path = tmp_path / "q.rq"
    path.write_text("ASK { ?s owl:sameAs wd:Q1246 }")
    done = hubgraph(store, "query", "--file", str(path))
    assert done.stdout.strip() == "true"


def test_queries_lists_every_rq_file(store: str) -> None:
    listed = hubgraph(store, "queries").stdout
    for path in (ROOT / "queries").glob("*.rq"):
        assert path.stem in listed


def test_validate(store: str, settings: Settings) -> None:
    done = hubgraph(store, "validate")
    assert done.returncode == 0 and "ok" in done.stdout


def test_export_round_trips(store: str) -> None:
    for fmt, rdf in (
        ("trig", ox.RdfFormat.TRIG),
        ("nquads", ox.RdfFormat.N_QUADS),
        ("jsonld", ox.RdfFormat.JSON_LD),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "hubgraph.cli", "--store", store, "export", "--format", fmt],
            capture_output=True,
            cwd=ROOT,
            timeout=120,
        )
        assert done.returncode == 0
        quads = list(ox.parse(done.stdout, rdf))
        assert len(quads) > 1000
        assert {q.graph_name for q in quads} >= {
            ox.NamedNode("https://w3id.org/hubgraph/source/gbnews-2025-10-kosovo-return-hub")
        }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("run", "nope"), "no canned query named 'nope'"),
        (("run", "stances", "--param", "position=maybe"), "parameter 'position'"),
        (("run", "actor"), "needs parameter 'actor'"),
        (("run", "stances", "--param", "colour=red"), "no parameter 'colour'"),
        (("query", "SELECT * WHERE { ?s ?p }"), "malformed query"),
        (("query", "INSERT DATA { <a:b> <a:c> <a:d> }"), "read-only"),
        (("load", "no/such/file.trig"), "no such file"),
    ],
)
def test_mistakes_print_error_and_exit_nonzero(
    store: str, args: tuple[str, ...], message: str
) -> None:
    done = hubgraph(store, *args)
    assert done.returncode == 1
    assert done.stderr.startswith("Error: ")
    assert message in done.stderr
    assert "Traceback" not in done.stderr
