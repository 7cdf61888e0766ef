"""Crash injection for loads: a load killed at any moment leaves every graph old or new.

Each load runs in its own process and dies there — at each step of the store's load in turn
(``hubgraph.store.crash_point``), inside the recovery that follows, and by SIGKILL at seeded
random moments of a bulk load — and then the store is opened as a serving worker would open
it (before any recovery) and as the next ``serve`` does (with recovery). Every graph must hold
exactly its old or its new quads, all of them from the same load.
"""

from __future__ import annotations

import io
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from hubgraph.config import Settings
from hubgraph.runtime import prepare_store
from hubgraph.store import OxigraphStore, RdfFile

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
G = "https://w3id.org/hubgraph/source/gen-"
KEPT = G + "kept"  # in the store and not re-loaded: must never change
RELOADED = (G + "a", G + "b")  # re-loaded with new quads
ADDED = G + "new"  # only in the new load
CRASHED = 9
SCRIPT = f"""
import os, sys
sys.path.insert(0, {str(Path(__file__).parent)!r})
from hubgraph import store as store_module
from test_load_crash import new_datasets, new_inputs
path, target, size = sys.argv[1], int(sys.argv[3]), int(sys.argv[4])  # argv[2]: unused
as_files = sys.argv[5] if sys.argv[5:] else ""
steps = []
def crash_point(step):
    steps.append(step)
    if len(steps) == target:
        os._exit({CRASHED})
store_module.crash_point = crash_point
datasets, files = new_inputs(size, as_files) if size else (None, [])  # before the store
store = store_module.OxigraphStore(path)
if datasets:
    print("loading", flush=True)
    # With a verdict to wait for, as a large load's checks in their child process give one:
    # the crash points include the one between writing and publishing.
    store.replace_graphs(datasets, verify=lambda: None, files=files)
store.close()
print(" ".join(steps))
"""


def dataset(graphs: dict[str, tuple[int, str]]) -> ox.Store:
    store = ox.Store()
    store.extend(
        ox.Quad(
            ox.NamedNode(f"https://example.org/s{i % 97}"),
            ox.NamedNode(f"https://example.org/p{i}"),
            ox.Literal(f"{tag} {i}"),
            ox.NamedNode(graph),
        )
        for graph, (n, tag) in graphs.items()
        for i in range(n)
    )
    return store


def old_dataset(size: int) -> ox.Store:
    return dataset({KEPT: (size, "kept"), RELOADED[0]: (size, "old"), RELOADED[1]: (size, "old")})


