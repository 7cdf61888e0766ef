"""Outputs that cannot be turned against their readers: spreadsheet-safe CSV, terminal-safe
CLI tables, and links built from the configured public base URL, not the ``Host`` header."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import ROOT, LiveServer

from hubgraph.safe_text import printable

pytestmark = pytest.mark.slow

PUBLIC = "https://graph.example.org/hub/"
FORGED = "evil.example.net"
# Cells a spreadsheet would run, numbers that must stay numbers, and text that looks like one.
FORMULAS = """#+ title: Formulas
#+ description: Text that a spreadsheet would take for a formula, and numbers.
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
SELECT ?text ?number WHERE {
  VALUES (?text ?number) {
    ("=HYPERLINK(\\"http://evil.example/\\",\\"x\\")" -3)
    ("+1+2" "-4.5"^^xsd:decimal)
    ("-2+3" "-1.0E3"^^xsd:double)
    ("@SUM(A1:A2)" 7)
    ("\\tindented" "=1+1")
    ("\\rreturn" "-5"@en)
    ("plain" UNDEF)
  }
}
"""
EXPECTED_SAFE = [
    ["text", "number"],
    ['\'=HYPERLINK("http://evil.example/","x")', "-3"],
    ["'+1+2", "-4.5"],
    ["'-2+3", "-1000.0"],
    ["'@SUM(A1:A2)", "7"],
    ["'\tindented", "'=1+1"],
    ["'\rreturn", "'-5"],
    ["plain", ""],
]


@pytest.fixture(scope="module")
def crafted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("outputs")
    queries = folder / "queries"
    shutil.copytree(ROOT / "queries", queries)
    (queries / "formulas.rq").write_text(FORMULAS, encoding="utf-8")
    live = LiveServer(
        "memory",
        {"HUBGRAPH_QUERIES_DIR": str(queries), "HUBGRAPH_PUBLIC_BASE_URL": PUBLIC},
        log_dir=folder,
    )
    yield live
    live.stop()


def rows(response: httpx.Response) -> list[list[str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.text, newline="")))


@pytest.mark.parametrize(
    ("path", "params", "accept"),
    [
        ("/queries/formulas.csv", {"spreadsheet": "true"}, None),
        ("/queries/formulas", {"format": "csv-spreadsheet"}, None),
        ("/queries/formulas", {}, "text/csv; spreadsheet=true"),
    ],
)
def test_spreadsheet_csv_neutralises_formulas_and_keeps_numbers(
    crafted: LiveServer, path: str, params: dict[str, str], accept: str | None
) -> None:
    headers = {"Accept": accept} if accept else {}
    got = rows(httpx.get(crafted.url + path, params=params, headers=headers, timeout=30))
    assert got == EXPECTED_SAFE


def test_the_default_csv_stays_exact(crafted: LiveServer) -> None:
    got = rows(httpx.get(crafted.url + "/queries/formulas.csv", timeout=30))
    assert got[1][0].startswith("=HYPERLINK(") and got[5][0] == "\tindented"
    assert got[5][1] == "=1+1"
    sparql = httpx.get(
        crafted.url + "/sparql",
        params={"query": FORMULAS.split("\n", 2)[2]},
        headers={"Accept": "text/csv"},
        timeout=30,
    )
    assert rows(sparql)[1][0].startswith("=HYPERLINK(")


def test_spreadsheet_is_for_csv_only(crafted: LiveServer) -> None:
    response = httpx.get(
        crafted.url + "/queries/formulas", params={"spreadsheet": "true"}, timeout=30
    )
    assert response.status_code == 400
    assert response.json()["parameter"] == "spreadsheet"
    response = httpx.get(
        crafted.url + "/queries/formulas.csv", params={"spreadsheet": "maybe"}, timeout=30
    )
    assert response.status_code == 400


def test_links_use_the_public_base_url_not_a_forged_host(crafted: LiveServer) -> None:
    forged = {"Host": FORGED, "X-Forwarded-Host": FORGED}
    listed = httpx.get(crafted.url + "/queries", headers=forged, timeout=30).json()
    formulas = next(q for q in listed if q["name"] == "formulas")
    assert formulas["url"] == PUBLIC + "queries/formulas"
    assert formulas["csv"] == PUBLIC + "queries/formulas.csv"
    page = httpx.get(
        crafted.url + "/queries/formulas", params={"limit": 2}, headers=forged, timeout=30
    )
    assert page.json()["next"] == PUBLIC + "queries/formulas?limit=2&offset=2"
    assert page.headers["link"] == f'<{PUBLIC}queries/formulas?limit=2&offset=2>; rel="next"'
    for path in ("/void", "/sparql"):
        described = httpx.get(
            crafted.url + path, headers={**forged, "Accept": "text/turtle"}, timeout=30
        )
        assert described.status_code == 200, described.text
        assert f"<{PUBLIC}sparql>" in described.text
        assert FORGED not in described.text


def test_cli_tables_strip_terminal_control_characters(tmp_path: Path) -> None:
    query = (
        'SELECT ?x WHERE { VALUES ?x { "a\\u001B[2J\\u001B]0;pwned\\u0007b" '
        '"c\\u009B31md\\u0000e\\u007F" "tab\\tok" } }'
    )
    done = subprocess.run(
        [sys.executable, "-m", "hubgraph.cli", "--store", "memory", "query", query],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stdout and "\x9b" not in done.stdout and "\x00" not in done.stdout
    assert "\x07" not in done.stdout and "\x7f" not in done.stdout
    lines = done.stdout.splitlines()
    assert [line.strip() for line in lines[2:5]] == ["ab", "c31mde", "tab ok"]


def test_printable_keeps_text_and_drops_controls() -> None:
    assert (
        printable("Kurti: «We want to help»\n\tindented") == "Kurti: «We want to help»\n\tindented"
    )
    assert printable("\x1b[31mred\x1b[0m \x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\") == "red link"
    assert printable("a\x9b2Jb\x85c\rd") == "a2Jbcd"


def test_explorer_links_and_downloads_are_spreadsheet_safe() -> None:
    """The explorer builds its result CSV in the browser: the same rule, run with node."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("no node to run the explorer's script")
    script = (ROOT / "src" / "hubgraph" / "static" / "app.js").read_text(encoding="utf-8")
    assert "?spreadsheet=true" in script
    start = script.index("  const NUMERIC =")
    end = script.index("  // -- tabs")
    program = (
        "function plain(value) { if (value === null || value === undefined) return '';"
        " if (typeof value === 'object') return value.value; return String(value); }\n"
        + script[start:end]
        + "\nconst xsd = 'http://www.w3.org/2001/XMLSchema#';"
        "\nprocess.stdout.write(csvText(['text', 'number'], ["
        "[{type: 'literal', value: '=HYPERLINK(\"http://e/\")'}, {type: 'literal', value: '-3',"
        " datatype: xsd + 'integer'}],"
        "[{type: 'literal', value: '@x'}, {type: 'literal', value: '-1', datatype: xsd + 'string'}],"
        "[{type: 'uri', value: 'https://w3id.org/x'}, null]]));"
    )
    done = subprocess.run([node, "-e", program], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert list(csv.reader(io.StringIO(done.stdout, newline=""))) == [
        ["text", "number"],
        ['\'=HYPERLINK("http://e/")', "-3"],
        ["'@x", "'-1"],
        ["https://w3id.org/x", ""],
    ]


CONTROLS = """#+ title: Controls
#+ description: Values a terminal would obey, beside text CSV and JSON must keep exact.
SELECT ?x ?n WHERE {
  VALUES (?x ?n) {
    ("a\\u001B[2J\\u001B]0;pwned\\u0007b" 1)
    ("c\\u009B31md\\u0000e\\u007F" 2)
    ("comma, \\"quote\\"\\nnewline\\ttab" 3)
  }
}
"""
CONTROL_BYTES = ("\x1b", "\x9b", "\x00", "\x07", "\x7f")


def test_cli_run_csv_and_json_carry_no_terminal_controls(tmp_path: Path) -> None:
    queries = tmp_path / "queries"
    shutil.copytree(ROOT / "queries", queries)
    (queries / "controls.rq").write_text(CONTROLS, encoding="utf-8")
    expected = [
        "a\x1b[2J\x1b]0;pwned\x07b",
        "c\x9b31md\x00e\x7f",
        'comma, "quote"\nnewline\ttab',
    ]

    def run(fmt: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "hubgraph.cli", "--store", "memory", "run", "controls",
             "--format", fmt],
            capture_output=True, text=True, cwd=ROOT, timeout=120,
            env={**os.environ, "HUBGRAPH_QUERIES_DIR": str(queries)},
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert not any(c in done.stdout for c in CONTROL_BYTES), repr(done.stdout)
        return done.stdout

    # CSV cannot escape: the controls go, as in the table; the rest stays exact and quoted.
    rows = list(csv.reader(io.StringIO(run("csv"), newline="")))
    assert rows == [["x", "n"], *([printable(v), str(i)] for i, v in enumerate(expected, 1))]
    assert rows[1][0] == "ab" and rows[3][0] == 'comma, "quote"\nnewline\ttab'
    # JSON can: every value comes back exactly as the graph has it.
    records = json.loads(run("json"))
    assert records == [{"x": v, "n": i} for i, v in enumerate(expected, 1)]
