"""hubgraph's benchmark: the same data served side by side, in one run.

    python bench/run.py [--sizes 1e5,1e6] [--quick] [--skip-rdflib] [--budget SECONDS]

For each size it generates synthetic data shaped like the real graph (bench/generate.py), then

* loads it three ways and times each: raw pyoxigraph ``Store.bulk_load`` (the floor),
  ``hubgraph load`` (parse, SHACL validation, write) and ``oxigraph load``;
* serves it with ``hubgraph serve`` (the system under test), ``oxigraph serve-read-only``
  (the reference: same engine, no Python), ``rdflib-endpoint`` (what a Python user would
  otherwise pick; smallest size only: its load and queries take minutes above that) and runs it
  with pyoxigraph in-process (the limit: no HTTP, no process hop);
* asks three queries: the ``countries-attaching-conditions`` canned query (over
  ``/queries/…`` for hubgraph, as the same SPARQL text with its default parameter bound for the
  others), a point lookup of one stance, and a large SELECT (every stance with its quotes);
* measures p50/p99 latency at concurrency 1 (servers interleaved in rounds so that the noise of
  this shared machine hits all alike), requests/s at concurrency 16 (``wrk`` for the point
  lookup; a closed loop of a fixed number of requests for the slow canned query, where a
  fixed-duration run would cut off most of the work in flight), time to first and last byte
  and the servers' peak memory on the large result.

Each figure is printed with its ratio to the Oxigraph server, the targets are marked ✓/✗, and
the tables go to ``bench/results/latest.md``. Every server started is stopped on the way out,
error or not (each runs in its own process group).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

import generate  # noqa: E402
from harness import (  # noqa: E402
    CANNED,
    CONCURRENCY,
    LARGE_QUERY,
    POINT_QUERY,
    Budget,
    Endpoint,
    Figures,
    HttpEndpoint,
    InProcessEndpoint,
    Plan,
    closed_loop,
    conditions_sparql,
    in_process_for,
    large_phase,
    latency_phase,
    plan_for,
    point_texts,
    run_wrk,
    run_wrk_with_cpu,
)
from history import GRID, HistoryResult, measure_history  # noqa: E402
from loads import SmallSources, load_split, small_sources  # noqa: E402
from report import machine, report  # noqa: E402
from servers import (  # noqa: E402
    HOST,
    RAW_LOAD,
    RESULTS,
    SPARQL_JSON,
    WORK,
    Server,
    check_alive,
    dir_size,
    executable,
    free_port,
    log,
    start_server,
    timed_command,
    wait_ready,
)


def measure_size(
    triples: int, args: argparse.Namespace, budget: Budget, plan: Plan, servers: list[Server]
) -> tuple[Figures, dict[str, dict[str, int | None]], dict[str, object]]:
    figures = Figures()
    info: dict[str, object] = {}
    label = generate.size_label(triples)
    started = time.monotonic()
    data = generate.generate(triples, args.seed)
    ontology = generate.ontology_trig()
    # The raw loads take the same quads as TriG: the register as hubgraph compiles it.
    files = [*(str(f) for f in data.trig_files()), str(ontology)]
    log(f"{label}: data {data.folder.name} ({time.monotonic() - started:.1f} s)")
    base = WORK / f"stores-{label}"
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    logs = base / "logs"
    logs.mkdir()
    ask = quote("ASK {}")

    # -- load throughput: raw bulk_load (the floor), hubgraph load, oxigraph load ----------
    raw_dir, hub_dir, oxi_dir = base / "raw", base / "hubgraph", base / "oxigraph"
    seconds, out = timed_command(
        [sys.executable, "-c", RAW_LOAD, str(raw_dir), *files], logs / "raw-load.log"
    )
    quads = int(json.loads(out.strip().splitlines()[-1])["quads"])
    info["quads"] = quads
    figures.put("load", "pyoxigraph", quads / seconds, f"{seconds:.1f} s")
    log(f"  raw bulk_load: {quads} quads in {seconds:.1f} s")
    seconds, out = timed_command(
        [executable("hubgraph"), "--store", str(hub_dir), "load", str(data.folder)],
        logs / "hub-load.log",
    )
    loaded = re.search(r"loaded (\d+) quads", out)
    hub_quads = int(loaded.group(1)) if loaded else quads
    figures.put("load", "hubgraph", hub_quads / seconds, f"{seconds:.1f} s")
    log(f"  hubgraph load: {hub_quads} quads in {seconds:.1f} s")
    info["hubgraph_load_s"] = seconds
    info["raw_load_s"] = quads / (figures.get("load", "pyoxigraph") or 1.0)
    info["split"] = load_split(base / "split", [data.folder], logs / "load-split.log")
    shutil.rmtree(base / "split", ignore_errors=True)
    seconds, _ = timed_command(
        [executable("oxigraph"), "load", "--location", str(oxi_dir), "--file", *files],
        logs / "oxigraph-load.log",
    )
    figures.put("load", "oxigraph", quads / seconds, f"{seconds:.1f} s")
    log(f"  oxigraph load: {seconds:.1f} s")

    # -- servers ---------------------------------------------------------------------------
    conditions = conditions_sparql()
    texts = {"conditions": conditions, "point": POINT_QUERY, "large": LARGE_QUERY}
    hub_port = free_port()
    hub = start_server(
        "hubgraph",
        [
            executable("hubgraph"),
            "--store",
            str(hub_dir),
            "serve",
            "--host",
            HOST,
            "--port",
            str(hub_port),
            "--workers",
            str(args.workers),
            "--timeout",
            "600",
        ],
        hub_port,
        logs,
        # Every benchmark client shares one address: without these the per-client share, the
        # queue timeout and the memory cap (safety limits, not speed) would shape the figures.
        env={
            "HUBGRAPH_CLIENT_QUERIES": "1000",
            "HUBGRAPH_QUEUE_TIMEOUT": "600",
            "HUBGRAPH_QUERY_MEMORY_MB": "0",
        },
    )
    servers.append(hub)
    wait_ready(hub, f"/sparql?query={ask}", 600)
    oxi_port = free_port()
    oxi = start_server(
        "oxigraph",
        [
            executable("oxigraph"),
            "serve-read-only",
            "--location",
            str(oxi_dir),
            "--bind",
            f"{HOST}:{oxi_port}",
            "--union-default-graph",
        ],
        oxi_port,
        logs,
    )
    servers.append(oxi)
    wait_ready(oxi, f"/query?query={ask}", 120)
    running = {"hubgraph": hub, "oxigraph": oxi}
    with_rdflib = not args.skip_rdflib and triples <= args.rdflib_max
    if with_rdflib:
        rdf_port = free_port()
        rdf = start_server(
            "rdflib",
            [
                executable("rdflib-endpoint"),
                "serve",
                *files,
                "--host",
                HOST,
                "--port",
                str(rdf_port),
            ],
            rdf_port,
            logs,
        )
        servers.append(rdf)
        wait_ready(rdf, f"/?query={ask}", 900)
        running["rdflib"] = rdf
        assert rdf.ready_after is not None
        figures.put("load", "rdflib", quads / rdf.ready_after, f"{rdf.ready_after:.1f} s")
    for name, s in running.items():
        figures.put("ready", name, s.ready_after or 0.0)
    log("  servers ready: " + ", ".join(f"{n} {s.ready_after:.1f} s" for n, s in running.items()))

    def sparql_paths(endpoint_path: str) -> dict[str, tuple[str, str]]:
        return {k: (f"{endpoint_path}?query={quote(t)}", SPARQL_JSON) for k, t in texts.items()}

    # The point lookup asks a different stance request after request, in the same order on
    # every endpoint, the first being POINT_QUERY's (whose rows the report compares).
    points = point_texts(data.articles)

    def point_cycle(endpoint_path: str) -> dict[str, list[str]]:
        return {"point": [f"{endpoint_path}?query={quote(t)}" for t in points]}

    hub_paths = sparql_paths("/sparql")
    hub_paths["conditions"] = (f"/queries/{CANNED}", "application/json")
    endpoints: list[Endpoint] = [
        HttpEndpoint("hubgraph", hub, hub_paths, cycles=point_cycle("/sparql")),
        HttpEndpoint("oxigraph", oxi, sparql_paths("/query"), cycles=point_cycle("/query")),
    ]
    if with_rdflib:
        # rdflib-endpoint's command serves its SPARQL endpoint at the root path.
        rdf_endpoint = HttpEndpoint(
            "rdflib", running["rdflib"], sparql_paths("/"), args.rdflib_timeout, point_cycle("/")
        )
        endpoints.append(rdf_endpoint)
    inproc = InProcessEndpoint(raw_dir, texts, cycles={"point": points})
    endpoints.append(inproc)
    hub_sparql = HttpEndpoint(
        "hubgraph-sparql", hub, sparql_paths("/sparql"), cycles=point_cycle("/sparql")
    )
    rows: dict[str, dict[str, int | None]] = {k: {} for k in texts}
    ready_paths = {
        "hubgraph": f"/sparql?query={ask}",
        "oxigraph": f"/query?query={ask}",
        "rdflib": f"/?query={ask}",
    }

    def guarded(phase: Callable[[], None]) -> None:
        """Run ``phase``; if a server died under it (killed from outside), start it again and
        run the phase once more."""
        try:
            phase()
        except (OSError, http.client.HTTPException, RuntimeError):
            dead = [s for s in running.values() if s.died()]
            if not dead:
                raise
            for s in dead:
                log(f"  {s.name} exited with {s.popen.returncode} (not stopped by us): restarting")
                s.restart()
                wait_ready(s, ready_paths[s.name], 900)
            phase()

    def conditions_c1() -> None:
        latency_phase(
            "conditions",
            [*endpoints[:1], hub_sparql, *endpoints[1:]],
            plan.cond_rounds,
            budget.slice(plan.cond_slice, plan.reserve),
            plan.slow_cap,
            figures,
            rows["conditions"],
        )

    def point_c1() -> None:
        latency_phase(
            "point",
            [e for e in endpoints if e.alive()],
            plan.point_rounds,
            budget.slice(plan.point_slice, plan.reserve),
            plan.slow_cap,
            figures,
            rows["point"],
        )

    def point_c16() -> None:
        # Two rounds of half the duration, the endpoints' order reversed in the second, so
        # that the noise of the shared machine hits all alike; the rate is their mean.
        rates: dict[str, list[float]] = {}
        errors: dict[str, int] = {}
        cpu: dict[str, list[list[float]]] = {}
        half = max(1, round(plan.wrk_seconds / 2))
        for r in range(2):
            order = [e for e in endpoints if e.alive()]
            for e in order if r == 0 else order[::-1]:
                if isinstance(e, InProcessEndpoint):
                    rates.setdefault(e.name, []).append(in_process_for(e, "point", half))
                else:
                    run = run_wrk_with_cpu(e, "point", half)
                    rates.setdefault(e.name, []).append(run.rps)
                    errors[e.name] = errors.get(e.name, 0) + run.errors
                    cpu.setdefault(e.name, []).append(run.cpu)
                    e.server.wait_idle()
        for name, values in rates.items():
            tool = "threads" if name == "pyoxigraph" else "wrk"
            note = tool + (f", {errors[name]} errors" if errors.get(name) else "")
            figures.put("point.rps", name, statistics.fmean(values), note)
        # CPU per request, the front (the tree's root) apart from the rest (query workers):
        # what the rate at c=16 costs, which the bench's 2 cores bound.
        info["point_cpu"] = {
            name: (
                statistics.fmean(run[0] for run in runs),
                statistics.fmean(sum(run[1:]) for run in runs),
            )
            for name, runs in cpu.items()
        }
        log("  point c=16 done")

    def conditions_c16() -> None:
        # Batches of 16 requests, 16 in flight, endpoints alternating batch by batch.
        batches = max(1, plan.closed_loop_requests // CONCURRENCY)
        todo = []
        for e in endpoints:
            p50 = figures.get("conditions.p50", e.name) or 0.0
            cost = batches * CONCURRENCY * p50 / max(1, os.cpu_count() or 1)
            if e.name == "rdflib":
                # One Python process, GIL-bound: concurrency adds no throughput, and one
                # request takes minutes here; its rate is the inverse of its latency.
                figures.put("conditions.rps", e.name, 1 / p50, "≈ 1/p50, not run")
            elif not e.alive() or cost > max(30.0, budget.left() - plan.reserve - 60):
                figures.put("conditions.rps", e.name, float("nan"), "skipped: time budget")
            else:
                todo.append(e)
        done: dict[str, list[float]] = {e.name: [0.0, 0.0, 0.0] for e in todo}
        for b in range(batches):
            for e in todo if b % 2 == 0 else todo[::-1]:
                ok, failed, seconds = closed_loop(e, "conditions", CONCURRENCY, CONCURRENCY)
                totals = done[e.name]
                totals[0] += ok
                totals[1] += failed
                totals[2] += seconds
                if isinstance(e, HttpEndpoint):
                    e.server.wait_idle()
        for name, (ok, failed, seconds) in done.items():
            note = f"{batches * CONCURRENCY} req" + (f", {failed:.0f} failed" if failed else "")
            figures.put("conditions.rps", name, ok / seconds, note)
        log("  conditions c=16 done")

    def floor() -> None:
        # The Python HTTP floor: hubgraph's own HTTP stack answering the point lookup's bytes,
        # beside the Oxigraph server, interleaved as the phases above are.
        answer = endpoints[0].fetch("point")
        body = logs / "point-answer.json"
        body.write_bytes(answer.body)
        port = free_port()
        server = start_server(
            "floor",
            [sys.executable, str(HERE / "floor_app.py"), str(port), str(body), SPARQL_JSON],
            port,
            logs,
            env={"HUBGRAPH_CLIENT_QUERIES": "1000"},
        )
        servers.append(server)
        try:
            wait_ready(server, hub_paths["point"][0], 60)
            # The floor answers every path alike; it gets the hub's cycle of paths all the same,
            # so that its requests are the same bytes as the hub's.
            floor_endpoint = HttpEndpoint(
                "floor", server, {"point": hub_paths["point"]}, cycles=point_cycle("/sparql")
            )
            pair = [floor_endpoint, endpoints[1]]
            samples: dict[str, list[float]] = {e.name: [] for e in pair}
            for r in range(plan.point_rounds[1]):
                for e in pair if r % 2 == 0 else pair[::-1]:
                    samples[e.name].append(e.fetch("point").seconds)  # type: ignore[union-attr]
            rates: dict[str, list[float]] = {e.name: [] for e in pair}
            half = max(1, round(plan.wrk_seconds / 2))
            for r in range(2):
                for e in pair if r == 0 else pair[::-1]:
                    assert isinstance(e, HttpEndpoint)
                    rates[e.name].append(run_wrk(e, "point", half)[0])
            info["floor"] = {
                name: (statistics.median(samples[name]), statistics.fmean(rates[name]))
                for name in samples
            }
            pair[0].close()
        finally:
            server.stop()
            servers.remove(server)
        log("  floor done")

    def large() -> None:
        # An endpoint that times out on the large result is stopped (rdflib-endpoint: its
        # canned-query rate is derived from its latency, so it is not needed after this).
        large_phase(
            [e for e in endpoints if e.alive()],
            {n: s for n, s in running.items() if not s.stopped},
            plan.large_rounds,
            budget.slice(plan.large_slice, plan.reserve),
            plan.slow_cap,
            figures,
            rows["large"],
        )

    try:
        # The large result before the canned query at c=16, whose 16 joins in parallel leave
        # the servers' heaps grown: its peak memory is then the large result's own.
        for phase in (conditions_c1, point_c1, point_c16, floor, large, conditions_c16):
            guarded(phase)
    except (OSError, http.client.HTTPException, RuntimeError):
        check_alive([s for s in running.values() if not s.stopped])
        raise
    finally:
        for e in [*endpoints, hub_sparql]:
            e.close()
        for s in list(servers):
            s.stop()
            servers.remove(s)
    info["rows"] = rows
    info["rdflib"] = with_rdflib
    info["restarts"] = {n: s.restarts for n, s in running.items() if s.restarts}
    info["hubgraph_store_mb"] = dir_size(hub_dir) / 1e6
    info["oxigraph_store_mb"] = dir_size(oxi_dir) / 1e6
    if not args.keep_stores:
        shutil.rmtree(base, ignore_errors=True)
    return figures, rows, info


# ---------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1e5,1e6", help="triples per data set (default 1e5,1e6)")
    parser.add_argument("--quick", action="store_true", help="smoke test: 1e5 only, fewer requests")
    parser.add_argument("--skip-rdflib", action="store_true", help="do not run rdflib-endpoint")
    parser.add_argument(
        "--rdflib-max",
        type=float,
        default=1e5,
        help="largest size rdflib-endpoint is run at (default 1e5)",
    )
    parser.add_argument(
        "--rdflib-timeout",
        type=float,
        default=120.0,
        help="seconds one rdflib-endpoint request may take before it is given up (default 120)",
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="hubgraph query worker processes (default: cores)",
    )
    parser.add_argument(
        "--budget", type=float, default=1050.0, help="seconds the whole run may take (default 1050)"
    )
    parser.add_argument("--keep-stores", action="store_true", help="keep bench/work/stores-*")
    parser.add_argument("--out", type=Path, default=RESULTS / "latest.md")
    parser.add_argument(
        "--readme",
        action="store_true",
        help="also put the tables in README.md, between its bench:start and bench:end marks",
    )
    parser.add_argument("--skip-loads", action="store_true", help="no small-sources phase")
    parser.add_argument("--skip-history", action="store_true", help="no history-query phase")
    parser.add_argument(
        "--small-one", type=int, default=100, help="small sources loaded one command at a time"
    )
    parser.add_argument(
        "--small-many", type=int, default=1000, help="small sources loaded in one command"
    )
    parser.add_argument(
        "--history-grid",
        default=",".join(map(str, GRID)),
        help="observations per country of the history data sets (default 10,100,1000)",
    )
    parser.add_argument("--history-samples", type=int, default=5)
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes = "1e5"
        # The 1e5 data holds some 200 articles; the history grid keeps its three points.
        args.small_one, args.small_many = min(args.small_one, 20), min(args.small_many, 150)
        args.history_samples = min(args.history_samples, 3)
    args.history_grid = tuple(int(n) for n in str(args.history_grid).split(",") if n.strip())
    args.size_list = [generate.expand(s) for s in args.sizes.split(",") if s.strip()]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        print("Error: wrk not found; apt-get install -y wrk", file=sys.stderr)
        return 1
    # A SIGTERM (e.g. from make or CI) unwinds through the finally blocks that stop servers.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    # The load and history phases come after the sizes; the sizes' phases shrink to leave
    # them their time.
    # Estimates from the run of 2 December 2026 (small sources 150 s; history queries with
    # their 60 s caps about 4 min), so that the whole command stays under 20 minutes.
    extras = (0 if args.skip_loads else (60 if args.quick else 170)) + (
        0 if args.skip_history else (60 if args.quick else 240)
    )
    budget = Budget(max(60.0, args.budget - extras))
    host = machine()
    servers: list[Server] = []
    results = []
    small: SmallSources | None = None
    history: HistoryResult | None = None
    try:
        for i, triples in enumerate(args.size_list):
            plan = plan_for(triples, args.quick, args.size_list[i + 1 :])
            figures, rows, info = measure_size(triples, args, budget, plan, servers)
            results.append((triples, figures, rows, info))
        if not args.skip_loads:
            # The largest data set has the most articles to make small sources of.
            log("small sources")
            data = generate.generate(max(args.size_list), args.seed)
            work = WORK / "small-sources"
            shutil.rmtree(work, ignore_errors=True)
            small = small_sources(data.folder, work, args.small_one, args.small_many)
            shutil.rmtree(work, ignore_errors=True)
        if not args.skip_history:
            log("history queries")
            work = WORK / "history"
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir(parents=True)
            history = measure_history(
                args.history_grid, args.seed, args.workers, args.history_samples, work, servers
            )
            shutil.rmtree(work, ignore_errors=True)
    finally:
        for s in servers:
            s.stop()
    wall = time.monotonic() - budget.started
    text = report(results, args, host, wall, small, history)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text + "\n", encoding="utf-8")
    print(text)
    log(f"wrote {args.out}; total {wall:.0f} s")
    if args.readme:
        put_in_readme(text)
        log("the tables are in README.md")
    return 0


def put_in_readme(text: str) -> None:
    readme = HERE.parent / "README.md"
    start, end = "<!-- bench:start -->", "<!-- bench:end -->"
    current = readme.read_text(encoding="utf-8")
    before, _, rest = current.partition(start)
    _, _, after = rest.partition(end)
    # The report's own title is the README's section heading; its sections go one level down.
    body = "\n".join(
        "#" + line if line.startswith("## ") else line
        for line in text.splitlines()
        if not line.startswith("# ")
    )
    readme.write_text(f"{before}{start}\n{body.strip()}\n\n{end}{after}", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
