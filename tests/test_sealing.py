"""SERVICE defence in depth, tested below the guard: jobs go straight to the worker pools.

A sealed worker reaches nothing, whatever the query says; a query with allow-listed SERVICE calls
reaches its endpoint (a stand-in SPARQL server on loopback) only through the forwarder, with our
User-Agent. The pools here are real worker processes over a real store on disk.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyoxigraph as ox
import pytest

from hubgraph import errors
from hubgraph.config import Settings
from hubgraph.executor import Job, QueryPools, WorkerPool
from hubgraph.query.forwarder import ServiceForwarder, rewrite_services
from hubgraph.query.guard import ServiceCall
from hubgraph.query.sealing import seal_network
from hubgraph.runtime import load_data
from hubgraph.store import OxigraphStore

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]


class StandIn:
    """A tiny SPARQL endpoint on 127.0.0.1 over an in-memory pyoxigraph store; it notes every
    request's method, path and User-Agent."""

    def __init__(self) -> None:
        self.store = ox.Store()
        self.store.add(
            ox.Quad(ox.NamedNode("http://example.org/remote"), ox.NamedNode("http://example.org/says"),
                    ox.Literal("hello from the stand-in"))
        )  # fmt: skip
        self.seen: list[dict[str, str]] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._answer(parse_qs(urlsplit(self.path).query).get("query", [""])[0])

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
                kind = self.headers.get("Content-Type", "")
                query = parse_qs(body)["query"][0] if "form" in kind else body
                self._answer(query)

            def _answer(self, query: str) -> None:
                stand_in.seen.append(
                    {"method": self.command, "path": self.path,
                     "agent": self.headers.get("User-Agent", ""), "query": query}
                )  # fmt: skip
                result = stand_in.store.query(query)
                data = result.serialize(format=ox.QueryResultsFormat.JSON)
                self.send_response(200)
                self.send_header("Content-Type", "application/sparql-results+json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sparql"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("sealing") / "store"
    settings = Settings(
        store=str(path), data_dir=ROOT / "data", ontology_dir=ROOT / "ontology",
        queries_dir=ROOT / "queries",
    )  # fmt: skip
    store = OxigraphStore(path)
    load_data(store, settings)
    store.close()
    return str(path)


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        sock.setblocking(False)
        yield sock


@pytest.fixture(scope="module")
def stand_in() -> Iterator[StandIn]:
    server = StandIn()
    yield server
    server.close()


def test_rewrite_services_replaces_each_target_span() -> None:
    allow = ("https://query.wikidata.org/sparql", "http://other.example/sparql")
    text = (
        "PREFIX wdq: <https://query.wikidata.org/>\n"
        "SELECT * { SERVICE wdq:sparql { ?a ?b ?c } SERVICE SILENT <http://other.example/sparql> { } }"
    )
    first = text.index("wdq:sparql")
    second = text.index("<http://other.example/sparql>")
    calls = [
        ServiceCall(allow[0], first, first + len("wdq:sparql"), False),
        ServiceCall(allow[1], second, second + len("<http://other.example/sparql>"), True),
    ]
    out = rewrite_services(text, calls, allow, 4321)
    assert "SERVICE <http://127.0.0.1:4321/service/0> { ?a ?b ?c }" in out
    assert "SERVICE SILENT <http://127.0.0.1:4321/service/1> { }" in out
    with pytest.raises(errors.ServiceNotAllowed):
        rewrite_services(text, [ServiceCall("http://evil.example/", 0, 1, False)], allow, 4321)


def test_seal_network_leaves_no_network(tmp_path: Path) -> None:
    # In a child process: sealing is for good.
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    with ctx.Pool(1) as pool:
        sealing = pool.apply(seal_network)
    assert sealing.sealed, sealing.detail


def test_a_sealed_worker_reaches_no_listener(store_path: str, listener: socket.socket) -> None:
    target = f"http://127.0.0.1:{listener.getsockname()[1]}/sparql"
    pool = WorkerPool(store_path, 1, seal=True, queue_timeout=5)
    try:
        assert pool.status()["sealed"] is True, pool.status()
        for query in (
            f"SELECT * WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}",
            f"SELECT * WHERE {{ SERVICE SILENT <{target}> {{ ?s ?p ?o }} FILTER(false) }}",
            f"ASK {{ SERVICE <{target}> {{ ?s ?p ?o }} }}",
        ):
            try:
                pool.rows(Job(query), 10)
            except errors.ServiceNotAllowed as exc:
                assert "network" in exc.message
        # And the worker still serves.
        assert pool.rows(Job("ASK {}"), 10).boolean is True
    finally:
        pool.close()
    with pytest.raises(BlockingIOError):
        listener.accept()


def test_allow_listed_service_goes_through_the_forwarder(
    store_path: str, stand_in: StandIn, listener: socket.socket
) -> None:
    settings = Settings(
        store=store_path, workers=1, service_allowlist=(stand_in.url,), service_workers=1,
        queue_timeout=5, contact_url="https://example.org/hubgraph-ops",
    )  # fmt: skip
    pools = QueryPools.from_settings(settings)
    try:
        text = f"SELECT ?said WHERE {{ SERVICE <{stand_in.url}> {{ ?who ?p ?said }} }}"
        start = text.index("<")
        call = ServiceCall(stand_in.url, start, start + len(stand_in.url) + 2, False)
        rows = pools.rows(Job(text, service_calls=(call,)), 20)
        assert [r[0].value for r in rows.rows] == ["hello from the stand-in"]  # type: ignore[union-attr]
        assert stand_in.seen, "the stand-in saw no request"
        request = stand_in.seen[-1]
        assert request["agent"].startswith("hubgraph/"), request
        assert "https://example.org/hubgraph-ops" in request["agent"]
        assert pools.forwarder is not None
        assert pools.forwarder.calls[-1][1] == stand_in.url
        # The same query without its verdict runs sealed: the stand-in sees nothing more.
        before = len(stand_in.seen)
        with pytest.raises(errors.ServiceNotAllowed):
            pools.rows(Job(text), 20)
        assert len(stand_in.seen) == before
        status = pools.status()
        assert status["queries"]["sealed"] is True  # type: ignore[index]
        assert status["service"]["sealed"] is False  # type: ignore[index]
    finally:
        pools.close()
    with pytest.raises(BlockingIOError):
        listener.accept()


def test_the_forwarder_refuses_what_is_not_allow_listed(stand_in: StandIn) -> None:
    import httpx

    forwarder = ServiceForwarder((stand_in.url,), timeout=5, max_bytes=100, contact="x")
    try:
        base = f"http://127.0.0.1:{forwarder.port}"
        assert httpx.get(base + "/service/1", params={"query": "ASK {}"}).status_code == 404
        assert httpx.get(base + "/elsewhere").status_code == 404
        ok = httpx.get(base + "/service/0", params={"query": "ASK {}"})
        assert ok.status_code == 200 and ok.json()["boolean"] is True
        # An answer over the size limit is not passed on.
        big = httpx.get(base + "/service/0", params={"query": "SELECT * { ?s ?p ?o }"})
        assert big.status_code == 502 and "over 100 bytes" in big.text
    finally:
        forwarder.close()
