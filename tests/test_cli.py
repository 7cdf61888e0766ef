"""The ``hubgraph`` command, run as a user runs it."""

from __future__ import annotations

import csv
import io
import json
import os
import shlex
import socket
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
import sheet_facts

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


def conditions_in_the_sheets() -> set[tuple[str, str]]:
    """(country, condition kind) of every observation the sheets code with a condition."""
    return {
        (o.holder.label, kind.replace("-", " "))
        for o in sheet_facts.observations()
        for kind in o.condition_kinds
    }


def test_run_countries_attaching_conditions(store: str) -> None:
    done = hubgraph(store, "run", "countries-attaching-conditions", "--format", "json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert {(r["countryLabel"], r["conditionKindLabel"]) for r in rows} == (
        conditions_in_the_sheets()
    )
    assert {"precondition", "reciprocal expectation"} <= {r["conditionKindLabel"] for r in rows}
    table = hubgraph(store, "run", "countries-attaching-conditions").stdout
    assert "Montenegro" in table and "Kosovo" in table and "precondition" in table
    assert f"({len(rows)} rows)" in table


def test_run_with_params_and_csv(store: str) -> None:
    done = hubgraph(store, "run", "stances", "--param", "position=refuses", "--format", "csv")
    assert done.returncode == 0, done.stderr
    holders = {row["holderLabel"] for row in csv.DictReader(io.StringIO(done.stdout))}
    refusers = {o.holder.label for o in sheet_facts.observations() if o.position == "refuses"}
    assert holders == refusers
    assert {"Albania", "Bosnia and Herzegovina"} <= holders and "Kosovo" not in holders


def test_query_formats(store: str) -> None:
    q = "SELECT (COUNT(*) AS ?n) WHERE { ?s a hg:Stance }"
    table = hubgraph(store, "query", q)
    assert table.returncode == 0, table.stderr
    assert "(1 row)" in table.stdout
    as_json = json.loads(hubgraph(store, "query", q, "--format", "json").stdout)
    # The first article's four observations (its North Macedonia row is The Times's claim).
    assert int(as_json["results"]["bindings"][0]["n"]["value"]) >= 4
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


def raw(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hubgraph.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_store_after_the_command(store: str, tmp_path: Path) -> None:
    """The README says every command takes --store: before the command or after it."""
    other = str(tmp_path / "other")
    done = raw("load", "--store", other)
    assert done.returncode == 0, done.stderr
    assert f"into {other}" in done.stdout
    after = raw("query", "ASK { ?s owl:sameAs wd:Q1246 }", "--store", store)
    assert after.stdout.strip() == "true"
    # Given in both places, the one after the command wins; given before only, it is kept.
    both = raw("--store", "memory", "load", "--store", str(tmp_path / "third"))
    assert both.returncode == 0 and "third" in both.stdout
    before = raw("--store", "memory", "load")
    assert before.returncode == 1 and "memory" in before.stderr


def test_no_arguments_prints_a_short_usage() -> None:
    done = raw()
    assert done.returncode == 2
    assert done.stderr.startswith("usage: hubgraph")
    for command in ("load", "query", "queries", "run", "export", "serve"):
        assert f"\n  {command} " in done.stderr
    assert "hubgraph serve" in done.stderr and "--help" in done.stderr
    assert len(done.stderr.splitlines()) < 20
    assert "Traceback" not in done.stderr


def test_serve_on_a_busy_port_says_how_to_pick_another(store: str) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        done = raw("--store", store, "serve", "--port", str(port))
    assert done.returncode == 1
    assert done.stderr.startswith("Error: ")
    assert f"port {port}" in done.stderr and "in use" in done.stderr
    assert "--port" in done.stderr and "HUBGRAPH_PORT" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.splitlines()) == 1


@pytest.mark.parametrize("args", [("export",), ("query", "SELECT * WHERE { ?s ?p ?o }")])
def test_output_into_a_closed_pipe_is_quiet(store: str, args: tuple[str, ...]) -> None:
    command = " ".join(
        shlex.quote(a) for a in (sys.executable, "-m", "hubgraph.cli", "--store", store, *args)
    )
    done = subprocess.run(
        ["bash", "-o", "pipefail", "-c", f"{command} | head -n 2"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert len(done.stdout.splitlines()) == 2
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr
    assert done.returncode == 0, done.stderr


def test_run_fits_the_terminal(store: str) -> None:
    listed = hubgraph(store, "run", "countries-attaching-conditions", "--format", "json")
    rows = len(json.loads(listed.stdout))
    for columns in ("80", "120"):
        done = raw("--store", store, "run", "countries-attaching-conditions",
                   env={"COLUMNS": columns})  # fmt: skip
        assert done.returncode == 0, done.stderr
        lines = done.stdout.splitlines()
        assert max(len(line) for line in lines) <= int(columns)
        text = done.stdout
        for expected in ("Kosovo", "Montenegro", "precondition", "reciprocal expectation",
                         "Albin Kurti", "Milojko Spajić", "GB News"):  # fmt: skip
            assert expected in text, expected
        assert f"({rows} rows)" in text
        # The IRI columns that a label names are left out, and the user is told so.
        assert "https://w3id.org" not in text
        assert "--columns" in done.stderr


def test_run_chooses_columns_and_wide(store: str) -> None:
    done = raw("--store", store, "run", "countries-attaching-conditions",
               "--columns", "countryLabel,conditionKindLabel,voicedByLabel", env={"COLUMNS": "80"})  # fmt: skip
    assert done.returncode == 0, done.stderr
    header, rule, *rows = done.stdout.splitlines()
    assert header.split() == ["countryLabel", "conditionKindLabel", "voicedByLabel"]
    assert set(rule) <= {"-", " "}
    assert any(r.split()[0] == "Kosovo" and "reciprocal expectation" in r for r in rows)
    wide = raw("--store", store, "run", "countries-attaching-conditions", "--wide",
               env={"COLUMNS": "80"})  # fmt: skip
    header = wide.stdout.splitlines()[0].split()
    assert "countryEntity" in header and "quote" in header
    assert "We want to help the UK" in wide.stdout  # uncut
    bad = raw("--store", store, "run", "refusals", "--columns", "nope")
    assert bad.returncode == 1 and "no column 'nope'" in bad.stderr
    assert "countryLabel" in bad.stderr


def test_queries_lists_the_allowed_values(store: str) -> None:
    listed = hubgraph(store, "queries").stdout
    block = listed.split("countries-attaching-conditions\n")[1].split("\n\n")[0]
    assert "one of: precondition, reciprocal-expectation" in block
    stances = listed.split("\nstances\n")[1]
    assert "one of:" in stances and "refuses" in stances and "willing" in stances
