"""Clients that leave before their answer, against a live server with ONE query worker.

The explorer's Cancel aborts its fetch and curl's ^C closes the socket: either way the server
only sees the connection end. A runaway query whose client has left must not hold the worker
until the query timeout — the worker is stopped at once (``/health`` counts it as cancelled),
and the next query, with one worker, runs as soon as its replacement is up. A client that
abandons a slow request body costs one log line, not a traceback.
"""

from __future__ import annotations

import shutil
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from conftest import ROOT, LiveServer

pytestmark = pytest.mark.slow

TIMEOUT = 120.0
"""The server's query timeout: a worker freed well before it was freed by the departure."""
FREED_WITHIN = 20.0
"""How long stopping the worker and starting its replacement may take on a loaded machine."""
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
HUGE = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }"
"""Millions of rows: still streaming long after its first bytes have arrived."""
RUNAWAY_CANNED = f"""#+ title: Runaway
#+ description: A count over a four-fold cross product of the graph: it never ends.
{RUNAWAY}
"""


@pytest.fixture(scope="module")
def one_worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("departures")
    queries = folder / "queries"
    shutil.copytree(ROOT / "queries", queries)
    (queries / "runaway.rq").write_text(RUNAWAY_CANNED, encoding="utf-8")
    live = LiveServer(
        folder / "store",
        {
            "HUBGRAPH_WORKERS": "1",
            "HUBGRAPH_QUERY_TIMEOUT": str(TIMEOUT),
            "HUBGRAPH_QUEUE_TIMEOUT": str(TIMEOUT),
            "HUBGRAPH_BODY_TIMEOUT": str(TIMEOUT),
            "HUBGRAPH_QUERIES_DIR": str(queries),
        },
    )
    yield live
    live.stop()


def workers(url: str) -> dict[str, object]:
    return httpx.get(url + "/health", timeout=30).json()["queries"]  # type: ignore[no-any-return]


def cancelled(url: str) -> int:
    return int(workers(url)["stopped"].get("cancelled", 0))  # type: ignore[attr-defined]


def wait_until(what: str, check: object, seconds: float) -> float:
    """Seconds until ``check()`` is true (polled), failing after ``seconds``."""
    started = time.monotonic()
    while not check():  # type: ignore[operator]
        if time.monotonic() - started > seconds:
            raise AssertionError(f"not within {seconds:g} s: {what}")
        time.sleep(0.05)
    return time.monotonic() - started


def worker_pids(server: LiveServer) -> set[int]:
    """The server's query worker processes (multiprocessing spawns them via spawn_main)."""
    pids = set()
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, ValueError):
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == server.process.pid and fields[0] != "Z" and b"spawn_main" in cmdline:
            pids.add(int(entry.name))
    return pids


def departure_lines(server: LiveServer) -> list[str]:
    return [line for line in server.log.read_text().splitlines() if "client went away" in line]


def request_bytes(server: LiveServer, how: str) -> bytes:
    host = f"127.0.0.1:{server.port}"
    if how == "canned":
        return f"GET /queries/runaway HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    if how in {"get", "streaming"}:
        target = "/sparql?" + urlencode({"query": RUNAWAY if how == "get" else HUGE})
        return f"GET {target} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    body = urlencode({"query": RUNAWAY}).encode()  # the explorer's POST
    return (
        f"POST /sparql HTTP/1.1\r\nHost: {host}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Accept: application/sparql-results+json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body


@pytest.mark.parametrize("how", ["post", "get", "canned", "streaming"])
def test_a_client_that_leaves_frees_the_worker_of_its_runaway_query(
    one_worker: LiveServer, how: str
) -> None:
    url = one_worker.url
    wait_until("one idle worker", lambda: workers(url)["idle"] == 1, FREED_WITHIN)
    before, lines_before = cancelled(url), len(departure_lines(one_worker))
    (runner,) = worker_pids(one_worker)
    client = socket.create_connection(("127.0.0.1", one_worker.port))
    try:
        client.sendall(request_bytes(one_worker, how))
        wait_until("the runaway holds the worker", lambda: workers(url)["busy"] == 1, 30)
        if how == "streaming":  # leaving once the answer has begun
            assert client.recv(65536).startswith(b"HTTP/1.1 200")
    finally:
        client.close()  # what Cancel (an aborted fetch) and ^C do
    left = time.monotonic()
    wait_until("the worker is stopped", lambda: cancelled(url) == before + 1, FREED_WITHIN)
    wait_until("its process is gone", lambda: runner not in worker_pids(one_worker), 10)
    # With one worker, the next query gets the replacement, not a wait for the deadline.
    answer = httpx.get(url + "/sparql", params={"query": "ASK {}"}, timeout=TIMEOUT)
    assert answer.status_code == 200, answer.text
    assert answer.json()["boolean"] is True
    took = time.monotonic() - left
    assert took < FREED_WITHIN < TIMEOUT, f"the worker was freed after {took:.1f} s"
    status = workers(url)
    assert status["stopped"] == {"cancelled": before + 1}, status  # no timeout, no crash
    # One short line for a departure before the answer (a cut stream needs none), and no
    # traceback anywhere.
    if how != "streaming":
        wait_until(
            "the departure is logged", lambda: len(departure_lines(one_worker)) > lines_before, 10
        )
    assert "Traceback" not in one_worker.log.read_text()


def test_an_abandoned_request_body_is_one_log_line_not_a_traceback(one_worker: LiveServer) -> None:
    lines_before = len(departure_lines(one_worker))
    stopped_before = workers(one_worker.url)["stopped"]
    head = (
        b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
        b"Content-Length: 200\r\n\r\nASK {"
    )
    with socket.create_connection(("127.0.0.1", one_worker.port)) as client:
        client.sendall(head)  # headers, and 5 of the 200 bytes of body promised; then gone
    wait_until(
        "the departure is logged", lambda: len(departure_lines(one_worker)) > lines_before, 10
    )
    new = departure_lines(one_worker)[lines_before:]
    assert len(new) == 1 and "POST /sparql" in new[0], new
    assert len(new[0]) < 200, new[0]
    log = one_worker.log.read_text()
    assert "Traceback" not in log and "ClientDisconnect" not in log, log[-3000:]
    # No query ran for it, so no worker was stopped.
    assert workers(one_worker.url)["stopped"] == stopped_before


def test_a_killed_server_leaves_no_query_running(tmp_path: Path) -> None:
    """SIGKILL gives the server no chance to close its pool: the worker of a runaway query
    notices its parent is gone and ends, instead of burning a core for ever."""
    server = LiveServer(tmp_path / "store", {"HUBGRAPH_WORKERS": "1"})
    try:
        (runner,) = worker_pids(server)
        client = socket.create_connection(("127.0.0.1", server.port))
        client.sendall(request_bytes(server, "get"))
        wait_until("the runaway holds the worker", lambda: workers(server.url)["busy"] == 1, 30)
    finally:
        server.process.kill()
        server.process.wait(timeout=10)
    client.close()
    wait_until("the orphaned worker ends", lambda: not Path(f"/proc/{runner}").exists(), 10)
