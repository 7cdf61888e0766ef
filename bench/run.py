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
import contextlib
import datetime
import http.client
import io
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import psutil
import pyoxigraph as ox

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / "work"
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "src"))

import generate  # noqa: E402

from hubgraph.queries import bind, read_query  # noqa: E402

HOST = "127.0.0.1"
SPARQL_JSON = "application/sparql-results+json"
CANNED = "countries-attaching-conditions"
CONCURRENCY = 16
IDLE_REUSE = 2.0
"""Seconds a kept-alive connection may sit idle and still be reused."""
COLUMNS = ("hubgraph", "oxigraph", "rdflib", "pyoxigraph")
LABELS = {
    "hubgraph": "hubgraph",
    "oxigraph": "Oxigraph server",
    "rdflib": "rdflib-endpoint",
    "pyoxigraph": "pyoxigraph in-process",
}
LARGE_QUERY = """PREFIX hg: <https://w3id.org/hubgraph/ontology#>
SELECT ?stance ?holder ?position ?quote ?text ?speaker WHERE {
  ?stance a hg:Stance ; hg:holder ?holder ; hg:position ?position ; hg:derivedFrom ?quote .
  ?quote a hg:Quote ; hg:text ?text ; hg:speaker ?speaker .
}"""
POINT_ENTITY = "https://w3id.org/hubgraph/id/stance/bench-article-000100-1"
POINT_QUERY = f"SELECT ?p ?o WHERE {{ <{POINT_ENTITY}> ?p ?o }}"
QUERY_TITLES = {
    "conditions": "conditions (canned)",
    "point": "point lookup",
    "large": "large SELECT",
}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def executable(name: str) -> str:
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        raise SystemExit(f"Error: {name} not found; pip install -r bench/requirements.txt")
    return found


def conditions_sparql() -> str:
    """The canned query's text with its default parameter bound, as hubgraph binds it."""
    query = read_query(ROOT / "queries" / f"{CANNED}.rq")
    return bind(query, {}, lambda value: None, lambda scheme: {}).text


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


# ---------------------------------------------------------------------------------------------
# Time budget
# ---------------------------------------------------------------------------------------------


@dataclass
class Budget:
    """The whole run must end by ``deadline``; phases shrink towards their minimum near it."""

    seconds: float
    started: float = field(default_factory=time.monotonic)

    def left(self) -> float:
        return self.seconds - (time.monotonic() - self.started)

    def slice(self, planned: float, reserve: float) -> float:
        """``planned`` seconds, or less when that would eat into ``reserve`` (what the phases
        still to come need)."""
        return max(0.0, min(planned, self.left() - reserve))


@dataclass(frozen=True)
class Plan:
    """Request counts and time slices of one size's phases."""

    cond_slice: float
    cond_rounds: tuple[int, int]
    point_slice: float
    point_rounds: tuple[int, int]
    large_slice: float
    large_rounds: tuple[int, int]
    closed_loop_requests: int
    wrk_seconds: int
    slow_cap: float
    """An endpoint slower than this on its first request keeps that one sample only."""
    reserve: float
    """Seconds the phases after this size's need (for Budget.slice)."""


def plan_for(triples: int, quick: bool, later_sizes: list[int]) -> Plan:
    reserve = sum(300.0 if t >= 500_000 else 90.0 for t in later_sizes)
    if quick:
        return Plan(12, (3, 10), 4, (20, 100), 10, (1, 3), 16, 4, 5.0, reserve)
    if triples >= 500_000:
        return Plan(70, (3, 10), 8, (30, 300), 85, (1, 3), 16, 6, 30.0, reserve)
    return Plan(30, (5, 25), 8, (30, 300), 20, (2, 5), 32, 6, 5.0, reserve)


