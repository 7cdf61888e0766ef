"""The benchmark's processes: the servers it starts, the commands it times, their clean-up.

Every server runs in its own process group, so that stopping it stops its query workers too.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / "work"
RESULTS = HERE / "results"
HOST = "127.0.0.1"
SPARQL_JSON = "application/sparql-results+json"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def executable(name: str) -> str:
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        raise SystemExit(f"Error: {name} not found; pip install -r bench/requirements.txt")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


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
        return sum(self.cpu_by_process().values())

    def cpu_by_process(self) -> dict[int, float]:
        """User and system CPU seconds of each process of the tree, by pid (the root first)."""
        seconds = {}
        for p in self.tree():
            with contextlib.suppress(psutil.Error):
                t = p.cpu_times()
                seconds[p.pid] = t.user + t.system
        return seconds

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
        return sum(self.peaks())

    def peaks(self) -> list[int]:
        """VmHWM of each process of the tree (the root first), in bytes."""
        found = []
        for p in self.tree():
            with contextlib.suppress(OSError):
                status = Path(f"/proc/{p.pid}/status").read_text()
                hwm = re.search(r"VmHWM:\s+(\d+) kB", status)
                found.append(int(hwm.group(1)) * 1024 if hwm else 0)
        return found

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


def timed_command(
    cmd: list[str], log_path: Path, env: dict[str, str] | None = None
) -> tuple[float, str]:
    """Run ``cmd`` (with ``env`` added to the environment); its wall time and output."""
    environ = {**os.environ, **env} if env else None
    started = time.perf_counter()
    done = subprocess.run(
        cmd, cwd=ROOT, capture_output=True, text=True, start_new_session=True, env=environ
    )
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


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0