def new_datasets(size: int) -> list[ox.Store]:
    """What the crashing process loads: two files, as ``hubgraph load a.trig b.trig`` would."""
    return [
        dataset({RELOADED[0]: (size // 2, "new")}),
        dataset({RELOADED[1]: (size + 7, "new"), ADDED: (size // 3, "new")}),
    ]


def as_trig(dataset: ox.Store) -> bytes:
    text = io.BytesIO()
    dataset.dump(text, ox.RdfFormat.TRIG)
    return text.getvalue()


def new_inputs(size: int, as_files: str) -> tuple[list[ox.Store], list[RdfFile]]:
    """The same load, with files' bytes that the store bulk-loads as they are: "known", the
    second file with its graphs known (parsed already), cleared before the write; "files",
    the added graph as a file whose graphs are not known (the loader leaves its parse to its
    checks): the store may then hold no graph but those the load replaces, so the kept graph
    is written again too."""
    first, second = new_datasets(size)
    if as_files == "known":
        graphs = (RELOADED[1], ADDED)
        file = RdfFile(
            "second.trig", as_trig(second), ox.RdfFormat.TRIG, "file:///s.trig", None, graphs
        )
        return [first], [file]
    if as_files != "files":
        return [first, second], []
    added, rest = ox.Store(), ox.Store()
    for quad in second:
        (added if quad.graph_name == ox.NamedNode(ADDED) else rest).add(quad)
    kept = dataset({KEPT: (size, "kept")})
    file = RdfFile("added.trig", as_trig(added), ox.RdfFormat.TRIG, "file:///added.trig")
    return [kept, first, rest], [file]


View = dict[str, frozenset[str]]


def view_of(store: OxigraphStore) -> View:
    return {
        g: frozenset(
            str(q) for q in store._store.quads_for_pattern(None, None, None, ox.NamedNode(g))
        )
        for g in store.graphs()
    }


def expected(size: int) -> tuple[View, View]:
    old = OxigraphStore(None)
    old.replace_graphs([old_dataset(size)])
    new = OxigraphStore(None)
    new.replace_graphs([old_dataset(size), *new_datasets(size)])
    return view_of(old), view_of(new)


def reader_view(path: Path) -> View:
    reader = OxigraphStore(path, read_only=True)
    try:
        return view_of(reader)
    finally:
        reader.close()


def writer_view(path: Path) -> View:
    writer = OxigraphStore(path)
    try:
        return view_of(writer)
    finally:
        writer.close()


def old_or_new(got: View, old: View, new: View) -> str:
    """Which version ``got`` is, after checking graph by graph that it is one of them."""
    for graph in set(got) | set(old) | set(new):
        assert got.get(graph) in (old.get(graph), new.get(graph)), (
            f"<{graph}> is neither old nor new: {len(got.get(graph, ()))} quads, "
            f"old {len(old.get(graph, ()))}, new {len(new.get(graph, ()))}"
        )
    assert got in (old, new), "some graphs are old and some new: the load was not atomic"
    return "new" if got == new else "old"


def make_store(path: Path, size: int, *, legacy: bool) -> None:
    if legacy:  # written before published versions existed: no .versions folder
        raw = ox.Store(str(path))
        raw.bulk_extend(old_dataset(size))
        raw.flush()
        del raw
        return
    store = OxigraphStore(path)
    store.replace_graphs([old_dataset(size)])
    store.close()


def run(
    path: Path, *, limit: int, target: int, size: int, files: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, str(path), str(limit), str(target), str(size), files],
        capture_output=True,
        text=True,
        timeout=120,
    )


def serve_recovery(path: Path) -> None:
    prepare_store(
        Settings(
            store=str(path),
            data_dir=ROOT / "data",
            ontology_dir=ROOT / "ontology",
            queries_dir=ROOT / "queries",
        )
    )


def check_after_crash(path: Path, old: View, new: View) -> str:
    # What a worker started right after the crash serves, before anyone recovers.
    served = old_or_new(reader_view(path), old, new)
    serve_recovery(path)
    assert old_or_new(reader_view(path), old, new) == served
    assert old_or_new(writer_view(path), old, new) == served
    assert not Path(f"{path}.loading").exists()
    return served


def load_again(path: Path, size: int, new: View) -> None:
    """The recovered store takes the next load as any store does."""
    writer = OxigraphStore(path)
    try:
        writer.replace_graphs(new_datasets(size))
    finally:
        writer.close()
    assert reader_view(path) == new


@pytest.mark.parametrize(
    ("kind", "limit", "legacy", "files"),
    # Every load on disk is a bulk load behind the journal, whatever its size (a size limit
    # is for remote stores); a legacy store (no published versions yet) publishes one first;
    # a large file's bytes are bulk-loaded as they are, beside the parsed datasets.
    [
        ("versioned", 100, False, ""),
        ("legacy, large limit", 10**9, True, ""),
        ("versioned, a file parsed", 100, False, "known"),
        ("versioned, a file unparsed", 100, False, "files"),
    ],
)
def test_a_load_killed_at_every_step_leaves_each_graph_old_or_new(
    tmp_path: Path, kind: str, limit: int, legacy: bool, files: str
) -> None:
    size = 300
    old, new = expected(size)
    pristine = tmp_path / "pristine"
    pristine.mkdir()
    make_store(pristine / "store", size, legacy=legacy)

    def fresh(name: str) -> Path:
        shutil.copytree(pristine, tmp_path / name, symlinks=True)
        return tmp_path / name / "store"

    clean = run(fresh("clean"), limit=limit, target=0, size=size, files=files)
    assert clean.returncode == 0, clean.stderr
    steps = clean.stdout.split()[1:]
    assert "journal-written" in steps and "published" in steps
    assert "cleared" in steps, "the load did not take the bulk path"
    outcomes = []
    for k, step in enumerate(steps, start=1):
        path = fresh(f"crash-{k}")
        crashed = run(path, limit=limit, target=k, size=size, files=files)
        assert crashed.returncode == CRASHED, (step, crashed.stderr)
        outcomes.append((step, check_after_crash(path, old, new)))
        if k == len(steps) // 2:
            load_again(path, size, new)
    assert dict(outcomes)["journal-written"] == "old"
    assert dict(outcomes)["published"] == "new"  # from the switch on, the new version stands


def test_recovery_killed_at_every_step_still_recovers(tmp_path: Path) -> None:
    size = 300
    old, new = expected(size)
    base = tmp_path / "base"
    base.mkdir()
    make_store(base / "store", size, legacy=False)
    counted = tmp_path / "counted"
    shutil.copytree(base, counted)
    first = run(counted / "store", limit=100, target=0, size=size).stdout.split()[1:]
    k = first.index("extended") + 1  # mid bulk load: the working copy is half-written
    assert run(base / "store", limit=100, target=k, size=size).returncode == CRASHED
    for j, step in enumerate(("restore-copied", "restore-moved-aside", "recovered"), start=1):
        copy = tmp_path / f"recovery-{j}"
        shutil.copytree(base, copy)
        path = copy / "store"
        # A second process only opens the store (recovery) and dies inside the recovery.
        crashed = run(path, limit=100, target=j, size=0)
        assert crashed.returncode == CRASHED, (step, crashed.stderr)
        assert check_after_crash(path, old, new) == "old"
        load_again(path, size, new)


@pytest.mark.parametrize("files", ["", "known", "files"], ids=["datasets", "a file", "unparsed"])
def test_sigkill_at_random_moments_of_a_bulk_load(tmp_path: Path, files: str) -> None:
    """Killed from outside at seeded random moments, while fresh readers keep opening the
    store as newly started workers do: none sees a partial store, and nothing is lost."""
    size = 4_000
    old, new = expected(size)
    pristine = tmp_path / "pristine"
    pristine.mkdir()
    make_store(pristine / "store", size, legacy=False)
    rng = random.Random(8)
    started = time.monotonic()
    clean_copy = tmp_path / "clean"
    shutil.copytree(pristine, clean_copy)
    clean = run(clean_copy / "store", limit=500, target=0, size=size, files=files)
    assert clean.returncode == 0, clean.stderr
    duration = time.monotonic() - started
    seen = []
    for attempt in range(4):
        copy = tmp_path / f"kill-{attempt}"
        shutil.copytree(pristine, copy)
        path = copy / "store"
        process = subprocess.Popen(
            [sys.executable, "-c", SCRIPT, str(path), "500", "0", str(size), files],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "loading"
        kill_at = time.monotonic() + rng.uniform(0, duration * 0.6)
        while time.monotonic() < kill_at and process.poll() is None:
            seen.append(old_or_new(reader_view(path), old, new))
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=60)
        seen.append(check_after_crash(path, old, new))
    assert "old" in seen