# ---------------------------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    popen: subprocess.Popen[bytes]
    port: int
    log_path: Path
    started: float
    ready_after: float | None = None
    stopped: bool = False
    """Stopped by the benchmark itself (on purpose: a request to it timed out)."""
    cmd: list[str] = field(default_factory=list)
    restarts: int = 0

    def died(self) -> bool:
        """Exited without the benchmark stopping it."""
        return not self.stopped and self.popen.poll() is not None

    def restart(self) -> None:
        """Start the same command again on the same port, after a death the benchmark did not
        cause (on a shared machine, another session's clean-up may kill a server by name)."""
        self.restarts += 1
        with self.log_path.open("ab") as out:
            out.write(f"\n--- exited with {self.popen.returncode}; restarted\n".encode())
            self.popen = subprocess.Popen(
                self.cmd, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True
            )
        self.started = time.monotonic()

    def tree(self) -> list[psutil.Process]:
        try:
            root = psutil.Process(self.popen.pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def rss(self) -> int:
        total = 0
        for p in self.tree():
            with contextlib.suppress(psutil.Error):
                total += p.memory_info().rss
        return total

    def cpu_seconds(self) -> float:
        total = 0.0
        for p in self.tree():
            with contextlib.suppress(psutil.Error):
                t = p.cpu_times()
                total += t.user + t.system
        return total

    def pss(self) -> int:
        """Proportional set size over the tree: pages shared between its processes (the
        Python runtime of each query worker, say) counted once."""
        total = 0
        for p in self.tree():
            with contextlib.suppress(psutil.Error, AttributeError):
                total += p.memory_full_info().pss
        return total

    def reset_peak(self) -> bool:
        """Reset VmHWM of every process of the tree (Linux ``clear_refs`` 5)."""
        ok = True
        for p in self.tree():
            try:
                Path(f"/proc/{p.pid}/clear_refs").write_text("5")
            except OSError:
                ok = False
        return ok

    def peak(self) -> int:
        """Sum of VmHWM (peak resident set) over the process tree, in bytes."""
        total = 0
        for p in self.tree():
            with contextlib.suppress(OSError):
                status = Path(f"/proc/{p.pid}/status").read_text()
                found = re.search(r"VmHWM:\s+(\d+) kB", status)
                total += int(found.group(1)) * 1024 if found else 0
        return total

    def wait_idle(self, limit: float = 90.0) -> None:
        """Until the server stops burning CPU (e.g. on requests a client gave up on)."""
        end = time.monotonic() + limit
        before = self.cpu_seconds()
        while time.monotonic() < end:
            time.sleep(0.5)
            now = self.cpu_seconds()
            if now - before < 0.05:
                return
            before = now

    def stop(self) -> None:
        self.stopped = True
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=10)
        # Children (query workers) share the process group; make sure none outlive it.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signal.SIGKILL)


def start_server(
    name: str, cmd: list[str], port: int, logs: Path, env: dict[str, str] | None = None
) -> Server:
    logs.mkdir(parents=True, exist_ok=True)
    log_path = logs / f"{name}.log"
    out = log_path.open("wb")
    popen = subprocess.Popen(
        cmd, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True,
        env={**os.environ, **(env or {})},
    )  # fmt: skip
    out.close()
    return Server(name, popen, port, log_path, time.monotonic(), cmd=cmd)


def timed_command(cmd: list[str], log_path: Path) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, start_new_session=True)
    seconds = time.perf_counter() - started
    log_path.write_text(done.stdout + done.stderr)
    if done.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({done.returncode}): {done.stderr[-2000:]}")
    return seconds, done.stdout


RAW_LOAD = """
import json, sys, time, pyoxigraph as ox
started = time.perf_counter()
store = ox.Store(sys.argv[1])
for path in sys.argv[2:]:
    store.bulk_load(path=path, format=ox.RdfFormat.TRIG)
store.flush()
print(json.dumps({"quads": len(store), "inner": time.perf_counter() - started}))
"""


# ---------------------------------------------------------------------------------------------
# Endpoints: one way of asking each query
# ---------------------------------------------------------------------------------------------


class TimedOut(RuntimeError):
    """A request that got no complete answer within its endpoint's timeout."""

    def __init__(self, endpoint: str, key: str, seconds: float) -> None:
        super().__init__(f"{endpoint}: no answer to the {key} query within {seconds:.0f} s")
        self.seconds = seconds


@dataclass(frozen=True)
class Fetched:
    seconds: float
    first_byte: float
    status: int
    body: bytes


