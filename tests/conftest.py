"""Shared fixtures: fresh settings and stores per test, and one real server per session."""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hubgraph.config import Settings
from hubgraph.runtime import load_data
from hubgraph.store import OxigraphStore

ROOT = Path(__file__).resolve().parents[1]
SERVER_TIMEOUT = 3.0
"""The live server's query timeout: long for any real query here, short for the runaway test."""


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        store=str(tmp_path / "store"),
        data_dir=ROOT / "data",
        ontology_dir=ROOT / "ontology",
        queries_dir=ROOT / "queries",
        workers=1,
        service_allowlist=(),
    )


def data_settings() -> Settings:
    """Settings for data/ loaded into memory, as `hubgraph load` loads it."""
    return Settings(
        store="memory",
        data_dir=ROOT / "data",
        ontology_dir=ROOT / "ontology",
        queries_dir=ROOT / "queries",
        workers=1,
        service_allowlist=(),
    )


@pytest.fixture(scope="session")
def data_store() -> OxigraphStore:
    """Everything in data/, loaded once for the tests that only read it."""
    store = OxigraphStore(None)
    load_data(store, data_settings())
    return store


@pytest.fixture
def memory_store(settings: Settings) -> OxigraphStore:
    store = OxigraphStore(None)
    load_data(store, settings)
    return store


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class OxigraphServer:
    """The Rust Oxigraph server (PyPI package ``oxigraph``), a remote store on loopback."""

    def __init__(self, location: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/query"
        self.process = subprocess.Popen(
            [str(Path(sys.executable).with_name("oxigraph")), "serve", "--location", str(location),
             "--bind", f"127.0.0.1:{self.port}",
             # Longer than hubgraph's own timeout, which is the one under test.
             "--timeout-s", str(int(SERVER_TIMEOUT * 4))],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(self.url, params={"query": "ASK {}"}, timeout=2)
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("oxigraph serve did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


VIRTUOSO_INI = """\
[Database]
DatabaseFile = {d}/virtuoso.db
ErrorLogFile = {d}/virtuoso.log
LockFile = {d}/virtuoso.lck
TransactionFile = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {d}/virtuoso-temp.db
TransactionFile = {d}/virtuoso-temp.trx
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{isql}
DisableUnixSocket = 1
DirsAllowed = .
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
# Virtuoso's default pool (400 MB) is too small for `stances` with a position bound.
MaxMemPoolSize = 2000000000

[HTTPServer]
ServerPort = 127.0.0.1:{http}
ServerRoot = {d}
ServerThreads = 10
MaxClientConnections = 10

[SPARQL]
ResultSetMaxRows = 100000
MaxQueryExecutionTime = 60
"""


VIRTUOSO_REQUIRED = os.environ.get("HUBGRAPH_SKIP_VIRTUOSO") != "1"
"""``make test`` installs Virtuoso and runs every backend; set HUBGRAPH_SKIP_VIRTUOSO=1 to
run without it on a machine where it cannot be installed."""


def need_virtuoso() -> None:
    if shutil.which("virtuoso-t") is None or shutil.which("isql-vt") is None:
        if VIRTUOSO_REQUIRED:
            pytest.fail(
                "virtuoso-t is not installed: run `make setup-test` (it installs Debian's "
                "virtuoso-opensource), or set HUBGRAPH_SKIP_VIRTUOSO=1 to skip Virtuoso"
            )
        pytest.skip("HUBGRAPH_SKIP_VIRTUOSO=1 and virtuoso-t is not installed")
    if not VIRTUOSO_REQUIRED:
        pytest.skip("HUBGRAPH_SKIP_VIRTUOSO=1")


class VirtuosoServer:
    """A real Virtuoso (Debian ``virtuoso-opensource``) on loopback with a fresh database."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.http_port, self.isql_port = free_port(), free_port()
        ini = folder / "virtuoso.ini"
        ini.write_text(VIRTUOSO_INI.format(d=folder, http=self.http_port, isql=self.isql_port))
        self.url = f"http://127.0.0.1:{self.http_port}/sparql"
        self._log = (folder / "stdout.log").open("wb")
        self.process = subprocess.Popen(
            ["virtuoso-t", "-f", "-c", str(ini)], cwd=folder, stdout=self._log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            self._wait_ready()
            # Updates through /sparql run as the SQL user "SPARQL", which may only read.
            self.isql('GRANT SPARQL_UPDATE TO "SPARQL";')
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 120
        while True:
            if self.process.poll() is not None:
                log = (self.folder / "virtuoso.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"virtuoso-t exited: {log}")
            try:
                response = httpx.get(self.url, params={"query": "ASK {}"}, timeout=2)
                if response.status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("Virtuoso did not come up within 120 s")
            time.sleep(0.5)

    def isql(self, statement: str) -> None:
        subprocess.run(
            ["isql-vt", str(self.isql_port), "dba", "dba", f"exec={statement}"],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


class LiveServer:
    """``hubgraph serve`` in its own process, as a user would start it."""

    def __init__(
        self,
        store: Path | str,
        extra_env: dict[str, str] | None = None,
        log_dir: Path | None = None,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.timeout = float((extra_env or {}).get("HUBGRAPH_QUERY_TIMEOUT", SERVER_TIMEOUT))
        env = {
            **os.environ,
            "HUBGRAPH_STORE": str(store),
            "HUBGRAPH_QUERY_TIMEOUT": str(self.timeout),
            "HUBGRAPH_WORKERS": "2",
            "HUBGRAPH_SERVICE_ALLOWLIST": "",
            # Every test client comes from 127.0.0.1: without this the per-client limit would
            # queue their concurrent requests (test_faults checks the limit at its default).
            "HUBGRAPH_CLIENT_QUERIES": "8",
            **(extra_env or {}),
        }
        self.backend = "embedded"
        self.log = (log_dir or Path(store).parent) / "server.log"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hubgraph.cli", "serve", "--port", str(self.port)],
            env=env,
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        self.wait_ready()

    def wait_ready(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited:\n{self.log.read_text()}")
            try:
                if httpx.get(self.url + "/queries", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"server did not start:\n{self.log.read_text()}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture(scope="session", params=["embedded", "remote", "virtuoso"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """The API suite runs three times: over the embedded store, a real Oxigraph server and a
    real Virtuoso."""
    folder = tmp_path_factory.mktemp(f"server-{request.param}")
    if request.param == "embedded":
        live = LiveServer(folder / "store")
        live.backend = "embedded"
        yield live
        live.stop()
        return
    if request.param == "virtuoso":
        need_virtuoso()
        virtuoso = VirtuosoServer(folder)
        try:
            live = LiveServer(
                virtuoso.url,
                # Virtuoso is never empty (it keeps its own system graphs): load explicitly.
                extra_env={
                    "HUBGRAPH_UPDATE_ENDPOINT": virtuoso.url,
                    "HUBGRAPH_LOAD_ON_START": "1",
                    # Virtuoso computes a whole answer before its first byte: dumping the store
                    # five times at once takes it longer than the others' 3 s on a busy machine.
                    # `stances` with a bound parameter takes it over 15 s as well.
                    "HUBGRAPH_QUERY_TIMEOUT": str(SERVER_TIMEOUT * 20),
                },
                log_dir=folder,
            )
            live.backend = "virtuoso"
            yield live
            live.stop()
        finally:
            virtuoso.stop()
        return
    oxigraph = OxigraphServer(folder / "oxigraph")
    try:
        live = LiveServer(oxigraph.url, log_dir=folder)
        live.backend = "remote"
        yield live
        live.stop()
    finally:
        oxigraph.stop()


@pytest.fixture(scope="session")
def base_url(server: LiveServer) -> str:
    return server.url


TLS = ssl.create_default_context()
"""One TLS context for every test client: building one per client costs ~50 ms, per test."""


@pytest.fixture
def http(server: LiveServer) -> Iterator[httpx.Client]:
    # Longer than the server's own query timeout, so that its 504 arrives, not ours.
    timeout = max(30.0, server.timeout + 15)
    with httpx.Client(base_url=server.url, timeout=timeout, verify=TLS) as client:
        yield client
