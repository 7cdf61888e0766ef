"""Loads, taken apart: where ``hubgraph load``'s time goes, and what one more source costs.

* The split: the loader's own steps (parse every file into memory, SHACL-validate each, write
  them all in one journalled transaction), timed one by one in a fresh process, beside the
  command's wall time and a raw ``bulk_load`` of the same files.
* Many small sources: the synthetic data's article graphs, one file each; ``--small-one``
  (default 100) loaded one ``hubgraph load`` command at a time into a store that holds the
  reference graphs, and ``--small-many`` (default 1,000) in one command. Both are reported as
  time per source: the first is what a coder adding sheets one by one pays (process start,
  shapes, ontology, journal), the second what a bulk import pays per file.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from servers import ROOT, executable, log, timed_command

LOAD_SPLIT = """
import json, sys, time
from pathlib import Path
t0 = time.perf_counter()
from hubgraph.loader import check_source, ontology_sources, read_source, source_files
from hubgraph.store import OxigraphStore
from hubgraph.validation import load_shapes
t1 = time.perf_counter()
store_dir, ontology = sys.argv[1], Path(sys.argv[2])
files = source_files([Path(p) for p in sys.argv[3:]])
checks = load_shapes(ontology / "shapes.ttl")
t2 = time.perf_counter()
sources = ontology_sources(ontology) + [read_source(p) for p in files]
t3 = time.perf_counter()
for source in sources[2:]:
    check_source(source, checks)
t4 = time.perf_counter()
store = OxigraphStore(store_dir)
store.replace_graphs([s.dataset for s in sources])
store.close()
t5 = time.perf_counter()
print(json.dumps({
    "import": t1 - t0, "shapes": t2 - t1, "parse": t3 - t2, "validate": t4 - t3,
    "write": t5 - t4, "quads": sum(s.quad_count for s in sources), "files": len(files),
}))
"""
STEPS = ("import", "shapes", "parse", "validate", "write")


@dataclass(frozen=True)
class Split:
    seconds: dict[str, float]
    quads: int
    files: int

    @property
    def total(self) -> float:
        return sum(self.seconds.values())


def load_split(store_dir: Path, files: list[Path], log_path: Path) -> Split:
    """The loader's steps on ``files``, timed in a fresh process (as the command runs them)."""
    _, out = timed_command(
        [sys.executable, "-c", LOAD_SPLIT, str(store_dir), str(ROOT / "ontology"),
         *map(str, files)],
        log_path,
    )  # fmt: skip
    data = json.loads(out.strip().splitlines()[-1])
    return Split({k: float(data[k]) for k in STEPS}, int(data["quads"]), int(data["files"]))


def split_sources(data: Path, out: Path, articles: int) -> tuple[Path, list[Path]]:
    """``data``'s reference graphs as one file, and its first ``articles`` article graphs as
    one file each (each file a source, as ``data/`` would hold them)."""
    out.mkdir(parents=True, exist_ok=True)
    dataset = ox.Store()
    dataset.bulk_load(path=str(data), format=ox.RdfFormat.TRIG)
    graphs = sorted(g.value for g in dataset.named_graphs() if isinstance(g, ox.NamedNode))
    reference = [g for g in graphs if "reference" in g]
    article_graphs = [g for g in graphs if g not in reference][:articles]
    if len(article_graphs) < articles:
        raise RuntimeError(f"{data.name} has {len(article_graphs)} articles, not {articles}")

    described: dict[ox.NamedNode | ox.BlankNode, list[ox.Quad]] = {}
    for g in reference:
        for q in dataset.quads_for_pattern(None, None, None, ox.NamedNode(g)):
            described.setdefault(q.subject, []).append(q)  # type: ignore[arg-type]

    def write(path: Path, names: list[str], *, stubs: bool) -> Path:
        quads = [q for g in names for q in dataset.quads_for_pattern(None, None, None,
                                                                     ox.NamedNode(g))]  # fmt: skip
        if stubs:
            # A file is validated on its own: it must describe the entities it points at, as a
            # single-file source would. Their reference descriptions are copied into its graph
            # (what they point at in turn too), so that each file is a valid source by itself.
            graph = quads[0].graph_name
            seen: set[object] = set()
            todo = [q.object for q in quads]
            while todo:
                node = todo.pop()
                if node in seen or node not in described:
                    continue
                seen.add(node)
                for q in described[node]:
                    quads.append(ox.Quad(q.subject, q.predicate, q.object, graph))
                    todo.append(q.object)
        part = ox.Store()
        part.bulk_extend(quads)
        part.dump(str(path), ox.RdfFormat.TRIG)
        return path

    base = write(out / "reference.trig", reference, stubs=False)
    files = [
        write(out / f"article-{i:04d}.trig", [g], stubs=True) for i, g in enumerate(article_graphs)
    ]
    return base, files


@dataclass(frozen=True)
class SmallSources:
    one_at_a_time: list[float]
    """Wall seconds of each ``hubgraph load`` of one source."""
    many_seconds: float
    many_count: int
    many_split: Split


def small_sources(data: Path, work: Path, one: int, many: int) -> SmallSources:
    hubgraph = executable("hubgraph")
    logs = work / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    base, files = split_sources(data, work / "sources", max(one, many))
    single_store, many_store, split_store = work / "one", work / "many", work / "split"
    timed_command([hubgraph, "--store", str(single_store), "load", str(base)], logs / "base.log")
    times = []
    for path in files[:one]:
        seconds, _ = timed_command(
            [hubgraph, "--store", str(single_store), "load", str(path)], logs / "one.log"
        )
        times.append(seconds)
    log(f"  small sources: {one} loads, median {statistics.median(times):.2f} s each")
    many_dir = work / "many-sources"
    many_dir.mkdir(exist_ok=True)
    for path in files[:many]:
        (many_dir / path.name).write_bytes(path.read_bytes())
    timed_command([hubgraph, "--store", str(many_store), "load", str(base)], logs / "base2.log")
    seconds, _ = timed_command(
        [hubgraph, "--store", str(many_store), "load", str(many_dir)], logs / "many.log"
    )
    log(f"  small sources: {many} in one command, {seconds:.1f} s")
    split = load_split(split_store, [many_dir], logs / "many-split.log")
    return SmallSources(times, seconds, many, split)


def cleanup(path: Path) -> None:
    subprocess.run(["rm", "-rf", str(path)], check=False)