class HttpEndpoint:
    def __init__(
        self,
        name: str,
        server: Server,
        paths: dict[str, tuple[str, str]],
        timeout: float = 600.0,
    ) -> None:
        self.name = name
        self.server = server
        self.timeout = timeout
        self.paths = paths
        """query key → (path with query string, Accept)."""
        self._conn: http.client.HTTPConnection | None = None
        self._used = 0.0

    def _connection(self, timeout: float) -> http.client.HTTPConnection:
        # A kept-alive connection left idle is not reused: uvicorn closes one after 5 s, and the
        # Oxigraph server, once its read times out, writes a 500 ("Resource temporarily
        # unavailable") onto it that the next request would read as its answer.
        if self._conn is not None and time.monotonic() - self._used > IDLE_REUSE:
            self.close()
        if self._conn is None:
            self._conn = http.client.HTTPConnection(HOST, self.server.port, timeout=timeout)
        self._conn.timeout = timeout
        self._used = time.monotonic()
        return self._conn

    def alive(self) -> bool:
        return not self.server.stopped

    def fetch(self, key: str) -> Fetched:
        """One request on a kept-alive connection, read to the end."""
        path, accept = self.paths[key]
        timeout = self.timeout
        for attempt in (1, 2):
            reused = self._conn is not None
            conn = self._connection(timeout)
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Accept": accept})
                response = conn.getresponse()
                first = time.perf_counter()
                body = response.read()
            except TimeoutError:
                conn.close()
                self._conn = None
                raise TimedOut(self.name, key, timeout) from None
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                self._conn = None
                # A server may close a kept-alive connection that sat idle (uvicorn does after
                # 5 s): ask again once on a fresh one, as HTTP client libraries do.
                stale = isinstance(exc, http.client.RemoteDisconnected | ConnectionResetError)
                if reused and stale and attempt == 1:
                    continue
                raise RuntimeError(f"{self.name}: {key} query failed: {exc!r}") from exc
            self._used = time.monotonic()
            return Fetched(time.perf_counter() - started, first - started, response.status, body)
        raise AssertionError("unreachable")

    def stream(self, key: str) -> Fetched:
        """One request on a fresh socket: the first byte of the response (status line), then
        every byte until the server closes."""
        path, accept = self.paths[key]
        timeout = self.timeout
        request = (
            f"GET {path} HTTP/1.1\r\nHost: {HOST}:{self.server.port}\r\nAccept: {accept}\r\n"
            "Connection: close\r\n\r\n"
        ).encode()
        with socket.create_connection((HOST, self.server.port), timeout=timeout) as s:
            started = time.perf_counter()
            s.sendall(request)
            try:
                chunks = [s.recv(1 << 16)]
                first = time.perf_counter()
                s.settimeout(max(0.1, timeout - (first - started)))
                while chunk := s.recv(1 << 20):
                    chunks.append(chunk)
            except TimeoutError:
                raise TimedOut(self.name, key, timeout) from None
            ended = time.perf_counter()
        status, body = decode_http(b"".join(chunks))
        return Fetched(ended - started, first - started, status, body)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def decode_http(raw: bytes) -> tuple[int, bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1]) if lines and len(lines[0].split()) > 1 else 0
    headers = {}
    for line in lines[1:]:
        key, _, value = line.decode("latin-1").partition(":")
        headers[key.strip().lower()] = value.strip().lower()
    if headers.get("transfer-encoding") == "chunked":
        out = bytearray()
        i = 0
        while True:
            j = body.index(b"\r\n", i)
            size = int(body[i:j].split(b";")[0], 16)
            if size == 0:
                break
            out += body[j + 2 : j + 2 + size]
            i = j + 2 + size + 2
        body = bytes(out)
    return status, body


class _FirstWrite(io.BytesIO):
    def __init__(self) -> None:
        super().__init__()
        self.first: float | None = None

    def write(self, data: bytes) -> int:  # type: ignore[override]
        if self.first is None:
            self.first = time.perf_counter()
        return super().write(data)


class InProcessEndpoint:
    """pyoxigraph in this process, on the store raw bulk_load built: query and serialize the
    results as SPARQL JSON, as the servers do, minus HTTP."""

    name = "pyoxigraph"

    def __init__(self, store_dir: Path, texts: dict[str, str]) -> None:
        self.store = ox.Store.read_only(str(store_dir))
        self.texts = texts

    def _run(self, key: str) -> Fetched:
        started = time.perf_counter()
        out = _FirstWrite()
        result = self.store.query(self.texts[key], use_default_graph_as_union=True)
        result.serialize(out, ox.QueryResultsFormat.JSON)  # type: ignore[union-attr]
        ended = time.perf_counter()
        first = out.first or ended
        return Fetched(ended - started, first - started, 200, out.getvalue())

    def alive(self) -> bool:
        return True

    def fetch(self, key: str) -> Fetched:
        return self._run(key)

    def stream(self, key: str) -> Fetched:
        return self._run(key)

    def close(self) -> None:
        del self.store


Endpoint = HttpEndpoint | InProcessEndpoint


def count_rows(key: str, endpoint_name: str, body: bytes) -> int | None:
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if endpoint_name == "hubgraph" and key == "conditions":
        return int(data["count"]) if not data.get("truncated") else -1
    return len(data["results"]["bindings"])


# ---------------------------------------------------------------------------------------------
# Measurements
# ---------------------------------------------------------------------------------------------


@dataclass
class Figures:
    """Every figure of one size: figures[key][column] = value."""

    values: dict[str, dict[str, float]] = field(default_factory=dict)
    notes: dict[str, dict[str, str]] = field(default_factory=dict)

    def put(self, key: str, column: str, value: float, note: str = "") -> None:
        self.values.setdefault(key, {})[column] = value
        if note:
            self.notes.setdefault(key, {})[column] = note

    def get(self, key: str, column: str) -> float | None:
        return self.values.get(key, {}).get(column)


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    if len(ordered) == 1:
        return ordered[0]
    rank = p / 100 * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


