"""Large RDF files parsed in the checks' child while the store bulk-loads their bytes.

Into a new store, ``hubgraph load`` of large RDF files never parses them in the loading
process: the child parses and checks them while the store writes the very same bytes, and
the new version is published only on a clean verdict (or, with ``PARSE_IN_CHILD`` off, it
parses them itself and the store still bulk-loads their bytes). Each case here is loaded
those ways and checked first in-process, each into a new store of its own: the same quads
and report when the sources are good; the same error, and nothing loaded, when one is not.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from test_loader import ARTICLE, article_text, article_without_a_holder, canonical, write_variant

from hubgraph import loader as loader_module
from hubgraph.config import Settings
from hubgraph.errors import LoadError
from hubgraph.loader import LoadReport
from hubgraph.runtime import load_data
from hubgraph.store import OxigraphStore
from hubgraph.vocabulary import SOURCE

Outcome = tuple[object, OxigraphStore]
"""What a load returned or raised, and the store it loaded into."""
Ways = Callable[[list[Path]], tuple[Outcome, Outcome, Outcome]]


@pytest.fixture
def parsed_here() -> list[Path]:
    """The RDF sources that the loading process parsed itself in the load parsed beside."""
    return []


@pytest.fixture
def each_way(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parsed_here: list[Path]
) -> Ways:
    """Load ``paths`` into a new store checked in-process, into another parsed beside, and
    into a third parsed here and written from its bytes: what each load returned or
    raised, and its store."""
    parent = os.getpid()
    read_source = loader_module.read_source

    def not_here(path: Path, *args: object, **kwargs: object) -> loader_module.Source:
        if path.suffix == ".trig" and beside and os.getpid() == parent:
            parsed_here.append(path)
        return read_source(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(loader_module, "read_source", not_here)
    beside = False

    def load(paths: list[Path]) -> tuple[Outcome, Outcome, Outcome]:
        nonlocal beside
        outcomes: list[Outcome] = []
        for name, at in (("here", 1 << 62), ("beside", 0), ("bytes", 0)):
            beside = name == "beside"
            monkeypatch.setattr(loader_module, "CHECK_BESIDE_FROM", at)
            monkeypatch.setattr(loader_module, "PARSE_BESIDE_FROM", at)
            monkeypatch.setattr(loader_module, "FILE_BESIDE_FROM", at)
            monkeypatch.setattr(loader_module, "PARSE_IN_CHILD", name != "bytes")
            store = OxigraphStore(tmp_path / name / "store")
            try:
                outcome: object = load_data(store, settings, paths)
            except LoadError as exc:
                outcome = exc
            outcomes.append((outcome, store))
        return outcomes[0], outcomes[1], outcomes[2]

    return load


def test_good_files_load_the_same_parsed_beside(
    settings: Settings, tmp_path: Path, each_way: Ways, parsed_here: list[Path]
) -> None:
    good = write_variant(tmp_path, article_text(settings).replace(ARTICLE, "gbnews-new"), "gbnews-new.trig")  # fmt: skip
    (here, here_store), *others = each_way([settings.data_dir, good])
    assert isinstance(here, LoadReport) and SOURCE + "gbnews-new" in here.graphs
    for report, store in others:
        assert isinstance(report, LoadReport) and report.graphs == here.graphs
        assert canonical(store) == canonical(here_store)
        assert canonical(OxigraphStore(store.path, read_only=True)) == canonical(here_store)
        assert store.interrupted_load() == []
    assert parsed_here == []


def lines_with(text: str, before: str, line: str) -> str:
    lines = text.splitlines()
    at = next(i for i, row in enumerate(lines) if before in row)
    lines.insert(at, line)
    return "\n".join(lines)


BAD = {
    "a shape violated": lambda s: article_without_a_holder(s),
    "a syntax error": lambda s: lines_with(
        article_text(s), "montenegro-open-if-investment> a hg:Stance",
        "    <http://example.org/a> <http://example.org/b> .",
    ),
    "a triple outside any graph": lambda s: article_text(s).replace(ARTICLE, "gbnews-new")
    + "\n<http://example.org/a> <http://example.org/b> <http://example.org/c> .\n",
}  # fmt: skip


@pytest.mark.parametrize("fault", list(BAD))
def test_a_bad_file_parsed_beside_loads_nothing_and_says_what_a_load_here_says(
    settings: Settings,
    tmp_path: Path,
    each_way: Ways,
    parsed_here: list[Path],
    fault: str,
) -> None:
    bad = write_variant(tmp_path, BAD[fault](settings).replace(ARTICLE, "gbnews-new"), "gbnews-new.trig")  # fmt: skip
    (here, _), *others = each_way([settings.data_dir, bad])
    assert isinstance(here, LoadError), here
    for raised, store in others:
        assert type(raised) is type(here) and str(raised) == str(here)
        assert getattr(raised, "problems", None) == getattr(here, "problems", None)
        assert store.graphs() == []
        assert OxigraphStore(store.path, read_only=True).graphs() == []
        assert store.interrupted_load() == []
    if fault == "a shape violated":  # the child's verdict says it all
        assert parsed_here == []


def test_only_large_files_are_left_unparsed_the_small_ones_parsed_here_and_written_at_once(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each bulk load of a file's bytes costs the engine some milliseconds of its own, so
    among many files only the large ones are written from their bytes (and parsed in the
    child); the small ones are parsed here and written together, with the same outcome."""
    text = article_text(settings)
    small = write_variant(tmp_path, text.replace(ARTICLE, "gbnews-small"), "gbnews-small.trig")
    # A comment makes the file large without adding a quad.
    padded = text.replace(ARTICLE, "gbnews-large") + "\n# " + "x" * 200_000 + "\n"
    large = write_variant(tmp_path, padded, "gbnews-large.trig")
    paths = [settings.data_dir, small, large]
    reference = OxigraphStore(tmp_path / "reference" / "store")
    expected = load_data(reference, settings, paths)

    parent, parsed_here, bulk_loaded = os.getpid(), [], []
    read_source, replace_graphs = loader_module.read_source, OxigraphStore.replace_graphs

    def reading(path: Path, *args: object, **kwargs: object) -> object:
        if os.getpid() == parent:
            parsed_here.append(path.name)
        return read_source(path, *args, **kwargs)  # type: ignore[arg-type]

    def writing(self: OxigraphStore, *args: object, **kwargs: object) -> object:
        bulk_loaded.extend(Path(f.name).name for f in kwargs.get("files", ()))  # type: ignore[attr-defined]
        return replace_graphs(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(loader_module, "read_source", reading)
    monkeypatch.setattr(OxigraphStore, "replace_graphs", writing)
    monkeypatch.setattr(loader_module, "CHECK_BESIDE_FROM", 0)
    monkeypatch.setattr(loader_module, "PARSE_BESIDE_FROM", 0)
    monkeypatch.setattr(loader_module, "FILE_BESIDE_FROM", 100_000)
    store = OxigraphStore(tmp_path / "beside" / "store")
    report = load_data(store, settings, paths)

    assert isinstance(report, LoadReport) and report.graphs == expected.graphs
    assert canonical(store) == canonical(reference)
    assert bulk_loaded == ["gbnews-large.trig"]
    assert "gbnews-small.trig" in parsed_here and "gbnews-large.trig" not in parsed_here
