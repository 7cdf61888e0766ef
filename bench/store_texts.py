"""A canned query's two texts side by side: the main one (queries/NAME.rq) and the one a store
kind keeps (queries/virtuoso/NAME.rq, the earlier text), on the bench's synthetic data, straight
on the embedded engine, without the server. Says whether the two give the same rows (as a
multiset, each concatenation's parts sorted) and how long each takes.

    python bench/store_texts.py [--triples 1e5 1e6] [--rounds 3]
                                [--names countries-attaching-conditions refusals]
                                [--earlier DIR] [--bind NAME=IRI ...]

``--earlier`` takes the earlier texts from another folder (tests/fixtures/queries-before holds
those of rewritten queries that every store runs, ``actor`` among them, and its evidence/ those
of ``stances``, ``stance-history``, ``observations`` and ``quotes``) and ``--bind`` gives a
parameter an IRI (``--names actor --earlier tests/fixtures/queries-before
--bind actor=https://w3id.org/hubgraph/id/country/bench-country-027``).

Each size is generated (bench/generate.py) and loaded with ``hubgraph load`` once, into
bench/work/store-texts-<size>; the texts then run in this process, alternating round by round.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from generate import WORK, expand, generate, size_label

from hubgraph.queries import QueryRegistry, bind_values

ROOT = Path(__file__).resolve().parent.parent
CONCATENATIONS = {"quote", "statement"}


def store_for(triples: int) -> Path:
    store = WORK / f"store-texts-{size_label(triples)}"
    if not (store / ".loaded").exists():
        data = generate(triples)
        hubgraph = Path(sys.executable).with_name("hubgraph")
        subprocess.run([str(hubgraph), "--store", str(store), "load", str(data.folder)],
                       check=True, stdout=subprocess.DEVNULL)  # fmt: skip
        (store / ".loaded").touch()
    return store


def normal_rows(solutions: Any) -> list[tuple[str | None, ...]]:
    """The rows of ``solutions`` as text, each concatenation's parts sorted (their order is the
    engine's to choose)."""
    names = [v.value for v in solutions.variables]
    rows = []
    for solution in solutions:
        row = []
        for name in names:
            term = solution[name]
            value = None if term is None else str(term)
            if name in CONCATENATIONS and term is not None:
                value = " | ".join(sorted(term.value.split(" | ")))
            row.append(value)
        rows.append(tuple(row))
    return rows


def run(store: ox.Store, text: str) -> tuple[float, list[tuple[str | None, ...]]]:
    started = time.perf_counter()
    rows = normal_rows(store.query(text, use_default_graph_as_union=True))
    return time.perf_counter() - started, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", nargs="+", default=["1e5", "1e6"])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--names", nargs="+",
                        default=["countries-attaching-conditions", "refusals"])  # fmt: skip
    parser.add_argument("--earlier", type=Path, default=ROOT / "queries" / "virtuoso")
    parser.add_argument("--bind", nargs="*", default=[], metavar="NAME=IRI")
    args = parser.parse_args()
    given = {k: [ox.NamedNode(v)] for k, v in (b.split("=", 1) for b in args.bind)}
    registry = QueryRegistry(ROOT / "queries")
    print(f"| query | size | earlier text ({args.earlier.name}/) | main text | ratio | same rows |")
    print("|---|---|---:|---:|---:|---|")
    for size in args.triples:
        store = ox.Store.read_only(str(store_for(expand(size))))
        for name in args.names:
            query = registry.get(name)
            defaults = {
                p.name: [ox.NamedNode(p.default)]
                for p in query.parameters
                if p.type == "iri" and p.default is not None
            }
            names = {p.name for p in query.parameters}
            bindings = {**defaults, **{k: v for k, v in given.items() if k in names}}
            earlier = (args.earlier / f"{name}.rq").read_text(encoding="utf-8")
            texts = {"old": earlier, "new": query.text}
            times: dict[str, list[float]] = {"old": [], "new": []}
            rows: dict[str, list[tuple[str | None, ...]]] = {}
            for _ in range(args.rounds):
                for which, text in texts.items():
                    elapsed, rows[which] = run(store, bind_values(text, bindings))
                    times[which].append(elapsed)
            old, new = (statistics.median(times[k]) for k in ("old", "new"))
            same = sorted(rows["old"], key=repr) == sorted(rows["new"], key=repr)
            print(f"| {name} | {size} | {old * 1000:.0f} ms | {new * 1000:.0f} ms | "
                  f"{new / old:.2f}× | {'yes' if same else 'NO'} ({len(rows['new'])} rows) |",
                  flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