SLOW_SAMPLES: dict[tuple[int, str, str], Fetched] = {}


def latency_phase(
    key: str,
    endpoints: list[Endpoint],
    rounds: tuple[int, int],
    slice_s: float,
    slow_cap: float,
    figures: Figures,
    rows: dict[str, int | None],
) -> None:
    """p50/p99 at concurrency 1. Round 0 warms up and checks rows (kept only for endpoints too
    slow for more); then rounds interleave the endpoints, rotating their order."""
    samples: dict[str, list[float]] = {e.name: [] for e in endpoints}
    slow: set[str] = set()
    started = time.monotonic()
    for e in endpoints:
        try:
            # A slow endpoint's one sample is kept if the phase runs again (after a restart).
            fetched = SLOW_SAMPLES.get((id(figures), key, e.name)) or e.fetch(key)
        except TimedOut as exc:
            # Too slow to measure here: a lower bound, and the server (still computing) goes.
            assert isinstance(e, HttpEndpoint)
            e.server.stop()
            figures.put(f"{key}.p50", e.name, exc.seconds, f"timed out: > {exc.seconds:.0f} s")
            figures.put(f"{key}.p99", e.name, exc.seconds, f"timed out: > {exc.seconds:.0f} s")
            log(f"  {exc}; stopped it")
            continue
        if fetched.status != 200:
            raise RuntimeError(
                f"{e.name} answered {fetched.status} to {key}: {fetched.body[:300]!r}"
            )
        rows[e.name] = count_rows(key, e.name, fetched.body)
        if fetched.seconds > slow_cap:
            SLOW_SAMPLES[(id(figures), key, e.name)] = fetched
            slow.add(e.name)
            samples[e.name].append(fetched.seconds)
    fast = [e for e in endpoints if e.name not in slow and e.alive()]
    started = time.monotonic()  # the slice is for the rounds, not for slow warm-ups
    low, high = rounds
    done = 0
    round_time = 0.0
    while fast and done < high:
        elapsed = time.monotonic() - started
        if done >= low and elapsed + round_time > slice_s:
            break
        t0 = time.monotonic()
        shift = done % len(fast)
        for e in fast[shift:] + fast[:shift]:
            fetched = e.fetch(key)
            if fetched.status != 200:
                raise RuntimeError(
                    f"{e.name} answered {fetched.status} to {key}: {fetched.body[:500]!r}"
                )
            samples[e.name].append(fetched.seconds)
        round_time = time.monotonic() - t0
        done += 1
    for name, values in samples.items():
        if not values or figures.get(f"{key}.p50", name) is not None:
            continue
        note = f"n={len(values)}"
        figures.put(f"{key}.p50", name, statistics.median(values), note)
        figures.put(f"{key}.p99", name, percentile(values, 99), note)
    log(f"  {key} c=1: {done} rounds" + (f"; one sample only: {sorted(slow)}" if slow else ""))


def large_phase(
    endpoints: list[Endpoint],
    servers: dict[str, Server],
    rounds: tuple[int, int],
    slice_s: float,
    slow_cap: float,
    figures: Figures,
    rows: dict[str, int | None],
) -> None:
    """Time to first and last byte on the large result, and the servers' peak memory over it."""
    reset = {name: s.reset_peak() for name, s in servers.items()}
    for name, s in servers.items():
        figures.put("idle_rss", name, s.rss())
    sampled = {name: 0 for name in servers}
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            for name, s in servers.items():
                sampled[name] = max(sampled[name], s.rss())
            stop.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    first: dict[str, list[float]] = {e.name: [] for e in endpoints}
    last: dict[str, list[float]] = {e.name: [] for e in endpoints}
    started = time.monotonic()
    timed_out: dict[str, float] = {}
    active = list(endpoints)
    done = 0
    round_time = 0.0
    try:
        while active and done < rounds[1]:
            elapsed = time.monotonic() - started
            if done >= rounds[0] and elapsed + round_time > slice_s:
                break
            t0 = time.monotonic()
            shift = done % len(active)
            for e in active[shift:] + active[:shift]:
                try:
                    fetched = e.stream("large")
                except TimedOut as exc:
                    assert isinstance(e, HttpEndpoint)
                    e.server.stop()
                    timed_out[e.name] = exc.seconds
                    log(f"  {exc}; stopped it")
                    continue
                if fetched.status != 200:
                    raise RuntimeError(f"{e.name} answered {fetched.status} to the large query")
                if done == 0:
                    rows[e.name] = count_rows("large", e.name, fetched.body)
                first[e.name].append(fetched.first_byte)
                last[e.name].append(fetched.seconds)
            # Endpoints far too slow to repeat keep their one sample.
            active = [
                e
                for e in active
                if e.name not in timed_out and statistics.median(last[e.name]) <= slow_cap * 4
            ]
            round_time = time.monotonic() - t0
            done += 1
    finally:
        stop.set()
        sampler.join()
    for name in first:
        if name in timed_out:
            note = f"timed out: > {timed_out[name]:.0f} s"
            figures.put("large.first", name, timed_out[name], note)
            figures.put("large.last", name, timed_out[name], note)
        elif first[name]:
            note = f"n={len(first[name])}"
            figures.put("large.first", name, statistics.median(first[name]), note)
            figures.put("large.last", name, statistics.median(last[name]), note)
    for name, s in servers.items():
        exact = reset[name] and not s.stopped
        hwm = s.peak() if exact else 0
        note = "" if exact else "sampled every 50 ms"
        figures.put("large.rss", name, max(hwm, sampled[name]), note)
        if not s.stopped:
            figures.put("large.pss", name, s.pss())
    log(f"  large: {done} rounds")


