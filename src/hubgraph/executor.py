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

import asyncio
import logging
import multiprocessing as mp
import os
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, Protocol

import pyoxigraph as ox
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

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
    base_iri: str | None = None
    """What relative IRIs in the query resolve against (the endpoint's own URL)."""
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

    async def astream(self, job: Job, timeout: float) -> bytes | AsyncIterator[bytes]:
        """:meth:`stream` for the event loop: the same contract, without blocking it. A result
        that is already complete comes as bytes, so it can be sent in one piece."""
        ...

    async def arows(self, job: Job, timeout: float) -> Rows: ...

    def close(self) -> None: ...


class ThreadedAsync:
    """The async methods of an executor whose work blocks: run it in a thread."""

    def stream(self, job: Job, timeout: float) -> Iterator[bytes]:
        raise NotImplementedError

    def rows(self, job: Job, timeout: float) -> Rows:
        raise NotImplementedError

    async def astream(self, job: Job, timeout: float) -> bytes | AsyncIterator[bytes]:
        chunks = await run_in_threadpool(self.stream, job, timeout)
        return iterate_in_threadpool(chunks)

    async def arows(self, job: Job, timeout: float) -> Rows:
        return await run_in_threadpool(self.rows, job, timeout)


def _run(store: GraphStore, job: Job) -> Any:
    return store.query(
        job.query,
        union=job.union,
        default_graph=job.default_graph,
        named_graphs=job.named_graphs,
        prefixes=job.prefixes,
        base_iri=job.base_iri,
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
            self._send(("data", self.take()))
        return len(data)

    def flush(self) -> None:
        """The engine flushes when it is done; the caller sends what is left with the end."""

    def take(self) -> bytes:
        data = bytes(self._buffer)
        self._buffer.clear()
        return data


class InlineExecutor(ThreadedAsync):
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
            chunks.append(sink.take())
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
                # The last chunk travels with the end marker: one message for a small result.
                conn.send(("end", sink.take()))
        except errors.HubgraphError as exc:
            conn.send(("error", type(exc).__name__, exc.message, exc.extra()))
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
    """Query worker processes over an on-disk store, opened read-only by each.

    Threads (sync callers) and the event loop (async callers) share the idle workers; a worker
    freed while a coroutine waits goes straight to it.
    """

    def __init__(self, store_path: str, size: int) -> None:
        self.store_path = store_path
        self.size = max(1, size)
        self._ctx = mp.get_context("spawn")
        self._lock = threading.Condition()
        self._idle: deque[_Worker] = deque()
        self._async_waiters: deque[tuple[asyncio.AbstractEventLoop, asyncio.Future[_Worker]]] = (
            deque()
        )
        self._closed = False
        for _ in range(self.size):
            self._idle.append(_Worker(self._ctx, store_path))

    # -- the idle set --------------------------------------------------------------------
    def _busy(self) -> errors.Busy:
        return errors.Busy("every query worker stayed busy until the timeout; try again shortly")

    def _acquire(self, deadline: float) -> _Worker:
        with self._lock:
            while not self._idle:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._closed:
                    raise self._busy()
                self._lock.wait(remaining)
            return self._idle.pop()  # the most recent: still awake, caches warm

    async def _aacquire(self, deadline: float) -> _Worker:
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._idle:
                return self._idle.pop()  # the most recent: still awake, caches warm
            future: asyncio.Future[_Worker] = loop.create_future()
            self._async_waiters.append((loop, future))
        try:
            return await asyncio.wait_for(future, max(0.0, deadline - time.monotonic()))
        except TimeoutError:
            raise self._busy() from None

    def _release(self, worker: _Worker) -> None:
        if self._closed:
            worker.kill()
            return
        with self._lock:
            while self._async_waiters:
                loop, future = self._async_waiters.popleft()
                if not future.done():
                    loop.call_soon_threadsafe(self._hand_over, future, worker)
                    return
            self._idle.append(worker)
            self._lock.notify()

    def _hand_over(self, future: asyncio.Future[_Worker], worker: _Worker) -> None:
        if future.done():  # its waiter gave up meanwhile
            self._release(worker)
        else:
            future.set_result(worker)

    def _replace(self, worker: _Worker) -> None:
        worker.kill()
        if not self._closed:
            # Starting a process takes a while; do it off the request's path.
            threading.Thread(
                target=lambda: self._release(_Worker(self._ctx, self.store_path)), daemon=True
            ).start()

    # -- messages ------------------------------------------------------------------------
    def _read(self, worker: _Worker, timeout: float) -> Any:
        try:
            message = worker.conn.recv()
        except (EOFError, OSError):
            log.error("a query worker died (exit code %s)", worker.process.exitcode)
            self._replace(worker)
            raise errors.QueryFailed(
                "the query crashed its worker process; the server is unaffected"
            ) from None
        if message[0] == "error":
            self._release(worker)
            raise errors.rebuild(*message[1:])
        return message

    def _timed_out(self, worker: _Worker, timeout: float) -> errors.QueryTimeout:
        self._replace(worker)
        return errors.QueryTimeout(f"the query ran longer than {timeout:g} s and was stopped")

    def _receive(self, worker: _Worker, deadline: float, timeout: float) -> Any:
        try:
            ready = worker.conn.poll(max(0.0, deadline - time.monotonic()))
        except (EOFError, OSError):
            ready = True  # _read reports the dead worker
        if not ready:
            raise self._timed_out(worker, timeout)
        return self._read(worker, timeout)

    async def _areceive(self, worker: _Worker, deadline: float, timeout: float) -> Any:
        if not worker.conn.poll(0):
            loop = asyncio.get_running_loop()
            readable: asyncio.Future[None] = loop.create_future()
            fd = worker.conn.fileno()
            loop.add_reader(fd, _settle, readable)
            try:
                await asyncio.wait_for(readable, max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                _unwatch(loop, fd)
                raise self._timed_out(worker, timeout) from None
            except asyncio.CancelledError:
                _unwatch(loop, fd)
                self._replace(worker)  # the client left; the worker is still busy for it
                raise
            _unwatch(loop, fd)
        return self._read(worker, timeout)

    # -- the executor interface ----------------------------------------------------------
    def stream(self, job: Job, timeout: float) -> Iterator[bytes]:
        deadline = time.monotonic() + timeout
        worker = self._acquire(deadline)
        worker.conn.send(("stream", job))
        first = self._receive(worker, deadline, timeout)
        if first[0] == "end":
            self._release(worker)
            return iter([first[1]] if first[1] else [])
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
                    if message[1]:
                        yield message[1]
                    return
                yield message[1]
        except errors.HubgraphError:
            # Past the first byte the status line is gone: cut the response short, which
            # clients see as a broken transfer rather than a complete (wrong) result.
            finished = True
            raise
        finally:
            if not finished:
                self._replace(worker)  # the client went away mid-stream

    async def astream(self, job: Job, timeout: float) -> bytes | AsyncIterator[bytes]:
        deadline = time.monotonic() + timeout
        worker = await self._aacquire(deadline)
        worker.conn.send(("stream", job))
        first = await self._areceive(worker, deadline, timeout)
        if first[0] == "end":
            self._release(worker)
            return first[1]  # type: ignore[no-any-return]
        return self._arest(worker, first[1], deadline, timeout)

    async def _arest(
        self, worker: _Worker, first: bytes, deadline: float, timeout: float
    ) -> AsyncIterator[bytes]:
        finished = False
        try:
            yield first
            while True:
                message = await self._areceive(worker, deadline, timeout)
                if message[0] == "end":
                    finished = True
                    self._release(worker)
                    if message[1]:
                        yield message[1]
                    return
                yield message[1]
        except (errors.HubgraphError, asyncio.CancelledError):
            finished = True  # the worker was released or replaced on the way
            raise
        finally:
            if not finished:
                self._replace(worker)

    def rows(self, job: Job, timeout: float) -> Rows:
        deadline = time.monotonic() + timeout
        worker = self._acquire(deadline)
        worker.conn.send(("rows", job))
        message = self._receive(worker, deadline, timeout)
        self._release(worker)
        return message[1]  # type: ignore[no-any-return]

    async def arows(self, job: Job, timeout: float) -> Rows:
        deadline = time.monotonic() + timeout
        worker = await self._aacquire(deadline)
        worker.conn.send(("rows", job))
        message = await self._areceive(worker, deadline, timeout)
        self._release(worker)
        return message[1]  # type: ignore[no-any-return]

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers, self._idle = list(self._idle), deque()
            self._lock.notify_all()
        for worker in workers:
            worker.kill()


def _unwatch(loop: asyncio.AbstractEventLoop, fd: int) -> None:
    loop.remove_reader(fd)
    # uvloop leaves a watched fd non-blocking; recv() of a message larger than the pipe's
    # buffer would then fail half-way.
    os.set_blocking(fd, True)


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
