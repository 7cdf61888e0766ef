"""The README stays honest: what it names exists, and what exists is named in it."""

from __future__ import annotations

import ast
import dataclasses
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from hubgraph.cli import COMMANDS
from hubgraph.config import Settings

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_canned_query_is_in_the_readme() -> None:
    for path in (ROOT / "queries").glob("*.rq"):
        assert f"`{path.stem}`" in README, path.stem


def test_every_cli_command_is_in_the_readme() -> None:
    for name in COMMANDS:
        assert f"hubgraph {name}" in README, name


def test_every_setting_is_in_the_readme() -> None:
    internal = {"data_dir", "ontology_dir", "queries_dir"}
    for field in dataclasses.fields(Settings):
        if field.name not in internal:
            assert f"HUBGRAPH_{field.name.upper()}" in README, field.name


def test_the_two_commands_are_the_makefile_targets_and_ci_runs_the_second() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "make serve" in README and "make test" in README
    assert re.search(r"^serve:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    assert (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1] == "make test"


def test_the_first_query_prints_what_the_readme_shows(tmp_path: Path) -> None:
    block = re.search(r"\.venv/bin/hubgraph query '(.*?)'\n```\n```\n(.*?)```", README, re.S)
    assert block, "the README's CLI example is missing"
    query, shown = block.group(1), block.group(2)
    store = str(tmp_path / "store")
    done = subprocess.run(
        [sys.executable, "-m", "hubgraph.cli", "--store", store, "query", query],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == shown


# -- the README's examples, run in the order a reader meets them --------------------------------
README_URL = "http://127.0.0.1:8000"
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```\n(?:```\n(.*?)^```\n)?", re.S | re.M)


def blocks() -> list[tuple[str, str, str | None]]:
    """(language, code, the output block shown right after it, if any), in README order."""
    return [(m.group(1), m.group(2), m.group(3)) for m in BLOCK.finditer(README)]


def test_pandas_is_installed_before_it_is_imported() -> None:
    """Right after `make serve`, pandas is not there: the README must say how to get it
    before its first example needs it."""
    install = README.index("pip install -e '.[pandas]'")
    assert install < README.index("import pandas")
    assert install < README.index("canned_dataframe(")
    setup = (ROOT / "pyproject.toml").read_text()
    assert re.search(r'^pandas = \["pandas', setup, re.M), "the [pandas] extra is gone"


def shown_cells(shown: str) -> list[list[str]]:
    """The cells of a DataFrame as the README shows it (header and "…" left out)."""
    rows = []
    for line in shown.splitlines()[1:]:
        cells = re.split(r"\s{2,}", line.strip())
        rows.append([c for c in cells[1:] if c != "…"])  # cells[0] is the index
    return rows


def check_repl_comment(line: str, value: object) -> None:
    """`expr   # 'Kosovo'`: what the README says the prompt prints."""
    if "#" not in line:
        return
    comment = line.split("#", 1)[1].strip()
    try:
        expected = ast.literal_eval(comment)
    except (ValueError, SyntaxError):
        return  # prose, not a value
    assert value == expected, f"{line.strip()} gives {value!r}"


@pytest.mark.slow
@pytest.mark.parametrize("server", ["embedded"], indirect=True)
def test_readme_examples_run_in_order(server, base_url: str) -> None:  # type: ignore[no-untyped-def]
    namespace: dict[str, object] = {}
    ran = {"sh": 0, "python": 0}
    for language, code, shown in blocks():
        code = code.replace(README_URL, base_url)
        if language == "sh" and code.startswith("curl "):
            done = subprocess.run(["bash", "-c", code], capture_output=True, text=True, timeout=60)
            assert done.returncode == 0, done.stderr
            assert shown is not None
            assert done.stdout.replace("\r\n", "\n").strip() == shown.strip()
            ran["sh"] += 1
        elif language == "python":
            lines = code.splitlines()
            body = ast.parse(code).body
            for statement in body:
                source = ast.get_source_segment(code, statement)
                assert source is not None
                if isinstance(statement, ast.Expr):
                    value = eval(
                        compile(ast.Expression(statement.value), "README", "eval"), namespace
                    )
                    check_repl_comment(lines[statement.end_lineno - 1], value)  # type: ignore[operator]
                    if shown is not None and statement is body[-1]:
                        frame = value
                        table = [[str(v) for v in row] for row in frame.values.tolist()]  # type: ignore[attr-defined]
                        for want, have in zip(shown_cells(shown), table, strict=True):
                            assert want == have[: len(want)], (want, have)
                else:
                    exec(compile(ast.Module([statement], []), "README", "exec"), namespace)
            ran["python"] += 1
    assert ran["python"] >= 2 and ran["sh"] >= 1, ran
    # The curl line in the text, too: JSON records as described.
    inline = re.search(r"`curl '(http://127\.0\.0\.1:8000/queries/[^']+)'`", README)
    assert inline
    records = httpx.get(inline.group(1).replace(README_URL, base_url), timeout=30).json()
    assert {"columns", "rows", "truncated", "next"} <= set(records)
    assert records["rows"] and all(set(r) == set(records["columns"]) for r in records["rows"])
    assert "Albania" in str(records["rows"]) and "Kosovo" not in str(records["rows"])
