"""Wikidata, federated: the canned query `wikidata-heads-of-government` through the whole path
a served query takes — the guard's allow-list, a sealed-off pool for every other query, the
forwarder with our User-Agent and timeout — against a stand-in on loopback.

The stand-in is a real SPARQL server (the Rust `oxigraph` binary of the test extras) holding
tests/fixtures/wikidata-standin.ttl: TEST DATA shaped like Wikidata, not Wikidata's. It is
allow-listed and named as the Wikidata endpoint through the environment, as production is
configured. No test here reaches the internet.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import ClassVar

import httpx
import pyoxigraph as ox
import pytest
from conftest import ROOT, LiveServer, OxigraphServer
from loopback import serving

from hubgraph.config import Settings
from hubgraph.errors import ServiceFailed, ServiceNotAllowed, ServiceTimeout
from hubgraph.runtime import open_service

pytestmark = pytest.mark.slow
FIXTURE = ROOT / "tests" / "fixtures" / "wikidata-standin.ttl"
QUERY = "wikidata-heads-of-government"
SERVICE_TIMEOUT = 1.5
"""The forwarder's timeout in these tests: shorter than the server's query timeout (3 s), so a
silent endpoint is answered by the forwarder's 504 while the worker lives on."""
CONTACT = "https://example.org/hubgraph-test-operators"
WD = "http://www.wikidata.org/entity/"
WDT = "http://www.wikidata.org/prop/direct/"


class Slow(BaseHTTPRequestHandler):
    """Records each request's User-Agent, then says nothing until released (or 10 s)."""

    agents: ClassVar[list[str]] = []
    release = threading.Event()

    def _answer(self) -> None:
        Slow.agents.append(self.headers.get("User-Agent", ""))
        Slow.release.wait(10)
        self.send_response(200)
        self.end_headers()

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