def closed_loop(
    endpoint: Endpoint, key: str, requests: int, concurrency: int
) -> tuple[int, int, float]:
    """``requests`` requests with ``concurrency`` in flight: (answered, failed, seconds)."""
    failures = 0
    lock = threading.Lock()
    todo = iter(range(requests))

    def worker() -> None:
        nonlocal failures
        mine: Endpoint
        if isinstance(endpoint, HttpEndpoint):
            mine = HttpEndpoint(endpoint.name, endpoint.server, endpoint.paths)
        else:
            mine = endpoint
        while True:
            with lock:
                if next(todo, None) is None:
                    break
            try:
                ok = mine.fetch(key).status == 200
            except (OSError, http.client.HTTPException, RuntimeError):
                ok = False
            if not ok:
                with lock:
                    failures += 1
        if isinstance(mine, HttpEndpoint):
            mine.close()

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        for future in [pool.submit(worker) for _ in range(concurrency)]:
            future.result()
    seconds = time.perf_counter() - started
    return requests - failures, failures, seconds


def in_process_for(endpoint: InProcessEndpoint, key: str, seconds: float) -> float:
    """Requests/s of ``CONCURRENCY`` threads querying for ``seconds`` (queries release the GIL)."""
    end = time.perf_counter() + seconds
    counts = [0] * CONCURRENCY

    def worker(i: int) -> None:
        while time.perf_counter() < end:
            endpoint.fetch(key)
            counts[i] += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        list(pool.map(worker, range(CONCURRENCY)))
    return sum(counts) / (time.perf_counter() - started)


def run_wrk(endpoint: HttpEndpoint, key: str, seconds: int) -> tuple[float, int]:
    path, accept = endpoint.paths[key]
    url = f"http://{HOST}:{endpoint.server.port}{path}"
    done = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{CONCURRENCY}",
            f"-d{seconds}s",
            "--timeout",
            "60s",
            "-H",
            f"Accept: {accept}",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 120,
    )
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed: {done.stderr[-500:]}")
    out = done.stdout
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    took = re.search(r"requests in ([\d.]+)(m?s)", out)
    duration = float(took.group(1)) / (1000 if took.group(2) == "ms" else 1) if took else seconds
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = int(bad.group(1)) if bad else 0
    socket_errors = re.search(r"timeout (\d+)", out)
    errors += int(socket_errors.group(1)) if socket_errors else 0
    return (requests - (int(bad.group(1)) if bad else 0)) / duration, errors


# ---------------------------------------------------------------------------------------------
# One size
# ---------------------------------------------------------------------------------------------


def check_alive(servers: list[Server]) -> None:
    """Raise, with the log's tail, if a server has exited (a negative code is a signal)."""
    for s in servers:
        if s.popen.poll() is not None:
            tail = s.log_path.read_text(errors="replace")[-1500:]
            raise RuntimeError(f"{s.name} exited with code {s.popen.returncode}:\n{tail}")


def wait_ready(server: Server, path: str, timeout: float) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if server.popen.poll() is not None:
            tail = server.log_path.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{server.name} exited ({server.popen.returncode}):\n{tail}")
        try:
            conn = http.client.HTTPConnection(HOST, server.port, timeout=5)
            conn.request("GET", path, headers={"Accept": SPARQL_JSON})
            status = conn.getresponse().status
            conn.close()
            if status == 200:
                server.ready_after = time.monotonic() - server.started
                return
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{server.name} was not ready after {timeout:.0f} s")


