"""The fault and abuse suite: a real server over a real store, attacked as an anonymous client
would, while another client's trivial query must still be answered.

One server for the module (two workers, as on a two-core machine). Attackers come from
127.0.0.1 and, where the attack needs several addresses, 127.0.0.3 and up; the bystander whose
``ASK {}`` must keep being answered comes from 127.0.0.2. Every response any test receives is
recorded, and the last test checks that none was an unplanned 5xx and that the store's quads
are what they were before the first attack. ``make soak`` runs the storm for longer
(``HUBGRAPH_SOAK_ROUNDS``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from conftest import LiveServer
from http_checks import assert_error

from hubgraph.config import Settings
from hubgraph.runtime import load_data
from hubgraph.store import OxigraphStore

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 6.0
"""The fault server's query timeout."""
QUEUE = 3.0
"""… and how long a query may wait for a worker."""
MEMORY_MB = 120
"""… and each worker's memory cap (a worker at rest holds some 40 MB)."""
HEAD_TIMEOUT = 2.0
BOUND = 4.0
"""How long the bystander's trivial query may take at worst: generous on a loaded machine, and
still shorter than the query timeout, so a worker held by an attacker would show."""
SOAK_ROUNDS = int(os.environ.get("HUBGRAPH_SOAK_ROUNDS", "1"))
rounds = pytest.mark.parametrize("round_", range(SOAK_ROUNDS))
"""Repeats an attack ``HUBGRAPH_SOAK_ROUNDS`` times (``make soak``)."""

ATTACKER, BYSTANDER = "127.0.0.1", "127.0.0.2"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
HUNGRY = (
    "SELECT ?x WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i "
    "BIND(CONCAT(STR(?a), STR(?c), STR(?f), STR(?i), STR(?a), STR(?c), STR(?f)) AS ?x) } "
    "ORDER BY ?x"
)
HUGE = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }"
"""Some 2.6 million rows: far more than any socket buffer holds."""
PLANNED = {
    503: {"busy"},
    504: {"query-timeout"},
    507: {"query-memory-exceeded"},
    500: {"query-failed"},  # only where a test kills the worker under a query on purpose
}
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


