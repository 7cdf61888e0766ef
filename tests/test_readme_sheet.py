"""The README's five commands for adding a source, run as written, with the outputs it shows.

They run in a copy of the project's data, with the first article's text as the new article
(the only full text at hand) and a fresh store, so the repository's own data is untouched.
The person's decisions between `new` and the second `validate` are made here as the README
describes them.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
ARTICLE_CANDIDATES = [
    Path(os.environ.get("HUBGRAPH_SOURCES_DIR", "/nonexistent")),
    ROOT.parent / "shared" / "sources",
    Path("/work/shared/sources"),
]
ARTICLE_NAME = "gbnews-2025-10-kosovo-return-hub.txt"


def section() -> str:
    start = README.index("## Adding a source: the coding sheet")
    return README[start : README.index("\n## ", start + 1)]


def commands() -> list[list[str]]:
    block = section().split("<!-- sheet-path -->\n```sh\n", 1)[1].split("```", 1)[0]
    return [shlex.split(line.split("  #", 1)[0]) for line in block.splitlines() if line.strip()]


def shown_blocks() -> list[str]:
    return re.findall(r"```text\n(.*?)```", section(), re.S)


def decide(sheet: Path) -> None:
    """What the README says the person decided."""
    text = sheet.read_text(encoding="utf-8")
    text = text.replace("coder: DECIDE", "coder: A. Coder")
    text = text.replace("url_note: DECIDE", 'url_note: "the URL is not at hand"')
    text = text.replace("first_hand: DECIDE", "first_hand: true")
    text = text.replace("policy: DECIDE", "policy: UK return hubs plan")
    for position in ("willing", "refuses", "refuses"):
        text = text.replace("position: DECIDE", f"position: {position}", 1)
    sheet.write_text(text, encoding="utf-8")


@pytest.mark.slow
def test_the_five_commands_add_a_source(tmp_path: Path) -> None:
    article = next(
        (d / ARTICLE_NAME for d in ARTICLE_CANDIDATES if (d / ARTICLE_NAME).is_file()), None
    )
    if article is None:
        pytest.skip("the first article's text is not beside the clone")
    for folder in ("data", "ontology", "queries"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    shutil.copy(article, tmp_path / "article.txt")
    env = {
        **os.environ,
        "HUBGRAPH_SOURCES_DIR": str(tmp_path),
        "HUBGRAPH_STORE": str(tmp_path / "var" / "store"),
        "COLUMNS": "100",
    }
    cmds = commands()
    assert [c[:2] for c in cmds] == [
        ["hubgraph", "new"],
        ["hubgraph", "validate"],
        ["hubgraph", "compile"],
        ["hubgraph", "load"],
        ["hubgraph", "run"],
    ]

    def run(argv: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "hubgraph.cli", *argv[1:]],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip

    new, validate, compile_, load, history = cmds
    assert run(new).returncode == 0
    first = run(validate)
    assert first.returncode != 0
    problems, history_shown = shown_blocks()
    shown = [line for line in problems.splitlines() if line != "…"]
    printed = (first.stdout + first.stderr).splitlines()
    for line in shown:
        assert line in printed, (line, printed)
    assert all("still to decide: replace DECIDE" in p for p in printed if p.startswith("data/"))

    decide(tmp_path / "data" / "sources" / "my-source.yaml")
    second = run(validate)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "ok  data/sources/my-source.yaml  (643 quads)" in second.stdout
    assert "ok  data/sources/my-source.yaml  (643 quads)" in section()
    rdf = run(compile_)
    assert rdf.returncode == 0, rdf.stderr
    assert re.search(r"^src:my-source \{", rdf.stdout, re.M), rdf.stdout[:2000]  # its own graph
    loaded = run(load)
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    answer = run(history)
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout.strip() == history_shown.strip()