def measure_size(
    triples: int, args: argparse.Namespace, budget: Budget, plan: Plan, servers: list[Server]
) -> tuple[Figures, dict[str, dict[str, int | None]], dict[str, object]]:
    figures = Figures()
    info: dict[str, object] = {}
    label = generate.size_label(triples)
    started = time.monotonic()
    data = generate.generate(triples, args.seed)
    ontology = generate.ontology_trig()
    files = [str(data), str(ontology)]
    log(f"{label}: data {data.name} ({time.monotonic() - started:.1f} s)")
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
        [executable("hubgraph"), "--store", str(hub_dir), "load", str(data)], logs / "hub-load.log"
    )
    loaded = re.search(r"loaded (\d+) quads", out)
    hub_quads = int(loaded.group(1)) if loaded else quads
    figures.put("load", "hubgraph", hub_quads / seconds, f"{seconds:.1f} s")
    log(f"  hubgraph load: {hub_quads} quads in {seconds:.1f} s")
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

    hub_paths = sparql_paths("/sparql")
    hub_paths["conditions"] = (f"/queries/{CANNED}", "application/json")
    endpoints: list[Endpoint] = [
        HttpEndpoint("hubgraph", hub, hub_paths),
        HttpEndpoint("oxigraph", oxi, sparql_paths("/query")),
    ]
    if with_rdflib:
        # rdflib-endpoint's command serves its SPARQL endpoint at the root path.
        endpoints.append(
            HttpEndpoint("rdflib", running["rdflib"], sparql_paths("/"), args.rdflib_timeout)
        )
    inproc = InProcessEndpoint(raw_dir, texts)
    endpoints.append(inproc)
    hub_sparql = HttpEndpoint("hubgraph-sparql", hub, sparql_paths("/sparql"))
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
        half = max(1, round(plan.wrk_seconds / 2))
        for r in range(2):
            order = [e for e in endpoints if e.alive()]
            for e in order if r == 0 else order[::-1]:
                if isinstance(e, InProcessEndpoint):
                    rates.setdefault(e.name, []).append(in_process_for(e, "point", half))
                else:
                    rps, bad = run_wrk(e, "point", half)
                    rates.setdefault(e.name, []).append(rps)
                    errors[e.name] = errors.get(e.name, 0) + bad
                    e.server.wait_idle()
        for name, values in rates.items():
            tool = "threads" if name == "pyoxigraph" else "wrk"
            note = tool + (f", {errors[name]} errors" if errors.get(name) else "")
            figures.put("point.rps", name, statistics.fmean(values), note)
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
        for phase in (conditions_c1, point_c1, point_c16, large, conditions_c16):
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


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


# ---------------------------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    key: str
    title: str
    kind: str
    """ms, rps, mb, s, qps, rows"""
    target: Callable[[Figures], tuple[str, bool | None]] | None = None
    higher_is_better: bool = False


def ratio_target(
    key: str, limit: float, ref: str = "oxigraph", higher: bool = False, what: str = "Oxigraph"
) -> Callable[[Figures], tuple[str, bool | None]]:
    def check(f: Figures) -> tuple[str, bool | None]:
        mine, theirs = f.get(key, "hubgraph"), f.get(key, ref)
        sign = "≥" if higher else "≤"
        if not mine or not theirs or mine != mine or theirs != theirs:
            return f"{sign} {limit:g}× {what}: n/a", None
        r = mine / theirs
        return f"{sign} {limit:g}× {what}: {r:.2f}×", (r >= limit if higher else r <= limit)

    return check


def absolute_target(key: str, limit: float, unit: str, scale: float):  # type: ignore[no-untyped-def]
    def check(f: Figures) -> tuple[str, bool | None]:
        mine = f.get(key, "hubgraph")
        if mine is None:
            return f"< {limit:g} {unit}: n/a", None
        return f"< {limit:g} {unit}", mine * scale < limit

    return check


def both(*checks):  # type: ignore[no-untyped-def]
    def check(f: Figures) -> tuple[str, bool | None]:
        parts = [c(f) for c in checks]
        oks = [ok for _, ok in parts if ok is not None]
        return "; ".join(t for t, _ in parts), (all(oks) if oks else None)

    return check