class Broken(BaseHTTPRequestHandler):
    """Answers as an overloaded endpoint does: 500 with a Java stack trace, or 429."""

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        status, body = (
            (429, b"Too Many Requests - please retry in 60 seconds.")
            if "rate" in self.path
            else (500, b"java.lang.IllegalStateException: out of memory\n\tat com.bigdata.Foo")
        )
        self.send_response(status)
        if status == 429:
            self.send_header("Retry-After", "60")
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture(scope="module")
def standin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OxigraphServer]:
    location = tmp_path_factory.mktemp("wikidata-standin") / "store"
    oxigraph = str(Path(sys.executable).with_name("oxigraph"))
    subprocess.run(
        [oxigraph, "load", "--location", str(location), "--file", str(FIXTURE)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    server = OxigraphServer(location)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def others() -> Iterator[tuple[str, str, str]]:
    """A silent endpoint, a failing one and a rate-limiting one, all on loopback."""
    Slow.release.clear()
    with serving(Slow) as slow, serving(Broken) as broken:
        yield slow + "/sparql", broken + "/sparql", broken + "/rate"
        Slow.release.set()


@pytest.fixture(scope="module")
def live(
    standin: OxigraphServer, others: tuple[str, str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("wikidata-live")
    server = LiveServer(
        folder / "store",
        extra_env={
            # The settings path production uses: the allow-list and the Wikidata endpoint.
            "HUBGRAPH_SERVICE_ALLOWLIST": ",".join((standin.url, *others)),
            "HUBGRAPH_WIKIDATA_ENDPOINT": standin.url,
            "HUBGRAPH_SERVICE_TIMEOUT": str(SERVICE_TIMEOUT),
            "HUBGRAPH_CONTACT_URL": CONTACT,
        },
        log_dir=folder,
    )
    yield server
    server.stop()


def expected_heads(standin: OxigraphServer) -> dict[str, str]:
    """QID → English label of its head, straight from the stand-in (P6 whose holder is a
    citizen of the entity), so that the test checks the path, not a copy of the fixture."""
    store = ox.Store()
    store.load(path=str(FIXTURE), format=ox.RdfFormat.TURTLE)
    rows = store.query(
        f"SELECT ?c ?l WHERE {{ ?c <{WDT}P6> ?h . ?h <{WDT}P27> ?c ; "
        '<http://www.w3.org/2000/01/rdf-schema#label> ?l FILTER(LANG(?l) = "en") }'
    )
    return {r["c"].value.removeprefix(WD): r["l"].value for r in rows}  # type: ignore[union-attr]


def test_heads_of_government_come_through_the_forwarder(
    live: LiveServer, standin: OxigraphServer
) -> None:
    response = httpx.get(f"{live.url}/queries/{QUERY}", timeout=30)
    assert response.status_code == 200, response.text
    rows = response.json()["rows"]
    heads = expected_heads(standin)
    by_qid = {row["qid"]: row for row in rows}
    # Every country that holds a stance and that the stand-in knows is answered, with its head.
    assert by_qid, rows
    assert set(by_qid) <= set(heads)
    for qid, row in by_qid.items():
        assert row["headLabel"] == heads[qid]
        assert row["headLabel"].endswith("(test data)")
        assert row["head"] == WD + row["headQid"]
        assert int(row["stances"]) >= 1 and row["positions"]
    # The P27 condition leaves out a head who is no citizen of what he heads.
    assert "Q34433" not in by_qid
    # Heads of government who are people of this graph are linked to them (asked of our graph
    # alone, through /sparql).
    for row in rows:
        ours = httpx.get(
            f"{live.url}/sparql", timeout=30,
            params={"query": f"SELECT ?e WHERE {{ ?e owl:sameAs <{row['head']}> }}"},
            headers={"Accept": "application/sparql-results+json"},
        ).json()["results"]["bindings"]  # fmt: skip
        assert row["headInGraph"] == (ours[0]["e"]["value"] if ours else None), row
    assert any(row["headInGraph"] for row in rows)


def test_the_query_is_refused_while_its_endpoint_is_off_the_allow_list() -> None:
    settings = Settings(
        store="memory", data_dir=ROOT / "data", ontology_dir=ROOT / "ontology",
        queries_dir=ROOT / "queries", service_allowlist=("https://query.wikidata.org/sparql",),
        wikidata_endpoint="http://127.0.0.1:9/mirror/sparql",
    )  # fmt: skip
    service = open_service(settings)
    try:
        with pytest.raises(ServiceNotAllowed, match=r"127\.0\.0\.1:9/mirror"):
            service.canned(QUERY, {})
    finally:
        service.close()


def test_a_silent_service_is_answered_504_and_the_worker_lives_on(
    live: LiveServer, others: tuple[str, str, str]
) -> None:
    slow = others[0]
    query = f"SELECT * WHERE {{ SERVICE <{slow}> {{ ?s ?p ?o }} }}"
    started = time.monotonic()
    response = httpx.get(f"{live.url}/sparql", params={"query": query}, timeout=30)
    elapsed = time.monotonic() - started
    assert response.status_code == 504, response.text
    body = response.json()
    assert body["error"] == "service-timeout", body
    assert f"within {SERVICE_TIMEOUT:g} s" in body["message"]
    # The forwarder's timeout answered, not the query's: the worker was not killed.
    assert SERVICE_TIMEOUT <= elapsed < live.timeout, elapsed
    # The request reached the endpoint with our User-Agent, naming the operators' contact.
    assert Slow.agents and Slow.agents[-1].startswith("hubgraph/"), Slow.agents
    assert CONTACT in Slow.agents[-1]
    # The SERVICE pool serves the next query at once.
    again = httpx.get(f"{live.url}/queries/{QUERY}", timeout=30)
    assert again.status_code == 200 and again.json()["rows"], again.text


@pytest.mark.parametrize(
    ("which", "words"),
    [(1, "answered 500 Internal Server Error: java.lang.IllegalStateException"),
     (2, "is rate-limiting this server (429 Too Many Requests); retry in 60 s")],
)  # fmt: skip
def test_a_failing_service_is_answered_502_in_words(
    live: LiveServer, others: tuple[str, str, str], which: int, words: str
) -> None:
    endpoint = others[which]
    query = f"SELECT * WHERE {{ SERVICE <{endpoint}> {{ ?s ?p ?o }} }}"
    response = httpx.post(f"{live.url}/sparql", data={"query": query}, timeout=30)
    assert response.status_code == 502, response.text
    body = response.json()
    assert body["error"] == "service-failed", body
    assert f"SERVICE <{endpoint}>" in body["message"] and words in body["message"]


def test_the_cli_takes_the_same_path(standin: OxigraphServer, tmp_path: Path) -> None:
    env = {
        "HUBGRAPH_STORE": "memory",
        "HUBGRAPH_SERVICE_ALLOWLIST": standin.url,
        "HUBGRAPH_WIKIDATA_ENDPOINT": standin.url,
        "PATH": str(Path(sys.executable).parent),
    }
    done = subprocess.run(
        [sys.executable, "-m", "hubgraph.cli", "run", QUERY, "--format", "csv"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Albin Kurti (test data)" in done.stdout
    # Without the stand-in on the allow-list the CLI refuses before any connection.
    env["HUBGRAPH_SERVICE_ALLOWLIST"] = "https://query.wikidata.org/sparql"
    refused = subprocess.run(
        [sys.executable, "-m", "hubgraph.cli", "run", QUERY],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert refused.returncode == 1
    assert refused.stderr.startswith("Error: ") and "allow-list" in refused.stderr


def test_the_canned_query_says_why_its_service_failed(others: tuple[str, str, str]) -> None:
    """The inline path (the CLI's): the same forwarder, the same 502 and 504 in words."""
    slow, broken, _ = others
    for endpoint, error, words in (
        (broken, ServiceFailed, "answered 500"),
        (slow, ServiceTimeout, f"within {SERVICE_TIMEOUT:g} s"),
    ):
        settings = Settings(
            store="memory", data_dir=ROOT / "data", ontology_dir=ROOT / "ontology",
            queries_dir=ROOT / "queries", service_allowlist=(endpoint,),
            wikidata_endpoint=endpoint, service_timeout=SERVICE_TIMEOUT,
        )  # fmt: skip
        service = open_service(settings)
        try:
            with pytest.raises(error) as caught:
                service.canned(QUERY, {})
            assert f"SERVICE <{endpoint}>" in caught.value.message
            assert words in caught.value.message
        finally:
            service.close()