class Record:
    """Every HTTP status the suite saw, with its error code."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen: list[tuple[str, int, str | None]] = []

    def note(self, what: str, response: httpx.Response) -> httpx.Response:
        code = None
        if response.status_code >= 400:
            code = assert_error(response, response.status_code)["error"]
        with self.lock:
            self.seen.append((what, response.status_code, code))
        return response


def client(url: str, address: str, timeout: float = 60) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=url, timeout=timeout, transport=transport)


class Bystander:
    """Asks ``ASK {}`` from its own address every quarter second while it runs."""

    def __init__(self, url: str, record: Record) -> None:
        self.url, self.record = url, record
        self.answers: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with client(self.url, BYSTANDER, timeout=30) as http:
            while True:
                started = time.monotonic()
                try:
                    response = http.get("/sparql", params={"query": "ASK {}"})
                    self.record.note("bystander", response)
                    self.answers.append((time.monotonic() - started, response.status_code))
                except Exception as exc:  # noted as a failure, not lost with the thread
                    self.answers.append((time.monotonic() - started, repr(exc)))  # type: ignore[arg-type]
                if self._stop.wait(0.25):
                    return

    def __enter__(self) -> Bystander:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=60)
        assert self.answers, "the bystander got no answer at all"
        slow = [a for a in self.answers if a[1] != 200 or a[0] > BOUND]
        assert not slow, f"the bystander was kept waiting or refused: {slow}"


@pytest.fixture(scope="module")
def quads_before(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, set[str]]:
    folder = tmp_path_factory.mktemp("faults")
    store = OxigraphStore(folder / "store")
    settings = Settings(
        store=str(folder / "store"),
        data_dir=ROOT / "data",
        ontology_dir=ROOT / "ontology",
        queries_dir=ROOT / "queries",
    )
    load_data(store, settings)
    quads = {str(q) for q in store.quads()}
    store.close()
    return folder / "store", quads


@pytest.fixture(scope="module")
def record() -> Record:
    return Record()


@pytest.fixture(scope="module")
def fault_server(quads_before: tuple[Path, set[str]]) -> Iterator[LiveServer]:
    live = LiveServer(
        quads_before[0],
        extra_env={
            "HUBGRAPH_WORKERS": "2",
            "HUBGRAPH_QUERY_TIMEOUT": str(TIMEOUT),
            "HUBGRAPH_QUEUE_TIMEOUT": str(QUEUE),
            "HUBGRAPH_QUERY_MEMORY_MB": str(MEMORY_MB),
            "HUBGRAPH_HEADER_TIMEOUT": str(HEAD_TIMEOUT),
            "HUBGRAPH_BODY_TIMEOUT": str(HEAD_TIMEOUT),
            "HUBGRAPH_CLIENT_QUERIES": "0",  # the default: workers - 1
        },
    )
    yield live
    live.stop()


def health(url: str) -> dict[str, object]:
    body = httpx.get(url + "/health", timeout=30).json()
    return body["queries"]  # type: ignore[no-any-return]


def wait_for_idle_workers(url: str, seconds: float = 30) -> dict[str, object]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status = health(url)
        if status["idle"] == status["workers"]:
            return status
        time.sleep(0.2)
    raise AssertionError(f"the workers did not come back: {health(url)}")


def worker_pids(server: LiveServer) -> list[int]:
    """The server's query worker processes (multiprocessing spawns them via spawn_main)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == server.process.pid and b"spawn_main" in cmdline:
            pids.append(int(entry.name))
    return pids


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def raw_exchange(url: str, data: bytes, *, linger: float = 0, source: str = ATTACKER) -> bytes:
    """Send ``data`` over a bare socket (``linger`` seconds between its bytes' halves), read
    until the server closes."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30, source_address=(source, 0)) as s:
        half = len(data) // 2
        s.sendall(data[:half])
        if linger:
            time.sleep(linger)
        with contextlib.suppress(OSError):  # the server may have answered and closed already
            s.sendall(data[half:])
        out = b""
        try:
            while chunk := s.recv(65536):
                out += chunk
        except ConnectionResetError:
            pass
    return out


def status_and_body(raw: bytes) -> tuple[int, bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


# -- 1. a handful of runaways from one client starve no one else -------------------------------
@rounds
def test_runaways_from_one_client_leave_a_worker_for_others(
    fault_server: LiveServer, record: Record, round_: int
) -> None:
    url = fault_server.url
    with Bystander(url, record), ThreadPoolExecutor(4) as pool:

        def runaway(_: int) -> httpx.Response:
            with client(url, ATTACKER) as http:
                return record.note("runaway", http.get("/sparql", params={"query": RUNAWAY}))

        answers = list(pool.map(runaway, range(4)))
    for response in answers:
        assert response.status_code in {503, 504}, response.text
        if response.status_code == 503:
            assert response.headers["retry-after"].isdigit()


# -- 6. a query that grows is stopped at the memory cap ----------------------------------------
@rounds
def test_memory_hungry_query_is_stopped_at_the_cap(
    fault_server: LiveServer, record: Record, round_: int
) -> None:
    with Bystander(fault_server.url, record), client(fault_server.url, ATTACKER) as http:
        started = time.monotonic()
        response = record.note("hungry", http.get("/sparql", params={"query": HUNGRY}))
        took = time.monotonic() - started
    body = assert_error(response, 507, "query-memory-exceeded")
    assert f"{MEMORY_MB} MB" in body["message"]
    assert took < TIMEOUT, "stopped by the timeout, not the memory cap"
    wait_for_idle_workers(fault_server.url)


# -- 5. sockets that stop reading hold no worker past the deadline -----------------------------
@rounds
def test_clients_that_stop_reading_free_their_workers_at_the_deadline(
    fault_server: LiveServer, record: Record, round_: int
) -> None:
    url = fault_server.url
    host, port = url.removeprefix("http://").split(":")
    target = "/sparql?" + str(httpx.QueryParams({"query": HUGE}))
    request = (
        f"GET {target} HTTP/1.1\r\nHost: {host}\r\nAccept: application/sparql-results+json\r\n\r\n"
    )
    readers = []
    for n in (3, 4):  # two clients, so that each gets a worker of its own
        sock = socket.create_connection((host, int(port)), source_address=(f"127.0.0.{n}", 0))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(request.encode())
        readers.append(sock)
    started = time.monotonic()
    try:
        time.sleep(1.5)
        assert health(url)["busy"] == 2, "the slow readers should hold both workers for now"
        # The deadline frees both workers, though the sockets stay open and unread.
        status = wait_for_idle_workers(url, seconds=TIMEOUT + 10)
        assert time.monotonic() - started < TIMEOUT + 5, status
        with client(url, BYSTANDER) as http:
            ok = record.note("after-slow", http.get("/sparql", params={"query": "ASK {}"}))
        assert ok.status_code == 200
        # And the server let go of the connections too.
        for sock in readers:
            sock.settimeout(20)
            with pytest.raises((ConnectionResetError, TimeoutError, OSError)):
                while sock.recv(1 << 20):
                    pass
                raise ConnectionResetError  # a clean end counts as let go as well
    finally:
        for sock in readers:
            sock.close()


# -- queue time is not run time -----------------------------------------------------------------
def test_a_query_that_waited_too_long_gets_503_with_retry_after(
    fault_server: LiveServer, record: Record
) -> None:
    url = fault_server.url
    replaced_before = int(health(url)["replaced"])  # type: ignore[call-overload]

    def runaway(address: str) -> httpx.Response:
        with client(url, address) as http:
            return record.note("runaway", http.get("/sparql", params={"query": RUNAWAY}))

    with ThreadPoolExecutor(2) as pool:
        held = [pool.submit(runaway, a) for a in ("127.0.0.3", "127.0.0.4")]
        time.sleep(1.0)
        with client(url, "127.0.0.5") as http:
            started = time.monotonic()
            queued = record.note("queued", http.get("/sparql", params={"query": "ASK {}"}))
            waited = time.monotonic() - started
        results = [f.result() for f in held]
    body = assert_error(queued, 503, "busy")
    assert queued.headers["retry-after"].isdigit(), queued.headers
    assert waited < TIMEOUT, "the queue wait is bounded on its own, not by the query timeout"
    assert "busy" in body["message"]
    assert [r.status_code for r in results] == [504, 504]
    wait_for_idle_workers(url)
    # Only the two runaways' workers were stopped; waiting killed none.
    assert int(health(url)["replaced"]) - replaced_before == 2  # type: ignore[call-overload]


# -- dead workers are replaced, idle or busy ---------------------------------------------------
@rounds
def test_workers_killed_while_idle_are_replaced(
    fault_server: LiveServer, record: Record, round_: int
) -> None:
    url = fault_server.url
    wait_for_idle_workers(url)
    pids = worker_pids(fault_server)
    assert len(pids) == 2, pids
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    time.sleep(0.2)
    with client(url, BYSTANDER) as http:
        for _ in range(6):
            response = record.note(
                "after-idle-kill", http.get("/sparql", params={"query": "ASK {}"})
            )
            assert response.status_code == 200, response.text
    status = wait_for_idle_workers(url)
    assert set(worker_pids(fault_server)).isdisjoint(pids)
    assert status["workers"] == 2


@rounds
def test_a_worker_killed_under_a_query_is_replaced(
    fault_server: LiveServer, record: Record, round_: int
) -> None:
    url = fault_server.url
    wait_for_idle_workers(url)
    with ThreadPoolExecutor(1) as pool:

        def runaway() -> httpx.Response:
            with client(url, ATTACKER) as http:
                return record.note("killed", http.get("/sparql", params={"query": RUNAWAY}))

        future = pool.submit(runaway)
        time.sleep(1.0)
        pids = worker_pids(fault_server)
        before = {pid: cpu_ticks(pid) for pid in pids}
        time.sleep(0.5)
        busy = max(pids, key=lambda pid: cpu_ticks(pid) - before[pid])
        os.kill(busy, signal.SIGKILL)
        response = future.result()
    assert_error(response, 500, "query-failed")
    with Bystander(url, record):
        time.sleep(1.0)
    wait_for_idle_workers(url)


# -- 8. HTTP limits, each in the one error shape -----------------------------------------------
@rounds
def test_oversized_and_slow_requests_get_the_error_shape(
    fault_server: LiveServer, record: Record, round_: int
) -> None:
    url = fault_server.url
    many = b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\n"
    many += b"".join(b"X-H%d: v\r\n" % i for i in range(10_000)) + b"\r\n"
    big = (
        b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\nX-Big: "
        + b"a" * 1_000_000
        + b"\r\n\r\n"
    )
    long_line = b"GET /sparql?query=" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    slow_head = b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\nX-Slow: yes\r\n\r\n"
    slow_body = (
        b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
        b"Content-Length: 200\r\n\r\nASK {}"
    )
    garbage = b"\x16\x03\x01 not http at all\r\n\r\n"
    cases = [
        ("many headers", many, 0, 431, "headers-too-large"),
        ("a 1 MB header", big, 0, 431, "headers-too-large"),
        ("a long request line", long_line, 0, 414, "uri-too-long"),
        ("slow headers", slow_head, HEAD_TIMEOUT * 3, 408, "request-timeout"),
        ("a slow body", slow_body, HEAD_TIMEOUT * 3, 408, "request-timeout"),
        ("not HTTP", garbage, 0, 400, "bad-request"),
    ]
    with Bystander(url, record), ThreadPoolExecutor(len(cases)) as pool:
        futures = {
            name: (pool.submit(raw_exchange, url, data, linger=linger), status, code)
            for name, data, linger, status, code in cases
        }
        for name, (future, status, code) in futures.items():
            got, body = status_and_body(future.result())
            assert (got, code.encode()) == (status, code.encode()) and code.encode() in body, (
                name,
                got,
                body[:200],
            )
            assert b'"message"' in body, name


def test_an_endless_header_is_cut_off_without_growing_the_server(
    fault_server: LiveServer, record: Record
) -> None:
    url = fault_server.url
    host, port = url.removeprefix("http://").split(":")
    statm = Path(f"/proc/{fault_server.process.pid}/statm")
    rss_before = int(statm.read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    answers = []
    with Bystander(url, record):
        for n in range(3):
            with socket.create_connection((host, int(port)), timeout=10) as sock:
                sock.sendall(b"GET / HTTP/1.1\r\nX-Endless: ")
                sent = 0
                try:
                    while sent < 10_000_000:
                        sock.sendall(b"a" * 65536)
                        sent += 65536
                except OSError:
                    pass
                data = b""
                try:
                    while chunk := sock.recv(65536):
                        data += chunk
                except OSError:
                    pass
                answers.append((n, sent, data[:120]))
    rss_after = int(statm.read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    for n, sent, data in answers:
        assert sent < 10_000_000, f"connection {n}: the server read 10 MB of one header"
        assert data.startswith(b"HTTP/1.1 431"), (n, data)
    assert rss_after - rss_before < 50 * 2**20, (rss_before, rss_after)


# -- SERVICE smuggling and deep nesting: no connection, no crash --------------------------------
@rounds
def test_smuggled_service_calls_reach_no_listener(
    fault_server: LiveServer, record: Record, round_: int
) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.setblocking(False)
        target = f"http://127.0.0.1:{listener.getsockname()[1]}/sparql"
        smuggled = [
            # The scanner takes `ex:a\` for a name and the rest of the line for a comment.
            "PREFIX ex: <http://example.org/>\n"
            f"SELECT * WHERE {{ {{ BIND(ex:a\\#b AS ?x) }} UNION {{ SERVICE <{target}> {{ ?s ?p ?o }} }} }}\n",
            "PREFIX ex: <http://example.org/>\n"
            f"SELECT * WHERE {{ {{ BIND(ex:it\\'s AS ?x) }} UNION {{ SERVICE <{target}> {{ ?s ?p ?o }} }} }}\n",
            f"SELECT * WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}",
        ]
        with Bystander(fault_server.url, record), client(fault_server.url, ATTACKER) as http:
            for query in smuggled:
                response = record.note("smuggled", http.get("/sparql", params={"query": query}))
                assert response.status_code in {400, 403}, response.text
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody ever connected


@rounds
def test_deep_nesting_costs_at_most_a_worker(
    fault_server: LiveServer, record: Record, round_: int
) -> None:
    deep = [
        "SELECT * WHERE " + "{" * 5000 + "}" * 5000,
        "ASK { FILTER(" + "(" * 5000 + "1" + ")" * 5000 + ") }",
        "ASK { FILTER(" + "!" * 50_000 + "true) }",
    ]
    with Bystander(fault_server.url, record), client(fault_server.url, ATTACKER) as http:
        for query in deep:
            response = http.post(
                "/sparql",
                content=query.encode(),
                headers={"Content-Type": "application/sparql-query"},
            )
            record.note("deep", response)
            assert response.status_code in {400, 500}, response.text
    wait_for_idle_workers(fault_server.url)


# -- and afterwards -----------------------------------------------------------------------------
def test_no_unplanned_5xx_and_the_store_is_unchanged(
    fault_server: LiveServer, record: Record, quads_before: tuple[Path, set[str]]
) -> None:
    with client(fault_server.url, BYSTANDER) as http:
        assert http.get("/sparql", params={"query": "ASK {}"}).status_code == 200
    unplanned = [s for s in record.seen if s[1] >= 500 and s[2] not in PLANNED.get(s[1], set())]
    assert not unplanned, unplanned
    crashes = [s for s in record.seen if s[1] == 500 and s[0] not in {"killed", "deep"}]
    assert not crashes, crashes
    fault_server.stop()
    store = OxigraphStore(quads_before[0], read_only=True)
    try:
        assert {str(q) for q in store.quads()} == quads_before[1]
    finally:
        store.close()