ROWS = (
    Row(
        "conditions.p50",
        "conditions (canned) · p50, c=1",
        "ms",
        ratio_target("conditions.p50", 1.2),
    ),
    Row("conditions.p99", "conditions (canned) · p99, c=1", "ms"),
    Row("conditions.p50@sparql", "conditions, same text over hubgraph /sparql · p50, c=1", "ms"),
    Row(
        "conditions.rps",
        "conditions (canned) · req/s, c=16",
        "rps",
        both(
            ratio_target("conditions.rps", 0.8, higher=True),
            ratio_target("conditions.rps", 100, ref="rdflib", higher=True, what="rdflib"),
        ),
        higher_is_better=True,
    ),
    Row("point.p50", "point lookup · p50, c=1", "ms", ratio_target("point.p50", 2.0)),
    Row("point.p99", "point lookup · p99, c=1", "ms"),
    Row("point.rps", "point lookup · req/s, c=16", "rps", higher_is_better=True),
    Row(
        "large.first",
        "large SELECT · first byte (median)",
        "ms",
        absolute_target("large.first", 100, "ms", 1000),
    ),
    Row("large.last", "large SELECT · last byte (median)", "ms", ratio_target("large.last", 1.1)),
    Row(
        "large.rss",
        "large SELECT · server peak RSS (process tree)",
        "mb",
        absolute_target("large.rss", 300, "MB", 1e-6),
    ),
    Row("idle_rss", "server RSS before the large SELECT", "mb"),
    Row("large.pss", "server PSS after the large SELECT (shared pages counted once)", "mb"),
    Row("ready", "server start to first answer", "s"),
    Row(
        "load",
        "load · quads/s (hubgraph load; oxigraph load; rdflib parse; bulk_load)",
        "qps",
        ratio_target("load", 0.8, ref="pyoxigraph", higher=True, what="bulk_load"),
        higher_is_better=True,
    ),
)


def fmt_value(value: float | None, kind: str) -> str:
    if value is None:
        return "—"
    if value != value:  # NaN
        return "skipped"
    if kind == "ms":
        if value >= 1:
            return f"{value:.2f} s"
        return f"{value * 1000:.2f} ms" if value < 0.01 else f"{value * 1000:.1f} ms"
    if kind == "s":
        return f"{value:.1f} s"
    if kind == "rps":
        return f"{value:.3g}/s" if value < 100 else f"{value:.0f}/s"
    if kind == "mb":
        return f"{value / 1e6:.0f} MB"
    if kind == "qps":
        return f"{value / 1000:.0f}k/s"
    return f"{value:g}"


def table(figures: Figures, rows: dict[str, dict[str, int | None]]) -> list[str]:
    # The /sparql variant of the canned query is shown in hubgraph's column of its own row.
    for stat in ("p50",):
        v = figures.get(f"conditions.{stat}", "hubgraph-sparql")
        if v is not None:
            figures.put(
                f"conditions.{stat}@sparql",
                "hubgraph",
                v,
                figures.notes.get(f"conditions.{stat}", {}).get("hubgraph-sparql", ""),
            )
            figures.put(
                f"conditions.{stat}@sparql",
                "oxigraph",
                figures.get(f"conditions.{stat}", "oxigraph") or 0.0,
            )
    head = ["figure", *(LABELS[c] for c in COLUMNS), "target (hubgraph)", ""]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in ROWS:
        if row.key not in figures.values:
            continue
        ref = figures.get(row.key, "oxigraph")
        cells = []
        for column in COLUMNS:
            value = figures.get(row.key, column)
            text = fmt_value(value, row.kind)
            if value is not None and value == value and ref and column != "oxigraph":
                text += f" ({value / ref:.2f}×)"
            note = figures.notes.get(row.key, {}).get(column, "")
            if note and value is not None:
                text += f" <sub>{note}</sub>"
            cells.append(text)
        target, ok = row.target(figures) if row.target else ("", None)
        mark = "" if ok is None and not target else ("✓" if ok else ("✗" if ok is False else "?"))
        lines.append("| " + " | ".join([row.title, *cells, target, mark]) + " |")
    counts = []
    for key, by_column in rows.items():
        values = {c: v for c, v in by_column.items() if v is not None}
        same = len(set(values.values())) <= 1
        counts.append(
            f"{QUERY_TITLES[key]}: "
            + ", ".join(f"{c} {v}" for c, v in values.items())
            + ("" if same else " ⚠ MISMATCH")
        )
    lines.append("")
    lines.append("Rows returned — " + "; ".join(counts) + ".")
    return lines


def machine() -> dict[str, str]:
    cpu = ""
    with contextlib.suppress(OSError):
        found = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
        cpu = found.group(1).strip() if found else ""
    oxigraph_version = subprocess.run(
        [executable("oxigraph"), "--version"], capture_output=True, text=True
    ).stdout.strip()
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu or platform.processor(),
        "ram": f"{psutil.virtual_memory().total / 2**30:.1f} GiB",
        "pyoxigraph": ox.__version__,
        "oxigraph": oxigraph_version.removeprefix("oxigraph "),
        "python": platform.python_version(),
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "hubgraph": hubgraph_revision(),
    }


