"""Shared fixtures: fresh settings and stores per test, and one real server per session."""

from __future__ import annotations

import os
import socket
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


@pytest.fixture
def memory_store(settings: Settings) -> OxigraphStore:
    store = OxigraphStore(None)
    load_data(store, settings)
    return store


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """``hubgraph serve`` in its own process, as a user would start it."""

    def __init__(self, store: Path, extra_env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "HUBGRAPH_STORE": str(store),
            "HUBGRAPH_QUERY_TIMEOUT": str(SERVER_TIMEOUT),
            "HUBGRAPH_WORKERS": "2",
            "HUBGRAPH_SERVICE_ALLOWLIST": "",
            **(extra_env or {}),
        }
        self.log = store.parent / "server.log"
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


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path_factory.mktemp("server") / "store")
    yield live
    live.stop()


@pytest.fixture(scope="session")
def base_url(server: LiveServer) -> str:
    return server.url


@pytest.fixture
def http(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30) as client:
        yield client
