"""The benchmark's harness: endpoints (one way of asking each query), time budget, and the
measurement phases (latency at c=1, throughput at c=16, first/last byte and memory).
"""

from __future__ import annotations

import http.client
import io
import json
import re
import socket
import statistics
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from servers import HOST, ROOT, Server, log

from hubgraph.queries import bind, read_query

CANNED = "countries-attaching-conditions"
CONCURRENCY = 16
IDLE_REUSE = 2.0
"""Seconds a kept-alive connection may sit idle and still be reused."""
LARGE_QUERY = """PREFIX hg: <https://w3id.org/hubgraph/ontology#>
SELECT ?stance ?holder ?position ?quote ?text ?speaker WHERE {
  ?stance a hg:Stance ; hg:holder ?holder ; hg:position ?position ; hg:derivedFrom ?quote .
  ?quote a hg:Quote ; hg:text ?text ; hg:speaker ?speaker .
}"""
POINT_ENTITY = "https://w3id.org/hubgraph/id/stance/bench-article-000100-1"
POINT_QUERY = f"SELECT ?p ?o WHERE {{ <{POINT_ENTITY}> ?p ?o }}"
POINT_SUBJECTS = 4096
"""Most stances the point lookup cycles through: one subject asked again and again would only
measure the servers' caches of that one answer (and a cache of query texts)."""
STANCE_BASE = "https://w3id.org/hubgraph/id/stance/"
_STANCE_LINE = re.compile(r"^    stance:(bench-article-\d{6}-\d+)$", re.MULTILINE)


def point_query(entity: str) -> str:
    return f"SELECT ?p ?o WHERE {{ <{entity}> ?p ?o }}"


def point_subjects(articles: Path, limit: int = POINT_SUBJECTS) -> list[str]:
    """Up to ``limit`` stance IRIs of the generated ``articles`` (TriG), in the file's order,
    ``POINT_ENTITY`` first: the first request of every endpoint is then the point lookup whose
    rows the report compares across endpoints."""
    found = [STANCE_BASE + m.group(1) for m in _STANCE_LINE.finditer(articles.read_text("utf-8"))]
    rest = [iri for iri in dict.fromkeys(found) if iri != POINT_ENTITY]
    return [POINT_ENTITY, *rest][: max(1, limit)]


def point_texts(articles: Path, limit: int = POINT_SUBJECTS) -> list[str]:
    return [point_query(iri) for iri in point_subjects(articles, limit)]


def conditions_sparql() -> str:
    """The canned query's text with its default parameter bound, as hubgraph binds it."""
    query = read_query(ROOT / "queries" / f"{CANNED}.rq")
    return bind(query, {}, lambda value: None, lambda scheme: {}).text


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
        cycles: dict[str, list[str]] | None = None,
    ) -> None:
        self.name = name
        self.server = server
        self.timeout = timeout
        self.paths = paths
        """query key → (path with query string, Accept)."""
        self.cycles = cycles or {}
        """query key → paths asked in turn, request after request, instead of ``paths``'s
        (the same order on every endpoint: the n-th request of each asks the same)."""
        self._turn: dict[str, int] = {}
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

    def path_for(self, key: str) -> str:
        """The path of ``key``'s next request (the next of its cycle, if it has one)."""
        cycle = self.cycles.get(key)
        if not cycle:
            return self.paths[key][0]
        turn = self._turn.get(key, 0)
        self._turn[key] = turn + 1
        return cycle[turn % len(cycle)]

    def fetch(self, key: str) -> Fetched:
        """One request on a kept-alive connection, read to the end."""
        path, accept = self.path_for(key), self.paths[key][1]
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

    def __init__(
        self, store_dir: Path, texts: dict[str, str], cycles: dict[str, list[str]] | None = None
    ) -> None:
        self.store = ox.Store.read_only(str(store_dir))
        self.texts = texts
        self.cycles = cycles or {}
        """query key → texts asked in turn (as HttpEndpoint.cycles)."""
        self._turn: dict[str, int] = {}
        self._lock = threading.Lock()  # in_process_for's threads share the turns

    def text_for(self, key: str) -> str:
        cycle = self.cycles.get(key)
        if not cycle:
            return self.texts[key]
        with self._lock:
            turn = self._turn.get(key, 0)
            self._turn[key] = turn + 1
        return cycle[turn % len(cycle)]

    def _run(self, key: str) -> Fetched:
        text = self.text_for(key)
        started = time.perf_counter()
        out = _FirstWrite()
        result = self.store.query(text, use_default_graph_as_union=True)
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
        if exact:
            figures.put("large.rss_process", name, max(s.peaks(), default=0))
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
            mine = HttpEndpoint(
                endpoint.name, endpoint.server, endpoint.paths, cycles=endpoint.cycles
            )
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


WRK_CYCLE = """-- Each connection's thread asks the paths of the file given after `--` in turn.
local paths = {}
local turn = 0
function init(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
end
function request()
  turn = turn % #paths + 1
  return wrk.format("GET", paths[turn])
end
"""


def wrk_command(endpoint: HttpEndpoint, key: str, seconds: int, folder: Path) -> list[str]:
    """wrk's command line for ``key``: with a Lua script cycling through its paths if it has a
    cycle (the script and the list of paths written to ``folder``)."""
    path, accept = endpoint.paths[key]
    url = f"http://{HOST}:{endpoint.server.port}{path}"
    cmd = ["wrk", "-t2", f"-c{CONCURRENCY}", f"-d{seconds}s", "--timeout", "60s",
           "-H", f"Accept: {accept}"]  # fmt: skip
    cycle = endpoint.cycles.get(key)
    if not cycle:
        return [*cmd, url]
    script = folder / "cycle.lua"
    script.write_text(WRK_CYCLE, encoding="utf-8")
    listed = folder / f"{endpoint.name}-{key}.paths"
    listed.write_text("".join(p + "\n" for p in cycle), encoding="utf-8")
    return [*cmd, "-s", str(script), url, "--", str(listed)]


def run_wrk(endpoint: HttpEndpoint, key: str, seconds: int) -> tuple[float, int]:
    with tempfile.TemporaryDirectory(prefix="wrk-") as folder:
        done = subprocess.run(
            wrk_command(endpoint, key, seconds, Path(folder)),
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


@dataclass
class WrkRun:
    rps: float
    errors: int
    cpu: list[float]
    """CPU seconds per request of each process of the server's tree (its root first), over the
    run up to shortly before wrk stops."""


def run_wrk_with_cpu(endpoint: HttpEndpoint, key: str, seconds: int) -> WrkRun:
    """:func:`run_wrk`, with the CPU time the server's processes spent per request. It is read
    shortly before wrk stops: at its end wrk drops connections with requests in flight, and
    hubgraph stops (kills) a worker whose client left, taking its CPU time out of the tree, then
    starts a new one; neither belongs to the steady state measured."""
    server = endpoint.server
    first = server.cpu_by_process()
    samples: list[tuple[float, dict[int, float]]] = []
    timer = threading.Timer(
        max(0.2, seconds - 0.3), lambda: samples.append((time.monotonic(), server.cpu_by_process()))
    )
    started = time.monotonic()
    timer.start()
    rps, errors = run_wrk(endpoint, key, seconds)
    timer.join()
    ((at, last),) = samples
    handled = rps * (at - started)
    # Processes that started during the run (a replaced worker) count from zero.
    cpu = [(last[pid] - first.get(pid, 0.0)) / handled if handled else 0.0 for pid in last]
    return WrkRun(rps, errors, cpu)