def hubgraph_revision() -> str:
    """The commit measured, and whether src/ had changes not yet committed."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"], cwd=ROOT, capture_output=True, text=True
        ).stdout.split("\n")
    except OSError:
        return "unknown"
    changed = [line[3:] for line in dirty if line.strip()]
    return commit + (f" + uncommitted changes to {', '.join(changed)}" if changed else "")


def report(
    results: list[tuple[int, Figures, dict[str, dict[str, int | None]], dict[str, object]]],
    args: argparse.Namespace,
    host: dict[str, str],
    wall: float,
) -> str:
    out = [
        "# hubgraph benchmark",
        "",
        f"- date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"- machine: {host['nproc']} cores (`nproc`), {host['cpu']}, {host['ram']} RAM; "
        f"load average at start {host['load']} (a shared, noisy machine: servers are "
        "interleaved in rounds and medians quoted)",
        f"- pyoxigraph {host['pyoxigraph']}, oxigraph server {host['oxigraph']}, "
        f"Python {host['python']}; hubgraph serve --workers {args.workers} --timeout 600",
        f"- hubgraph measured: {host['hubgraph']}",
        f"- command: `python bench/run.py {' '.join(sys.argv[1:])}`; total wall time "
        f"{wall / 60:.1f} min",
        "- queries: the `countries-attaching-conditions` canned query (hubgraph: "
        "`/queries/countries-attaching-conditions`, JSON records; others: the same SPARQL with "
        "its default `policy` bound, SPARQL JSON), a point lookup "
        f"`SELECT ?p ?o WHERE {{ <{POINT_ENTITY}> ?p ?o }}`, and a large SELECT "
        "(every stance with each of its quotes). All over the union of the named graphs.",
        "- c=1: sequential requests on a kept-alive connection after one warm-up request, "
        "endpoints interleaved in rounds; `n=` is the sample count. c=16: batches of 16 "
        "requests all in flight, endpoints alternating batch by batch (the canned query: too "
        "slow for a fixed-duration wrk run, which would cut off the work in flight), "
        "`wrk -t2 -c16` in two rounds of half the duration in reversed order (the point "
        "lookup), 16 threads in-process. "
        "First/last byte: a fresh connection per request; peak RSS: VmHWM summed over the "
        "server's process tree, reset before the large-result phase.",
        "- ratios in brackets are to the Oxigraph server; load throughput counts quads "
        "(data + ontology + shapes) over the wall time of each command.",
        "",
    ]
    for triples, figures, rows, info in results:
        label = generate.size_label(triples)
        out.append(f"## {label} triples ({info.get('quads')} quads loaded)")
        out.append("")
        if not info.get("rdflib"):
            out.append(
                "rdflib-endpoint not run at this size"
                + (
                    " (--skip-rdflib)."
                    if args.skip_rdflib
                    else f": above {args.rdflib_max:g} triples its start-up parse and its canned "
                    "query take too long for the time budget."
                )
            )
            out.append("")
        out += table(figures, rows)
        out.append("")
        restarts = info.get("restarts") or {}
        if restarts:
            out.append(
                "⚠ Killed from outside during the run and restarted (the phase was run again): "
                + ", ".join(f"{n} ×{k}" for n, k in restarts.items())  # type: ignore[attr-defined]
                + "."
            )
            out.append("")
        out.append(
            f"Store sizes on disk: hubgraph {info.get('hubgraph_store_mb', 0):.0f} MB, "
            f"oxigraph load {info.get('oxigraph_store_mb', 0):.0f} MB."
        )
        out.append("")
    return "\n".join(out)


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
        "--budget", type=float, default=840.0, help="seconds the whole run may take (default 840)"
    )
    parser.add_argument("--keep-stores", action="store_true", help="keep bench/work/stores-*")
    parser.add_argument("--out", type=Path, default=RESULTS / "latest.md")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes = "1e5"
    args.size_list = [generate.expand(s) for s in args.sizes.split(",") if s.strip()]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        print("Error: wrk not found; apt-get install -y wrk", file=sys.stderr)
        return 1
    # A SIGTERM (e.g. from make or CI) unwinds through the finally blocks that stop servers.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    budget = Budget(args.budget)
    host = machine()
    servers: list[Server] = []
    results = []
    try:
        for i, triples in enumerate(args.size_list):
            plan = plan_for(triples, args.quick, args.size_list[i + 1 :])
            figures, rows, info = measure_size(triples, args, budget, plan, servers)
            results.append((triples, figures, rows, info))
    finally:
        for s in servers:
            s.stop()
    wall = time.monotonic() - budget.started
    text = report(results, args, host, wall)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text + "\n", encoding="utf-8")
    print(text)
    log(f"wrote {args.out}; total {wall:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
