"""How long reconciliation takes as the register grows: one full batch (200 names, the
server's maximum) matched against synthetic registers of growing size, in process (no HTTP:
this measures matching, the part that grows with the register).

    python bench/reconcile.py [--sizes 100,1000,5000] [--url http://127.0.0.1:8000]

With ``--url`` it also times the same batch through a running server's ``/reconcile``.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from typing import Any

import httpx
import pyoxigraph as ox

from hubgraph.reconcile import Reconciler
from hubgraph.reconcile.batch import MAX_BATCH
from hubgraph.vocabulary import HG, ID, PREFIXES

SYLLABLES = [
    c + v for c in ["", *"bcdfghjklmnprstvzš"] for v in ["a", "e", "i", "o", "u", "ij", "an"]
]
RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


def name(rng: random.Random) -> str:
    def word() -> str:
        return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).title()

    return f"{word()} {word()}"


def register_store(size: int, rng: random.Random) -> tuple[ox.Store, list[str]]:
    store = ox.Store()
    names = []
    for i in range(size):
        node = ox.NamedNode(f"{ID}person/p{i}")
        label = name(rng)
        names.append(label)
        store.add(ox.Quad(node, RDF_TYPE, ox.NamedNode(HG + "Person")))
        store.add(ox.Quad(node, RDFS_LABEL, ox.Literal(label, language="en")))
    return store, names


def batch_of(names: list[str], rng: random.Random) -> dict[str, Any]:
    """Names as a spreadsheet holds them: some exact, some in capitals, some surnames only."""
    picks = [rng.choice(names) for _ in range(MAX_BATCH)]
    spelled = [rng.choice([n, n.upper(), n.split()[-1], n + "."]) for n in picks]
    return {f"q{i}": {"query": n, "type": "person"} for i, n in enumerate(spelled)}


def in_process(size: int, rounds: int = 5) -> tuple[float, float]:
    rng = random.Random(size)
    store, names = register_store(size, rng)

    def select(text: str) -> list[tuple[Any, ...]]:
        result = store.query(text, prefixes=PREFIXES)
        assert isinstance(result, ox.QuerySolutions)
        return [tuple(row) for row in result]

    reconciler = Reconciler(select, lambda: 0)
    started = time.perf_counter()
    reconciler.register()
    snapshot = time.perf_counter() - started
    times = []
    for _ in range(rounds):
        batch = batch_of(names, rng)
        started = time.perf_counter()
        reconciler.reconcile(batch)
        times.append(time.perf_counter() - started)
    return snapshot, statistics.median(times)


def over_http(url: str, rounds: int = 5) -> float:
    batch = {f"q{i}": {"query": n} for i, n in enumerate(["Kosovo", "Spajic", "Kurti"] * 66)}
    times = []
    with httpx.Client(base_url=url, timeout=60) as client:
        for _ in range(rounds):
            started = time.perf_counter()
            client.post("/reconcile", data={"queries": json.dumps(batch)}).raise_for_status()
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,5000")
    parser.add_argument("--url")
    args = parser.parse_args()
    print(f"| register entities | snapshot read | batch of {MAX_BATCH} (median) | per name |")
    print("|---:|---:|---:|---:|")
    for size in (int(s) for s in args.sizes.split(",")):
        snapshot, batch = in_process(size)
        print(
            f"| {size} | {snapshot * 1000:.0f} ms | {batch * 1000:.0f} ms "
            f"| {batch / MAX_BATCH * 1e6:.0f} µs |"
        )
    if args.url:
        print(f"\nover HTTP ({args.url}): {over_http(args.url) * 1000:.0f} ms per batch of 198")


if __name__ == "__main__":
    main()
