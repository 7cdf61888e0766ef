"""Disks that refuse writes: a read-only store is served read-only, a full disk is an
``Error: …`` message, and neither loses a graph.

Read-only media and full disks are real here, not simulated: each case runs in a private mount
namespace (``unshare -m``) with a read-only bind mount or a small tmpfs, which vanish with the
namespace. As root, ``chmod`` does not stop writes, hence the mounts; where the OS refuses the
namespace the tests are skipped, saying so.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import ROOT, free_port

pytestmark = pytest.mark.slow

HUBGRAPH = f"{shlex.quote(sys.executable)} -m hubgraph.cli"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


def namespaces_allowed() -> str | None:
    """Why the mount tests cannot run here, or None when they can."""
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=1m tmpfs /mnt"],
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0:
        return f"this OS refuses a private mount namespace with a tmpfs: {probe.stderr.strip()}"
    return None


REFUSED = namespaces_allowed()
needs_mounts = pytest.mark.skipif(REFUSED is not None, reason=REFUSED or "")


def read_only(folder: Path) -> str:
    """Shell commands that make ``folder`` read-only in this namespace only."""
    f = shlex.quote(str(folder))
    return f"mount --bind {f} {f} && mount -o remount,bind,ro {f} {f}"


def tmpfs(folder: Path, size: str) -> str:
    return f"mount -t tmpfs -o size={size} tmpfs {shlex.quote(str(folder))}"


def in_namespace(mounts: str, command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["unshare", "-m", "sh", "-c", f"{mounts} && cd {shlex.quote(str(ROOT))} && {command}"],
        capture_output=True,
        text=True,
        timeout=180,
    )


def hubgraph(store: Path, *args: str) -> str:
    return f"{HUBGRAPH} --store {shlex.quote(str(store))} " + " ".join(map(shlex.quote, args))


def is_clean_error(done: subprocess.CompletedProcess[str], *words: str) -> None:
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith("Error: "), done.stderr
    for word in words:
        assert word in done.stderr, done.stderr


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding a store with data/ loaded, made normally (read-write)."""
    folder = tmp_path_factory.mktemp("disk")
    done = subprocess.run(
        [sys.executable, "-m", "hubgraph.cli", "--store", str(folder / "store"), "load"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    return folder


def quad_count(store: Path) -> int:
    done = subprocess.run(
        [sys.executable, "-m", "hubgraph.cli", "--store", str(store), "query", COUNT, "--format",
         "csv"],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return int(done.stdout.split()[-1])


@needs_mounts
def test_loading_into_a_read_only_store_is_an_error_message(loaded: Path) -> None:
    before = quad_count(loaded / "store")
    done = in_namespace(read_only(loaded), hubgraph(loaded / "store", "load"))
    is_clean_error(done, "read-only")
    assert quad_count(loaded / "store") == before


@needs_mounts
def test_a_read_only_store_can_be_queried_and_exported(loaded: Path) -> None:
    before = quad_count(loaded / "store")
    done = in_namespace(
        read_only(loaded), hubgraph(loaded / "store", "query", COUNT, "--format", "csv")
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.split()[-1]) == before
    exported = in_namespace(
        read_only(loaded), hubgraph(loaded / "store", "export", "--format", "nquads")
    )
    assert exported.returncode == 0, exported.stderr
    assert len(exported.stdout.splitlines()) == before


@pytest.fixture
def read_only_server(loaded: Path) -> Iterator[str]:
    port = free_port()
    log = loaded.parent / f"ro-server-{port}.log"
    env = {**os.environ, "HUBGRAPH_WRITE_TOKEN": "s3cret", "HUBGRAPH_WORKERS": "1",
           "HUBGRAPH_SERVICE_ALLOWLIST": ""}  # fmt: skip
    command = f"exec {hubgraph(loaded / 'store', 'serve', '--port', str(port))}"
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["unshare", "-m", "sh", "-c", f"{read_only(loaded)} && cd {ROOT} && {command}"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text()
            try:
                if httpx.get(url + "/queries", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
    assert "read-only" in log.read_text()


@needs_mounts
def test_a_store_on_read_only_media_is_served_read_only(
    loaded: Path, read_only_server: str
) -> None:
    before = quad_count(loaded / "store")
    answer = httpx.get(f"{read_only_server}/sparql", params={"query": COUNT}, timeout=30).json()
    assert int(answer["results"]["bindings"][0]["n"]["value"]) == before
    from test_http_sources import compiled_article

    source = compiled_article()
    response = httpx.post(
        f"{read_only_server}/sources",
        content=source.replace("gbnews-2025-10-kosovo-return-hub", "gbnews-copy").encode(),
        headers={"Content-Type": "application/trig", "Authorization": "Bearer s3cret"},
        timeout=60,
    )
    assert response.status_code == 403, response.text
    assert response.json()["error"] == "read-only-store"
    assert "read-only" in response.json()["message"]


@needs_mounts
def test_a_full_disk_is_an_error_message_and_loses_nothing(tmp_path: Path, loaded: Path) -> None:
    # The disk holds the first load with room to spare (a load writes a working copy and its
    # logs beside the published store), whatever size data/ has grown to; then it is filled.
    store_bytes = sum(f.stat().st_size for f in (loaded / "store").rglob("*") if f.is_file())
    size = f"{max(6, 4 * store_bytes // 2**20 + 1)}m"
    disk = tmp_path / "disk"
    disk.mkdir()
    store = disk / "store"
    fill = f"dd if=/dev/zero of={disk}/filler bs=64k 2>/dev/null; sync"
    script = " && ".join(
        [
            hubgraph(store, "load") + " >/dev/null",
            f"echo quads=$({hubgraph(store, 'query', COUNT, '--format', 'csv')} | tail -1)",
            f"({fill}; true)",
            # Re-loading on the full disk: an error message, and the store as it was.
            f"({hubgraph(store, 'load')} 2>{tmp_path}/load.err; echo load=$?; true)",
            f"({hubgraph(store, 'export')} >{disk}/out.trig 2>{tmp_path}/export.err; echo export=$?; true)",
            f"cat {tmp_path}/load.err {tmp_path}/export.err >&2",
            f"rm {disk}/filler {disk}/out.trig",
            f"echo after=$({hubgraph(store, 'query', COUNT, '--format', 'csv')} | tail -1)",
        ]
    )
    done = in_namespace(tmpfs(disk, size), script)
    assert done.returncode == 0, done.stderr
    out = dict(line.split("=", 1) for line in done.stdout.split())
    assert out["load"] == "1" and out["export"] == "1", done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    errors = [line for line in done.stderr.splitlines() if not line.startswith("WARNING:")]
    assert len(errors) == 2 and all(line.startswith("Error: ") for line in errors), done.stderr
    assert "the disk is full" in done.stderr
    assert out["after"] == out["quads"] and int(out["quads"]) > 1000


@needs_mounts
def test_creating_a_store_on_a_full_disk_is_an_error_message(tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    disk.mkdir()
    done = in_namespace(tmpfs(disk, "64k"), hubgraph(disk / "store", "load"))
    is_clean_error(done, "the disk is full")
