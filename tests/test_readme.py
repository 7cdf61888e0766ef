"""The README stays honest: what it names exists, and what exists is named in it."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from pathlib import Path

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
