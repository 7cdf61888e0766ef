"""``changes`` at scale, text against text: the pairwise text (the one Virtuoso runs,
queries/virtuoso/changes.rq) beside the linear one (queries/changes.rq), on the history bench's
synthetic data (bench/history.py: one named graph per source) at 10, 100 and 1,000 observations
per country, straight on the embedded engine, without the server.

Each grid point is loaded once into a store on disk; each run of a text is a child process that
opens it read-only and times the query alone, so that a run past the cap can be stopped (the
engine has no timeout of its own) and the next grid point is not asked of that text.

    python bench/changes_growth.py [--grid 10 100 1000] [--samples 5] [--cap 60]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from generate import ontology_trig
from history import GROWTH_LIMIT, WORK, generate, growth
from servers import RAW_LOAD

from hubgraph.queries import bind, read_query

ROOT = Path(__file__).resolve().parent.parent
TEXTS = {
    "old": ROOT / "queries" / "virtuoso" / "changes.rq",
    "new": ROOT / "queries" / "changes.rq",
}
"""The pairwise text (kept for Virtuoso) and the linear one."""
CHILD = """
import sys, time, pyoxigraph as ox
store = ox.Store.read_only(sys.argv[1])
query = open(sys.argv[2], encoding="utf-8").read()
started = time.perf_counter()
rows = sum(1 for _ in store.query(query, use_default_graph_as_union=True))
print(time.perf_counter() - started, rows)
"""


def bound_text(path: Path, work: Path) -> Path:
    """The text with its default parameters bound, as the service would send it."""
    text = bind(read_query(path), {}, lambda _: None, lambda _: {}).text
    out = work / f"changes-{path.parent.name}.rq"
    out.write_text(text, encoding="utf-8")
    return out


def store_for(n: int, seed: int, work: Path) -> Path:
    store = work / f"changes-store-{n}-seed{seed}"
    if not (store / "CURRENT").exists():
        subprocess.run(["rm", "-rf", str(store)], check=True)
        data = generate(n, seed)
        subprocess.run(
            [sys.executable, "-c", RAW_LOAD, str(store), str(data), str(ontology_trig())],
            check=True,
            capture_output=True,
        )
    return store


def run_once(store: Path, text: Path, cap: float) -> tuple[float, int] | None:
    """Seconds and rows of one run, or None when it ran past ``cap``."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(store), str(text)],
            capture_output=True,
            text=True,
            timeout=cap,
            check=True,
        )
    except subprocess.TimeoutExpired:
        return None
    seconds, rows = done.stdout.split()
    return float(seconds), int(rows)


def cell(seconds: float | None, cap: float) -> str:
    return f">{cap:g} s" if seconds is None else f"{seconds * 1000:.1f} ms"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="time old and new changes.rq on the grid")
    parser.add_argument("--grid", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--cap", type=float, default=60.0, help="seconds one run may take")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=WORK)
    parser.add_argument("--texts", nargs="+", choices=list(TEXTS), default=list(TEXTS))
    args = parser.parse_args(argv)
    work = args.out / "changes-growth"
    work.mkdir(parents=True, exist_ok=True)
    texts = {name: bound_text(TEXTS[name], work) for name in args.texts}
    seconds: dict[str, dict[int, float]] = {name: {} for name in texts}
    rows: dict[str, dict[int, int]] = {name: {} for name in texts}
    capped: dict[str, int] = {}
    for n in args.grid:
        store = store_for(n, args.seed, work)
        for name, text in texts.items():
            if name in capped:
                continue
            samples: list[float] = []
            # One warm-up, then the samples; a slow run is its own only sample.
            for i in range(args.samples + 1):
                started = time.perf_counter()
                got = run_once(store, text, args.cap)
                if got is None:
                    capped[name] = n
                    break
                if i > 0 or time.perf_counter() - started > 10:
                    samples.append(got[0])
                rows[name][n] = got[1]
                if samples and got[0] > 10:
                    break
            if samples:
                seconds[name][n] = statistics.median(samples)
            took, got = cell(seconds[name].get(n), args.cap), rows[name].get(n, "-")
            print(f"{n:>6}/country  {name}: {took}  ({got} rows)", flush=True)
    print(json.dumps({"seconds": seconds, "rows": rows, "capped": capped}))
    head = "".join(f"{n:>12}" for n in args.grid)
    print(f"{'text':<6}{head}  growth 100→1000 (limit {GROWTH_LIMIT})")
    for name in texts:
        cells = "".join(f"{cell(seconds[name].get(n), args.cap):>12}" for n in args.grid)
        g = growth(seconds[name])
        print(f"{name:<6}{cells}  {'-' if g is None else f'{g:.2f}'}")
    if len(texts) > 1:
        same = all(rows["old"][n] == rows["new"][n] for n in rows["old"] if n in rows["new"])
        print(f"row counts agree where both ran: {same}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
