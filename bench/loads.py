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
from servers import executable, log, timed_command

LOAD_SPLIT = """
import json, sys, time
from pathlib import Path
t0 = time.perf_counter()
import hubgraph.loader as loader
from hubgraph.config import Settings
from hubgraph.runtime import load_data, open_store
from hubgraph.store import OxigraphStore
spent = {"shapes": 0.0, "parse": 0.0, "check": 0.0, "validate": 0.0, "write": 0.0}

def timed(step, function):
    def run(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[step] += time.perf_counter() - started
    return run

# The command's own code path, with its steps timed where they are called.
loader.load_shapes = timed("shapes", loader.load_shapes)
for name in ("read_register", "read_register_cached"):  # the latter keeps it for the next load
    if hasattr(loader, name):
        setattr(loader, name, timed("parse", getattr(loader, name)))
loader.read_source = timed("parse", loader.read_source)
loader.Catalog.add_sheets = timed("parse", loader.Catalog.add_sheets)
loader.check_dataset = timed("check", loader.check_dataset)
loader.overlapping_subjects = timed("check", loader.overlapping_subjects)
loader.Reader._validate = timed("validate", loader.Reader._validate)
if hasattr(loader.Reader, "_validate_together"):  # small sources validated in one dataset
    loader.Reader._validate_together = timed("validate", loader.Reader._validate_together)
loader._refuse_claimed_elsewhere = timed("write", loader._refuse_claimed_elsewhere)
OxigraphStore.replace_graphs = timed("write", OxigraphStore.replace_graphs)
# A large load checks in a child process while it writes (hubgraph.beside): its check and
# validate steps then run there, untimed here, and "write" includes any wait for them.
t1 = time.perf_counter()
settings = Settings.from_env(store=sys.argv[1])
store = open_store(settings)
t2 = time.perf_counter()
report = load_data(store, settings, [Path(p) for p in sys.argv[2:]])
store.close()
t3 = time.perf_counter()
files = loader.source_files([Path(p) for p in sys.argv[2:]])
spent["other"] = (t3 - t2) - sum(spent.values())
print(json.dumps({"import": t1 - t0, "open": t2 - t1, **spent,
                  "quads": report.quad_count, "files": len(files)}))
"""
STEPS = ("import", "open", "shapes", "parse", "check", "validate", "write", "other")


@dataclass(frozen=True)
class Split:
    seconds: dict[str, float]
    quads: int
    files: int

    @property
    def total(self) -> float:
        return sum(self.seconds.values())


def load_split(
    store_dir: Path, files: list[Path], log_path: Path, env: dict[str, str] | None = None
) -> Split:
    """The loader's steps on ``files``, timed in a fresh process (as the command runs them)."""
    _, out = timed_command(
        [sys.executable, "-c", LOAD_SPLIT, str(store_dir), *map(str, files)],
        log_path,
        env=env,
    )  # fmt: skip
    data = json.loads(out.strip().splitlines()[-1])
    return Split({k: float(data[k]) for k in STEPS}, int(data["quads"]), int(data["files"]))


def split_sources(data: Path, out: Path, articles: int) -> tuple[Path, list[Path]]:
    """A data folder for ``data``'s register (``out/data/register.yaml``, what names are
    checked against), and its first ``articles`` article graphs as one file each, named after
    its graph as a source file must be."""
    (out / "data").mkdir(parents=True, exist_ok=True)
    register = out / "data" / "register.yaml"
    register.write_bytes((data / "register.yaml").read_bytes())
    dataset = ox.Store()
    dataset.bulk_load(path=str(data / "articles.trig"), format=ox.RdfFormat.TRIG)
    graphs = sorted(g.value for g in dataset.named_graphs() if isinstance(g, ox.NamedNode))
    if len(graphs) < articles:
        raise RuntimeError(f"{data.name} has {len(graphs)} articles, not {articles}")
    files = []
    for graph in graphs[:articles]:
        path = out / f"{graph.rsplit('/', 1)[1]}.trig"
        part = ox.Store()
        part.extend(dataset.quads_for_pattern(None, None, None, ox.NamedNode(graph)))
        part.dump(str(path), ox.RdfFormat.TRIG)
        files.append(path)
    return register, files


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
    register, files = split_sources(data, work / "sources", max(one, many))
    # Names are checked against this register, as data/register.yaml is for data/'s sheets.
    env = {"HUBGRAPH_DATA_DIR": str(register.parent)}
    single_store, many_store, split_store = work / "one", work / "many", work / "split"
    timed_command([hubgraph, "--store", str(single_store), "load", str(register)],
                  logs / "base.log", env=env)  # fmt: skip
    times = []
    for path in files[:one]:
        seconds, _ = timed_command(
            [hubgraph, "--store", str(single_store), "load", str(path)], logs / "one.log", env=env
        )
        times.append(seconds)
    log(f"  small sources: {one} loads, median {statistics.median(times):.2f} s each")
    many_dir = work / "many-sources"
    many_dir.mkdir(exist_ok=True)
    for path in files[:many]:
        (many_dir / path.name).write_bytes(path.read_bytes())
    timed_command([hubgraph, "--store", str(many_store), "load", str(register)],
                  logs / "base2.log", env=env)  # fmt: skip
    seconds, _ = timed_command(
        [hubgraph, "--store", str(many_store), "load", str(many_dir)], logs / "many.log", env=env
    )
    log(f"  small sources: {many} in one command, {seconds:.1f} s")
    split = load_split(split_store, [many_dir], logs / "many-split.log", env=env)
    return SmallSources(times, seconds, many, split)


def cleanup(path: Path) -> None:
    subprocess.run(["rm", "-rf", str(path)], check=False)
