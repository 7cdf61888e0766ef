"""Running queries so that none can hurt the server.

The embedded engine has no timeout, and a pathological query can crash the process it runs in.
:class:`WorkerPool` therefore runs each query in one of a few worker processes that open the
store read-only: a query past its deadline is stopped by killing its worker (a fresh one takes
its place), a crash costs one worker, and other requests go on in the others. Results cross
the pipe in chunks as the engine serializes them, so a large result streams instead of being
built whole in memory.

:class:`InlineExecutor` runs queries in the calling thread, for the CLI and for stores that
time out on their own (a remote store) or cannot be shared (an in-memory store).
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, Protocol

import pyoxigraph as ox

from hubgraph import errors
from hubgraph.store import GraphStore, OxigraphStore, Term, rdf_format, results_format

log = logging.getLogger("hubgraph.executor")
CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True)
class Job:
    query: str
    union: bool = True
    default_graph: list[str] | None = None
    named_graphs: list[str] | None = None
    prefixes: dict[str, str] = field(default_factory=dict)
    output: str = ""
    """For streams: the pyoxigraph format name (JSON, CSV, TURTLE …)."""
    offset: int = 0
    limit: int | None = None
    """For rows: skip ``offset`` rows, then return at most ``limit`` (+1 to tell if cut)."""


@dataclass(frozen=True)
class Rows:
    variables: list[str]
    rows: list[tuple[Term | None, ...]]
    more: bool
    """True when rows beyond ``offset + limit`` exist."""
    boolean: bool | None = None
    """The answer of an ASK query (then ``rows`` is empty)."""


class Executor(Protocol):
    def stream(self, job: Job, timeout: float) -> Iterator[bytes]:
        """The serialized result in chunks. Errors found before the first chunk raise here;
        the iterator is only returned once the first chunk (or the end) has arrived."""
        ...

    def rows(self, job: Job, timeout: float) -> Rows: ...

    def close(self) -> None: ...


def _run(store: GraphStore, job: Job) -> Any:
    return store.query(
        job.query,
        union=job.union,
        default_graph=job.default_graph,
        named_graphs=job.named_graphs,
        prefixes=job.prefixes,
    )


def serialize(result: Any, fmt_name: str, output: Any) -> None:
    if isinstance(result, ox.QueryTriples):
        result.serialize(output, rdf_format(fmt_name))
    else:
        result.serialize(output, results_format(fmt_name))


def collect_rows(result: Any, offset: int, limit: int | None) -> Rows:
    if isinstance(result, ox.QueryBoolean):
        return Rows([], [], False, bool(result))
    if isinstance(result, ox.QueryTriples):
        triples = [(t.subject, t.predicate, t.object) for t in result]
        return Rows(["subject", "predicate", "object"], triples[offset:], False)  # type: ignore[arg-type]
    variables = [v.value for v in result.variables]
    rows: list[tuple[Term | None, ...]] = []
    more = False
    for i, solution in enumerate(result):
        if i < offset:
            continue
        if limit is not None and len(rows) >= limit:
            more = True
            break
        rows.append(tuple(solution[v] for v in variables))
    return Rows(variables, rows, more)


class _Sink:
    """A file-like the engine serializes into: sends chunks of CHUNK_BYTES down a pipe."""

    def __init__(self, send: Any) -> None:
        self._send = send
        self._buffer = bytearray()

    def write(self, data: bytes) -> int:
        self._buffer += data
        if len(self._buffer) >= CHUNK_BYTES:
            self.flush()
        return len(data)

    def flush(self) -> None:
        if self._buffer:
            self._send(("data", bytes(self._buffer)))
            self._buffer.clear()


class InlineExecutor:
    def __init__(self, store: GraphStore) -> None:
        self.store = store
        self._lock = threading.Lock()

    def stream(self, job: Job, timeout: float) -> Iterator[bytes]:
        chunks: list[bytes] = []
        # pyoxigraph result iterators must be consumed in the thread that made them, so the
        # whole serialization happens here; inline use is for small results and the CLI.
        with self._lock:
            result = _run(self.store, job)
            sink = _Sink(lambda message: chunks.append(message[1]))
            try:
                serialize(result, job.output, sink)
            except (OSError, SyntaxError, ValueError) as exc:
                raise errors.QueryFailed(f"the query failed: {exc}") from None
            sink.flush()
        return iter(chunks)

    def rows(self, job: Job, timeout: float) -> Rows:
        with self._lock:
            try:
                return collect_rows(_run(self.store, job), job.offset, job.limit)
            except OSError as exc:
                raise errors.QueryFailed(f"the query failed: {exc}") from None

    def close(self) -> None:
        self.store.close()


def _worker_main(conn: Connection, store_path: str) -> None:
    store = OxigraphStore(store_path, read_only=True)
    while True:
        try:
            kind, job = conn.recv()
        except (EOFError, KeyboardInterrupt):
            return
        try:
            store.reopen_if_changed()
            result = _run(store, job)
            if kind == "rows":
                conn.send(("rows", collect_rows(result, job.offset, job.limit)))
            else:
                sink = _Sink(conn.send)
                serialize(result, job.output, sink)
                sink.flush()
                conn.send(("end", None))
        except errors.HubgraphError as exc:
            conn.send(("error", type(exc).__name__, exc.message))
        except Exception as exc:  # the engine's own errors: report, keep serving
            conn.send(("error", "QueryFailed", f"the query failed: {exc}"))


class _Worker:
    def __init__(self, ctx: Any, store_path: str) -> None:
        self.conn, child = ctx.Pipe()
        self.process: BaseProcess = ctx.Process(
            target=_worker_main, args=(child, store_path), daemon=True, name="hubgraph-query"
        )
        self.process.start()
        child.close()

    def kill(self) -> None:
        self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()


class WorkerPool:
    """Query worker processes over an on-disk store, opened read-only by each."""

    def __init__(self, store_path: str, size: int) -> None:
        self.store_path = store_path
        self.size = max(1, size)
        self._ctx = mp.get_context("spawn")
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._closed = False
        for _ in range(self.size):
            self._idle.put(_Worker(self._ctx, store_path))

    def _acquire(self, deadline: float) -> _Worker:
        try:
            return self._idle.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise errors.Busy(
                "every query worker stayed busy until the timeout; try again shortly"
            ) from None

    def _release(self, worker: _Worker) -> None:
        if self._closed:
            worker.kill()
        else:
            self._idle.put(worker)

    def _replace(self, worker: _Worker) -> None:
        worker.kill()
        if not self._closed:
            # Starting a process takes a while; do it off the request's path.
            threading.Thread(
                target=lambda: self._idle.put(_Worker(self._ctx, self.store_path)), daemon=True
            ).start()

    def _receive(self, worker: _Worker, deadline: float, timeout: float) -> Any:
        remaining = deadline - time.monotonic()
        try:
            ready = worker.conn.poll(max(0.0, remaining))
            message = worker.conn.recv() if ready else None
        except (EOFError, OSError):
            log.error("a query worker died (exit code %s)", worker.process.exitcode)
            self._replace(worker)
            raise errors.QueryFailed(
                "the query crashed its worker process; the server is unaffected"
            ) from None
        if message is None:
            self._replace(worker)
            raise errors.QueryTimeout(f"the query ran longer than {timeout:g} s and was stopped")
        if message[0] == "error":
            self._release(worker)
            error_type = getattr(errors, message[1], errors.QueryFailed)
            raise error_type(message[2])
        return message

    def stream(self, job: Job, timeout: float) -> Iterator[bytes]:
        deadline = time.monotonic() + timeout
        worker = self._acquire(deadline)
        worker.conn.send(("stream", job))
        first = self._receive(worker, deadline, timeout)
        if first[0] == "end":
            self._release(worker)
            return iter(())
        return self._rest(worker, first[1], deadline, timeout)

    def _rest(
        self, worker: _Worker, first: bytes, deadline: float, timeout: float
    ) -> Iterator[bytes]:
        finished = False
        try:
            yield first
            while True:
                message = self._receive(worker, deadline, timeout)
                if message[0] == "end":
                    finished = True
                    self._release(worker)
                    return
                yield message[1]
        except errors.HubgraphError:
            # Past the first byte the status line is gone: cut the response short, which
            # clients see as a broken transfer rather than a complete (wrong) result.
            finished = True
            raise
        finally:
            if not finished:
                # The client went away mid-stream: the worker is still writing, so replace it.
                self._replace(worker)

    def rows(self, job: Job, timeout: float) -> Rows:
        deadline = time.monotonic() + timeout
        worker = self._acquire(deadline)
        worker.conn.send(("rows", job))
        message = self._receive(worker, deadline, timeout)
        self._release(worker)
        return message[1]  # type: ignore[no-any-return]

    def close(self) -> None:
        self._closed = True
        while True:
            try:
                self._idle.get_nowait().kill()
            except queue.Empty:
                return
