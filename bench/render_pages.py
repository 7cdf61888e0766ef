"""A canned query's page rendered both ways the worker can, in-process, on the bench's data: from
pyoxigraph terms (collect_rows, then hubgraph.terms) and from the engine's TSV
(hubgraph.engine_tsv, what the worker does now), beside the engine writing SPARQL JSON itself
(what /sparql sends). Says whether both ways give the same bytes and what each costs (CPU
seconds of this process, medians of rounds that alternate the ways).

    python bench/render_pages.py [--triples 1e5 1e6] [--rounds 11]
                                 [--names countries-attaching-conditions]
                                 [--renders records csv csv-spreadsheet]

The stores are bench/store_texts.py's (bench/work/store-texts-<size>, built once). Each way runs
the query afresh, so the figures include the query; the differences are the rendering.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pyoxigraph as ox
from generate import expand
from store_texts import store_for

from hubgraph.config import Settings
from hubgraph.executor import InlineExecutor
from hubgraph.queries import QueryRegistry
from hubgraph.service import QueryService
from hubgraph.store import OxigraphStore
from hubgraph.worker import Job, collect_rows, page_rows, render_rows, run_job

ROOT = Path(__file__).resolve().parent.parent


def ways(store: OxigraphStore, job: Job) -> dict[str, Callable[[], bytes | None]]:
    return {
        "terms": lambda: (
            render_rows(
                collect_rows(run_job(store, job), job.offset, job.limit), job.render
            ).encoded
        ),
        "engine TSV": lambda: page_rows(run_job(store, job), job).encoded,
        "engine SPARQL JSON": lambda: run_job(store, job).serialize(
            format=ox.QueryResultsFormat.JSON
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", nargs="+", default=["1e5"])
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--names", nargs="+", default=["countries-attaching-conditions"])
    parser.add_argument("--renders", nargs="+", default=["records", "csv", "csv-spreadsheet"])
    args = parser.parse_args()
    registry = QueryRegistry(ROOT / "queries")
    print("| query | size | render | rows | terms | engine TSV | engine SPARQL JSON | same bytes |")
    print("|---|---|---|---:|---:|---:|---:|---|")
    for size in args.triples:
        store = OxigraphStore(str(store_for(expand(size))), read_only=True)
        service = QueryService(
            Settings(service_allowlist=()), store, InlineExecutor(store), registry
        )
        for name in args.names:
            _, job = service.prepare_canned(name, {})
            for render in args.renders:
                asked = replace(job, render=render)
                timed = ways(store, asked)
                cpu: dict[str, list[float]] = {way: [] for way in timed}
                out: dict[str, bytes | None] = {}
                for _ in range(args.rounds):
                    for way, run in timed.items():
                        started = time.process_time()
                        out[way] = run()
                        cpu[way].append(time.process_time() - started)
                ms = {way: statistics.median(times) * 1000 for way, times in cpu.items()}
                same = out["terms"] == out["engine TSV"]
                rows = page_rows(run_job(store, asked), asked).count
                print(f"| {name} | {size} | {render} | {rows} | {ms['terms']:.1f} ms | "
                      f"{ms['engine TSV']:.1f} ms | {ms['engine SPARQL JSON']:.1f} ms | "
                      f"{'yes' if same else 'NO'} |", flush=True)  # fmt: skip
        store.close()


if __name__ == "__main__":
    main()
