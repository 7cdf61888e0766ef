"""Small requests, side by side: two hubgraph source trees serving one store, interleaved.

    python bench/hop.py [--base REV] [--triples 1e5] [--rounds 30] [--batch 50]
                        [--wrk SECS --wrk-rounds N]

On a shared machine wall times wander with the neighbours' load, so this measures two ways
that survive it: requests alternate between the two servers batch by batch (the noise hits both
alike; medians of the batches are compared), and each batch's CPU seconds are read from the
servers' process trees (front and workers): work done per request, which other processes on
the machine barely move. ``--base`` is a git revision (default ``HEAD``) exported to a
temporary directory and served with ``PYTHONPATH`` pointing there; the other server runs the
working tree. The Oxigraph server answers the same requests as the reference. The point lookup
cycles through the data's stances (bench/harness.py's point_subjects), as bench/run.py's does.
With ``--wrk`` the point lookup is also run at c=16 with wrk, ``--wrk-rounds`` rounds of
``--wrk`` seconds per endpoint, interleaved (order reversed every other round): medians of the
rounds' requests/s and of their CPU seconds per request.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402
from harness import (  # noqa: E402
    CANNED,
    POINT_QUERY,
    HttpEndpoint,
    conditions_sparql,
    point_texts,
    run_wrk_with_cpu,
)
from servers import (  # noqa: E402
    HOST,
    RAW_LOAD,
    ROOT,
    SPARQL_JSON,
    WORK,
    Server,
    executable,
    free_port,
    start_server,
    timed_command,
    wait_ready,
)

ASK = "/sparql?query=" + quote("ASK {}")


def export(revision: str, into: Path) -> Path:
    """``revision``'s src/ in ``into`` (git archive: no checkout, no worktree)."""
    archive = subprocess.run(
        ["git", "archive", revision, "src"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into / "src"


def serve(name: str, store: Path, workers: int, logs: Path, pythonpath: str | None) -> Server:
    port = free_port()
    code = "import sys; from hubgraph.cli import main; sys.exit(main())"
    cmd = [sys.executable, "-c", code, "--store", str(store), "serve", "--host", HOST,
           "--port", str(port), "--workers", str(workers), "--timeout", "600"]  # fmt: skip
    env = {
        "HUBGRAPH_CLIENT_QUERIES": "1000",
        "HUBGRAPH_QUEUE_TIMEOUT": "600",
        "HUBGRAPH_QUERY_MEMORY_MB": "0",
    }
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    server = start_server(name, cmd, port, logs, env=env)
    wait_ready(server, ASK, 300)
    return server


def wrk_rounds(endpoints: list[HttpEndpoint], seconds: int, rounds: int) -> None:
    """The point lookup at c=16 (wrk), endpoints interleaved round by round."""
    rates: dict[str, list[float]] = {e.name: [] for e in endpoints}
    fronts: dict[str, list[float]] = {e.name: [] for e in endpoints}
    rest: dict[str, list[float]] = {e.name: [] for e in endpoints}
    for e in endpoints:
        e.close()  # wrk's connections only: an idle kept-alive one would sit in the way
    for r in range(rounds):
        for e in endpoints if r % 2 == 0 else endpoints[::-1]:
            run = run_wrk_with_cpu(e, "point", seconds)
            if run.errors:
                raise RuntimeError(f"{e.name} point c=16: {run.errors} errors")
            rates[e.name].append(run.rps)
            fronts[e.name].append(run.cpu[0])
            rest[e.name].append(sum(run.cpu[1:]))
            e.server.wait_idle()
    print(f"\npoint c=16 (wrk, {rounds} rounds of {seconds} s, interleaved)")
    head = ("req/s", "CPU/request", "front", "workers", "vs oxigraph")
    print(f"{'':10} {head[0]:>12} {head[1]:>12} {head[2]:>8} {head[3]:>8} {head[4]:>12}")
    oxi = statistics.median(rates[endpoints[-1].name])
    for e in endpoints:
        rate = statistics.median(rates[e.name])
        front, workers = statistics.median(fronts[e.name]), statistics.median(rest[e.name])
        print(f"{e.name:10} {rate:12.0f} {(front + workers) * 1e6:10.0f}µs {front * 1e6:6.0f}µs "
              f"{workers * 1e6:6.0f}µs {rate / oxi:12.2f}")  # fmt: skip
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="HEAD")
    parser.add_argument("--triples", default="1e5")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keys", default="point,conditions,conditions-sparql")
    parser.add_argument("--wrk", type=int, default=0, help="seconds of each wrk round (0: none)")
    parser.add_argument("--wrk-rounds", type=int, default=4)
    args = parser.parse_args(argv)
    triples = generate.expand(args.triples)
    data, ontology = generate.generate(triples, 42), generate.ontology_trig()
    work = Path(tempfile.mkdtemp(prefix="hop-", dir=WORK))
    servers: list[Server] = []
    try:
        store = work / "store"
        timed_command([executable("hubgraph"), "--store", str(store), "load", str(data.folder)],
                      work / "load.log")  # fmt: skip
        raw = work / "raw"
        files = [*map(str, data.trig_files()), str(ontology)]
        timed_command([sys.executable, "-c", RAW_LOAD, str(raw), *files], work / "raw.log")
        base_src = export(args.base, work)
        # Each server its own copy of the store: a read-only open of one directory by both
        # would share nothing anyway, and this keeps their page caches apart.
        shutil.copytree(store, work / "store-base")
        servers.append(serve("base", work / "store-base", args.workers, work, str(base_src)))
        servers.append(serve("new", store, args.workers, work, None))
        oxi_port = free_port()
        oxi = start_server(
            "oxigraph",
            [executable("oxigraph"), "serve-read-only", "--location", str(raw),
             "--bind", f"{HOST}:{oxi_port}", "--union-default-graph"],
            oxi_port, work,
        )  # fmt: skip
        servers.append(oxi)
        wait_ready(oxi, "/query?query=" + quote("ASK {}"), 120)
        texts = {"point": POINT_QUERY, "conditions-sparql": conditions_sparql()}
        hub_paths = {k: (f"/sparql?query={quote(t)}", SPARQL_JSON) for k, t in texts.items()}
        hub_paths["conditions"] = (f"/queries/{CANNED}", "application/json")
        oxi_paths = {k: (f"/query?query={quote(t)}", SPARQL_JSON) for k, t in texts.items()}
        oxi_paths["conditions"] = oxi_paths["conditions-sparql"]
        points = point_texts(data.articles)
        hub_cycle = {"point": [f"/sparql?query={quote(t)}" for t in points]}
        oxi_cycle = {"point": [f"/query?query={quote(t)}" for t in points]}
        endpoints = [
            HttpEndpoint("base", servers[0], hub_paths, cycles=hub_cycle),
            HttpEndpoint("new", servers[1], hub_paths, cycles=hub_cycle),
            HttpEndpoint("oxigraph", oxi, oxi_paths, cycles=oxi_cycle),
        ]
        keys = [k for k in args.keys.split(",") if k]
        for key in keys:
            batch = args.batch if key == "point" else max(2, args.batch // 25)
            rounds = args.rounds if key == "point" else max(5, args.rounds // 3)
            wall: dict[str, list[float]] = {e.name: [] for e in endpoints}
            cpu: dict[str, list[float]] = {e.name: [] for e in endpoints}
            for e in endpoints:
                for _ in range(3):
                    e.fetch(key)  # warm up: caches, connections, the workers' first query
            for r in range(rounds):
                order = endpoints if r % 2 == 0 else endpoints[::-1]
                for e in order:
                    before = e.server.cpu_seconds()
                    times = []
                    for _ in range(batch):
                        fetched = e.fetch(key)
                        if fetched.status != 200:
                            raise RuntimeError(f"{e.name} {key}: {fetched.status}")
                        times.append(fetched.seconds)
                    # /proc's CPU times tick in 10 ms: a batch is long enough for that.
                    time.sleep(0.02)
                    cpu[e.name].append((e.server.cpu_seconds() - before) / batch)
                    wall[e.name].append(statistics.median(times))
            print(f"\n{key} ({rounds} rounds of {batch} requests, interleaved)")
            print(f"{'':10} {'wall p50':>12} {'CPU/request':>12}")
            for e in endpoints:
                w = statistics.median(wall[e.name])
                c = statistics.median(cpu[e.name])
                print(f"{e.name:10} {w * 1000:10.2f}ms {c * 1000:10.2f}ms")
            sys.stdout.flush()
        if args.wrk and "point" in keys:
            wrk_rounds(endpoints, args.wrk, args.wrk_rounds)
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
