"""Running queries so that none can hurt the server.

The embedded engine has no timeout, and a pathological query can crash the process it runs in.
:class:`WorkerPool` therefore runs each query in one of a few worker processes that open the
store read-only, and a monitor thread watches them: a query past its deadline, or whose worker
grows past its memory cap, is stopped by killing the worker (a fresh one takes its place); a
worker that dies, busy or idle, is replaced; other requests go on in the others. The deadline
runs from when a worker takes the query, whoever reads the result and however slowly, so a
client that stops reading cannot hold a worker; the wait for a free worker is bounded on its
own and answered 503. Results cross the pipe in chunks as the engine serializes them, so a
large result streams instead of being built whole in memory.

Workers for queries that name no allow-listed SERVICE leave the network (see
:mod:`hubgraph.query.sealing`); :class:`QueryPools` sends the others, their SERVICE targets
pointed at the forwarder (:mod:`hubgraph.query.forwarder`), to a pool of their own.

:class:`InlineExecutor` runs queries in the calling thread, for the CLI and for stores that
time out on their own (a remote store) or cannot be shared (an in-memory store).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import multiprocessing as mp
import os
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING, Any, Protocol

from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from hubgraph import errors
from hubgraph.query.engine_errors import service_error
from hubgraph.query.sealing import Sealing
from hubgraph.store import GraphStore
from hubgraph.worker import (  # Job, Rows, CHUNK_BYTES and the row helpers keep their old home
    CHUNK_BYTES as CHUNK_BYTES,
)
from hubgraph.worker import (
    Job,
    Rows,
    _Sink,
    encode_job,
    page_rows,
    run_job,
    serialize,
    worker_main,
)
from hubgraph.worker import (
    collect_rows as collect_rows,
)
from hubgraph.worker import (
    render_rows as render_rows,
)

if TYPE_CHECKING:
    from hubgraph.query.forwarder import ServiceForwarder

log = logging.getLogger("hubgraph.executor")
WATCH_INTERVAL = 0.05
"""Seconds between the monitor's looks at the workers: how far past its memory cap or deadline
a query can get (at the engine's fastest, some tens of MB)."""
GRACE = 2.0
"""Seconds a reader waits past the deadline for the monitor's kill before doing it itself."""
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


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


class InlineExecutor(ThreadedAsync):
    """Runs queries in the calling thread. Given ``settings``, a query's allow-listed SERVICE
    calls go through a forwarder (started at the first such query) as the served ones do: our
    User-Agent, our timeout, errors in words."""

    def __init__(self, store: GraphStore, settings: Any = None) -> None:
        self.store = store
        self.settings = settings
        self.forwarder: ServiceForwarder | None = None
        self._lock = threading.Lock()

    def _forwarded(self, job: Job) -> Job:
        if not job.service_calls:
            return job
        if self.settings is None or not self.settings.service_allowlist:
            raise errors.ServiceNotAllowed("this server's SERVICE allow-list is empty")
        if self.forwarder is None:
            from hubgraph.query.forwarder import ServiceForwarder  # with its HTTP client: rare

            self.forwarder = ServiceForwarder.from_settings(self.settings)
        query = self.forwarder.rewrite_services(job.query, job.service_calls)
        return replace(job, query=query, service_calls=())

    def stream(self, job: Job, timeout: float) -> Iterator[bytes]:
        chunks: list[bytes] = []
        # pyoxigraph result iterators must be consumed in the thread that made them, so the
        # whole serialization happens here; inline use is for small results and the CLI.
        with self._lock:
            try:
                result = run_job(self.store, self._forwarded(job))
                sink = _Sink(lambda message: chunks.append(message[1]))
                serialize(result, job.output, sink)
            except (OSError, SyntaxError, ValueError) as exc:
                raise _failure(exc) from None
            chunks.append(sink.take())
        return iter(chunks)

    def rows(self, job: Job, timeout: float) -> Rows:
        with self._lock:
            try:
                return page_rows(run_job(self.store, self._forwarded(job)), job)
            except OSError as exc:
                raise _failure(exc) from None

    def close(self) -> None:
        self.store.close()
        if self.forwarder is not None:
            self.forwarder.close()


def _failure(exc: BaseException) -> errors.HubgraphError:
    return service_error(str(exc)) or errors.QueryFailed(f"the query failed: {exc}")


class _Worker:
    def __init__(self, ctx: Any, store_path: str, seal: bool, name: str) -> None:
        self.conn, child = ctx.Pipe()
        self.process: BaseProcess = ctx.Process(
            target=worker_main, args=(child, store_path, seal), daemon=True, name=name
        )
        self.process.start()
        child.close()
        self.deadline: float | None = None
        """When the query it runs must be done (monotonic clock); None while idle."""
        self.timeout = 0.0
        self.reason: str | None = None
        """Why it was stopped: timeout, memory, died, cancelled, crashed."""
        self.retired = False
        self.sealing = Sealing(False, "not started")
        self.prefixes: dict[str, str] | None = None
        """The prefixes last sent to it (see :func:`encode_job`)."""
        self.watched_by: asyncio.AbstractEventLoop | None = None
        """The event loop watching its pipe (see :meth:`watch`), job after job."""
        self.waiter: asyncio.Future[bool] | None = None
        """The coroutine's future that its next message settles; None between jobs."""

    def wait_ready(self, seconds: float) -> Sealing:
        if not self.conn.poll(seconds):
            raise RuntimeError(f"a query worker did not start within {seconds:g} s")
        try:
            message = self.conn.recv()
        except (EOFError, OSError):
            raise RuntimeError(
                f"a query worker died while starting (exit code {self.process.exitcode})"
            ) from None
        if message[0] != "ready":
            raise RuntimeError(f"a query worker could not start: {message[1]}")
        self.sealing = Sealing(bool(message[1]), str(message[2]))
        return self.sealing

    def rss(self) -> int:
        """Resident bytes, from /proc (0 when it cannot be read: the process is gone)."""
        try:
            with open(f"/proc/{self.process.pid}/statm", "rb") as statm:
                return int(statm.read().split()[1]) * PAGE
        except (OSError, ValueError, IndexError):
            return 0

    def watch(self, loop: asyncio.AbstractEventLoop) -> None:
        """Have ``loop`` watch the pipe, and keep it watching between jobs: adding and removing
        the reader for every job cost a point lookup four epoll calls, a poll handle and
        two fcntl calls in the front. Call from ``loop``'s thread."""
        if self.watched_by is loop:
            return
        old = self.watched_by
        if old is not None and not old.is_closed():  # another loop had it (tests, mostly)
            with contextlib.suppress(RuntimeError):
                old.call_soon_threadsafe(self._leave, old)
        fd = self.conn.fileno()
        loop.add_reader(fd, self._readable, loop)
        # uvloop makes a watched fd non-blocking; recv() of a message larger than the pipe's
        # buffer would then fail half-way. The flag stays as set while the fd stays watched.
        os.set_blocking(fd, True)
        self.watched_by = loop

    def _readable(self, loop: asyncio.AbstractEventLoop) -> None:
        waiter = self.waiter
        if self.watched_by is not loop:  # another loop took it over
            self._leave(loop)
        elif waiter is not None:
            if not waiter.done():
                waiter.set_result(True)
            # else: settled, its coroutine not yet run to read the message; it will.
        else:
            # Readable with no coroutine waiting: a thread is reading it, or it died idle (its
            # pipe at EOF). Level-triggered, the loop would call this again and again: stop
            # watching until a coroutine needs it.
            loop.remove_reader(self.conn.fileno())
            self.watched_by = None

    def _leave(self, loop: asyncio.AbstractEventLoop) -> None:
        """On ``loop``, which watched the pipe before another loop took it over."""
        if self.watched_by is not loop and not self.conn.closed:  # else its number may be reused
            loop.remove_reader(self.conn.fileno())

    def close(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.process.kill()
        loop = self.watched_by
        if loop is None or loop.is_closed():
            self.conn.close()
        elif _running_loop() is loop:
            self._close_watched()
        else:
            # The fd must leave the loop's watch before it is closed, and only the loop's own
            # thread may change that: a number reused by the next pipe would otherwise meet a
            # stale registration. The process is dead already; the pipe closes a moment later.
            try:
                loop.call_soon_threadsafe(self._close_watched)
            except RuntimeError:  # the loop closed meanwhile
                self.conn.close()

    def _close_watched(self) -> None:
        loop = self.watched_by
        if loop is not None and not loop.is_closed() and not self.conn.closed:
            loop.remove_reader(self.conn.fileno())
        self.watched_by = None
        self.conn.close()


class WorkerPool:
    """Query worker processes over an on-disk store, opened read-only by each.

    Threads (sync callers) and the event loop (async callers) share the idle workers; a worker
    freed while a coroutine waits goes straight to it. ``timeout`` (per call) bounds a query's
    run from when a worker takes it; ``queue_timeout`` bounds the wait for a worker.
    """

    def __init__(
        self,
        store_path: str,
        size: int,
        *,
        memory_mb: int = 0,
        seal: bool = False,
        queue_timeout: float = 10.0,
        name: str = "hubgraph-query",
    ) -> None:
        self.store_path = store_path
        self.size = max(1, size)
        self.memory_bytes = max(0, memory_mb) * 2**20
        self.seal = seal
        self.queue_timeout = queue_timeout
        self.name = name
        self._ctx = mp.get_context("spawn")
        _without_resource_tracker()
        self._lock = threading.Condition()
        self._idle: deque[_Worker] = deque()
        self._busy: set[_Worker] = set()
        self._async_waiters: deque[
            tuple[asyncio.AbstractEventLoop, asyncio.Future[_Worker], tuple[str, Job, float]]
        ] = deque()
        self._closed = False
        self.replaced = 0
        """Workers replaced since the start (died, timed out, over memory, abandoned)."""
        self.stopped: dict[str, int] = {}
        """… of those, how many for each reason (timeout, memory, cancelled, died, crashed)."""
        self.sealing = Sealing(False, "no worker started yet")
        workers = [self._new_worker() for _ in range(self.size)]
        try:
            for worker in workers:
                self._note_sealing(worker.wait_ready(120))
        except Exception:
            for worker in workers:
                worker.close()
            raise
        self._idle.extend(workers)
        self._monitor = threading.Thread(target=self._watch, name=f"{name}-monitor", daemon=True)
        self._monitor.start()

    def _new_worker(self) -> _Worker:
        return _Worker(self._ctx, self.store_path, self.seal, self.name)

    def _note_sealing(self, sealing: Sealing) -> None:
        if self.seal and not sealing.sealed and self.sealing.detail != sealing.detail:
            log.error(
                "QUERY WORKERS ARE NOT SEALED OFF THE NETWORK (%s): only the query guard stands "
                "between a query and a SERVICE call to any host; run behind an egress firewall",
                sealing.detail,
            )
        self.sealing = sealing

    def status(self) -> dict[str, object]:
        with self._lock:
            idle, busy = len(self._idle), len(self._busy)
        return {
            "workers": self.size,
            "idle": idle,
            "busy": busy,
            "replaced": self.replaced,
            "stopped": dict(self.stopped),
            "sealed": self.sealing.sealed,
            "network": self.sealing.detail,
            "memoryMb": self.memory_bytes // 2**20 or None,
        }

    # -- the monitor ---------------------------------------------------------------------
    def _watch(self) -> None:
        while not self._closed:
            time.sleep(WATCH_INTERVAL)
            try:
                self._look()
            except Exception:  # the monitor must outlive any surprise
                log.exception("the worker monitor failed a round")

    def _look(self) -> None:
        now = time.monotonic()
        with self._lock:
            idle, busy = list(self._idle), list(self._busy)
        for worker in idle:
            if not worker.process.is_alive():
                log.error("an idle query worker died (exit code %s)", worker.process.exitcode)
                self._retire(worker, "died", close=True)
        for worker in busy:
            if worker.retired:
                continue
            if worker.deadline is not None and now > worker.deadline:
                self._retire(worker, "timeout")
            elif self.memory_bytes and (rss := worker.rss()) > self.memory_bytes:
                log.warning(
                    "a query reached %d MB of memory, over the cap of %d MB; its worker is stopped",
                    rss // 2**20, self.memory_bytes // 2**20,
                )  # fmt: skip
                self._retire(worker, "memory")

    def _retire(self, worker: _Worker, reason: str, *, close: bool = False) -> None:
        """Stop ``worker`` for ``reason`` and start one in its place; only the first call for
        a worker counts. Whoever reads from it sees the end of its pipe and the reason."""
        with self._lock:
            if worker.retired:
                return
            worker.retired = True
            worker.reason = reason
            self._busy.discard(worker)
            with contextlib.suppress(ValueError):
                self._idle.remove(worker)
            self.replaced += 1
            self.stopped[reason] = self.stopped.get(reason, 0) + 1
        with contextlib.suppress(OSError, ValueError):
            worker.process.kill()
        if close:
            worker.conn.close()
        if not self._closed:
            # Starting a process takes a while; do it off the request's path.
            threading.Thread(target=self._replace, args=(worker,), daemon=True).start()

    def _replace(self, old: _Worker) -> None:
        old.process.join(timeout=5)
        delay = 0.5
        while not self._closed:
            worker = self._new_worker()
            try:
                self._note_sealing(worker.wait_ready(120))
            except RuntimeError as exc:
                log.error("could not start a query worker: %s; trying again", exc)
                worker.close()
                time.sleep(delay)
                delay = min(delay * 2, 10)
                continue
            self._release(worker)
            return

    def _discard(self, worker: _Worker, reason: str) -> None:
        """The reader of ``worker`` is done with it, and it cannot be reused."""
        self._retire(worker, reason)
        worker.close()

    # -- the idle set --------------------------------------------------------------------
    def _busy_error(self) -> errors.Busy:
        return errors.Busy(
            f"all {self.size} query workers stayed busy for {self.queue_timeout:g} s; "
            "try again shortly",
            retry_after=max(1, math.ceil(min(self.queue_timeout, 5.0))),
        )

    def _take_idle(self) -> _Worker | None:
        """An idle worker that is still alive, marked busy (call with the lock held)."""
        while self._idle:
            worker = self._idle.pop()  # the most recent: still awake, caches warm
            if worker.process.is_alive():
                self._busy.add(worker)
                return worker
            log.error("an idle query worker died (exit code %s)", worker.process.exitcode)
            self._retire(worker, "died", close=True)
        return None

    def _acquire(self) -> _Worker:
        deadline = time.monotonic() + self.queue_timeout
        with self._lock:
            while True:
                worker = self._take_idle()
                if worker is not None:
                    return worker
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._closed:
                    raise self._busy_error()
                self._lock.wait(remaining)

    async def _astart(self, kind: str, job: Job, timeout: float) -> _Worker:
        """A worker that has been handed ``job``. A coroutine that has to wait leaves the job
        with its place in the queue, and the worker freed for it is handed the job where it is
        freed: otherwise a worker sits idle for the two turns of the event loop it takes to
        wake the waiter and have it send the job, which under load was half of its time."""
        loop = asyncio.get_running_loop()
        with self._lock:
            worker = self._take_idle()
            if worker is None:
                future: asyncio.Future[_Worker] = loop.create_future()
                self._async_waiters.append((loop, future, (kind, job, timeout)))
        if worker is not None:
            self._start(worker, kind, job, timeout)
            return worker
        try:
            return await asyncio.wait_for(future, self.queue_timeout)
        except TimeoutError:
            raise self._busy_error() from None

    def _release(self, worker: _Worker) -> None:
        if self._closed or worker.retired:
            worker.close()
            return
        worker.deadline = None
        with self._lock:
            self._busy.discard(worker)
            while self._async_waiters:
                loop, future, start = self._async_waiters.popleft()
                if not future.done():
                    self._busy.add(worker)
                    break
            else:
                self._idle.append(worker)
                self._lock.notify()
                return
        if _running_loop() is loop:
            self._hand_over(future, worker, start)
        else:
            loop.call_soon_threadsafe(self._hand_over, future, worker, start)

    def _hand_over(
        self, future: asyncio.Future[_Worker], worker: _Worker, start: tuple[str, Job, float]
    ) -> None:
        """On the waiter's loop: start its job on ``worker`` and wake it."""
        if future.done():  # its waiter gave up meanwhile
            self._release(worker)
            return
        try:
            self._start(worker, *start)
        except errors.HubgraphError as exc:
            future.set_exception(exc)
        else:
            future.set_result(worker)

    # -- messages ------------------------------------------------------------------------
    def _start(self, worker: _Worker, kind: str, job: Job, timeout: float) -> None:
        """Hand ``job`` to ``worker``; its run time counts from now."""
        worker.timeout = timeout
        worker.deadline = time.monotonic() + timeout
        message = encode_job(kind, job, worker.prefixes)
        try:
            worker.conn.send_bytes(message)
            worker.prefixes = job.prefixes
        except (OSError, ValueError):  # it died between the check and the send
            self._discard(worker, "crashed")
            raise errors.QueryFailed(
                "a query worker died before it took the query; try again"
            ) from None

    def _stopped(self, worker: _Worker) -> errors.HubgraphError:
        if worker.reason == "timeout":
            return errors.QueryTimeout(
                f"the query ran longer than {worker.timeout:g} s and was stopped"
            )
        if worker.reason == "memory":
            return errors.QueryMemoryExceeded(
                f"the query needed more than {self.memory_bytes // 2**20} MB of memory and was "
                "stopped; narrow it down (LIMIT, fewer joins, no ORDER BY over everything)"
            )
        log.error("a query worker died (exit code %s)", worker.process.exitcode)
        return errors.QueryFailed("the query crashed its worker process; the server is unaffected")

    def _read(self, worker: _Worker) -> Any:
        if worker.retired:  # stopped by the monitor: what is still in the pipe is not wanted
            self._discard(worker, worker.reason or "crashed")
            raise self._stopped(worker)
        try:
            message = worker.conn.recv()
        except (EOFError, OSError):
            self._retire(worker, "crashed")
            worker.close()
            raise self._stopped(worker) from None
        if message[0] == "error":
            self._release(worker)
            raise errors.rebuild(*message[1:])
        return message

    def _overdue(self, worker: _Worker) -> float:
        return max(0.0, (worker.deadline or 0.0) + GRACE - time.monotonic())

    def _receive(self, worker: _Worker) -> Any:
        try:
            ready = worker.retired or worker.conn.poll(self._overdue(worker))
        except (EOFError, OSError):
            ready = True  # _read reports the dead worker
        if not ready:  # the monitor should have stopped it by now: do it here
            self._discard(worker, "timeout")
            raise self._stopped(worker)
        return self._read(worker)

    async def _areceive(self, worker: _Worker, *, fresh: bool = False) -> Any:
        """The next message from ``worker``, without blocking the event loop. ``fresh``: the
        job was only just sent, so the answer cannot be there yet and is not looked for."""
        if not worker.retired and (fresh or not worker.conn.poll(0)):
            loop = asyncio.get_running_loop()
            ready: asyncio.Future[bool] = loop.create_future()
            # One future settled by whichever comes first, the worker's answer or the deadline:
            # cheaper per request than asyncio.wait_for's wrapping of it.
            worker.waiter = ready
            worker.watch(loop)
            timer = loop.call_later(self._overdue(worker), _settle, ready, False)
            try:
                answered = await ready
            except asyncio.CancelledError:
                timer.cancel()
                worker.waiter = None
                self._discard(worker, "cancelled")  # the client left; the worker is busy for it
                raise
            timer.cancel()
            worker.waiter = None
            if not answered:
                self._discard(worker, "timeout")
                raise self._stopped(worker)
        return self._read(worker)

    # -- the executor interface ----------------------------------------------------------
    def stream(self, job: Job, timeout: float) -> Iterator[bytes]:
        worker = self._acquire()
        self._start(worker, "stream", job, timeout)
        first = self._receive(worker)
        if first[0] == "end":
            self._release(worker)
            return iter([first[1]] if first[1] else [])
        return self._rest(worker, first[1])

    def _rest(self, worker: _Worker, first: bytes) -> Iterator[bytes]:
        finished = False
        try:
            yield first
            while True:
                message = self._receive(worker)
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
                self._discard(worker, "cancelled")  # the client went away mid-stream

    async def astream(self, job: Job, timeout: float) -> bytes | AsyncIterator[bytes]:
        worker = await self._astart("stream", job, timeout)
        first = await self._areceive(worker, fresh=True)
        if first[0] == "end":
            self._release(worker)
            return first[1]  # type: ignore[no-any-return]
        return self._arest(worker, first[1])

    async def _arest(self, worker: _Worker, first: bytes) -> AsyncIterator[bytes]:
        finished = False
        try:
            yield first
            while True:
                message = await self._areceive(worker)
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
                self._discard(worker, "cancelled")

    def rows(self, job: Job, timeout: float) -> Rows:
        worker = self._acquire()
        self._start(worker, "rows", job, timeout)
        message = self._receive(worker)
        self._release(worker)
        return message[1]  # type: ignore[no-any-return]

    async def arows(self, job: Job, timeout: float) -> Rows:
        worker = await self._astart("rows", job, timeout)
        message = await self._areceive(worker, fresh=True)
        self._release(worker)
        return message[1]  # type: ignore[no-any-return]

    def close(self) -> None:
        with self._lock:
            self._closed = True
            # Busy ones too: a runaway query must not outlive the server.
            workers, self._idle = [*self._idle, *self._busy], deque()
            self._lock.notify_all()
        for worker in workers:
            worker.close()


class QueryPools:
    """The executor a served on-disk store uses: sealed workers for every query that names no
    allow-listed SERVICE, and — when the allow-list is not empty — a pool of unsealed workers
    whose SERVICE targets are rewritten to go through the forwarder. That pool starts with the
    first query that needs it: most servers never get one, and its workers' memory would be
    spent for nothing."""

    def __init__(
        self,
        sealed: WorkerPool,
        open_pool: WorkerPool | None = None,
        forwarder: ServiceForwarder | None = None,
        *,
        start_open: Any = None,
    ) -> None:
        self.sealed = sealed
        self.open = open_pool
        self.forwarder = forwarder
        self._start_open = start_open
        """Makes the SERVICE pool when it is first needed (None: there is none to make)."""
        self._open_size = 0
        self._starting = threading.Lock()
        self._closed = False

    @classmethod
    def from_settings(cls, settings: Any) -> QueryPools:
        memory = settings.query_memory_mb
        sealed = WorkerPool(
            settings.store, settings.workers, memory_mb=memory, seal=settings.seal_workers,
            queue_timeout=settings.queue_timeout,
        )  # fmt: skip
        if not settings.service_allowlist:
            return cls(sealed)

        def start_open() -> tuple[WorkerPool, ServiceForwarder]:
            from hubgraph.query.forwarder import ServiceForwarder  # with its HTTP client: rare

            forwarder = ServiceForwarder.from_settings(settings)
            try:
                pool = WorkerPool(
                    settings.store, settings.service_workers, memory_mb=memory, seal=False,
                    queue_timeout=settings.queue_timeout, name="hubgraph-service",
                )  # fmt: skip
            except BaseException:
                forwarder.close()
                raise
            return pool, forwarder

        pools = cls(sealed, start_open=start_open)
        pools._open_size = max(1, settings.service_workers)
        return pools

    def _service_pool(self) -> tuple[WorkerPool, ServiceForwarder]:
        if self.open is None or self.forwarder is None:
            if self._start_open is None:
                raise errors.ServiceNotAllowed("this server's SERVICE allow-list is empty")
            with self._starting:  # one start, however many such queries arrive at once
                if self._closed:
                    raise errors.QueryFailed("the server is shutting down")
                if self.open is None or self.forwarder is None:
                    self.open, self.forwarder = self._start_open()
        return self.open, self.forwarder

    def route(self, job: Job) -> tuple[WorkerPool, Job]:
        if not job.service_calls:
            return self.sealed, job
        pool, forwarder = self._service_pool()
        query = forwarder.rewrite_services(job.query, job.service_calls)
        return pool, replace(job, query=query, service_calls=())

    def stream(self, job: Job, timeout: float) -> Iterator[bytes]:
        pool, job = self.route(job)
        return pool.stream(job, timeout)

    def rows(self, job: Job, timeout: float) -> Rows:
        pool, job = self.route(job)
        return pool.rows(job, timeout)

    async def astream(self, job: Job, timeout: float) -> bytes | AsyncIterator[bytes]:
        pool, job = await self._aroute(job)
        return await pool.astream(job, timeout)

    async def arows(self, job: Job, timeout: float) -> Rows:
        pool, job = await self._aroute(job)
        return await pool.arows(job, timeout)

    async def _aroute(self, job: Job) -> tuple[WorkerPool, Job]:
        if job.service_calls and self.open is None:
            # Starting the SERVICE pool takes a while: not on the event loop.
            return await run_in_threadpool(self.route, job)
        return self.route(job)

    def status(self) -> dict[str, object]:
        out: dict[str, object] = {"queries": self.sealed.status()}
        if self.open is not None:
            out["service"] = {**self.open.status(), "forwarder": self.forwarder is not None}
        elif self._start_open is not None:
            out["service"] = {
                "workers": self._open_size,
                "started": False,
                "sealed": False,
                "network": "not started: starts with the first query naming an allow-listed "
                "SERVICE",
            }
        return out

    def close(self) -> None:
        with self._starting:
            self._closed = True
        self.sealed.close()
        if self.open is not None:
            self.open.close()
        if self.forwarder is not None:
            self.forwarder.close()


def _without_resource_tracker() -> None:
    """Spare the process that multiprocessing starts, at the first spawned worker, to unlink
    named semaphores and shared memory left by a crashed process (some 12 MB of RSS): the
    pools make neither (their workers talk over plain pipes), so its messages go to
    /dev/null instead. Left alone when the tracker already runs (something else here needs
    it) or when this Python's tracker is not the one this was written for (3.11 to 3.13)."""
    from multiprocessing import resource_tracker

    tracker = getattr(resource_tracker, "_resource_tracker", None)
    if tracker is None or getattr(tracker, "_fd", 0) is not None or not hasattr(tracker, "_pid"):
        return
    with tracker._lock:
        if tracker._fd is None:
            tracker._fd = os.open(os.devnull, os.O_WRONLY | os.O_CLOEXEC)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:  # a thread's caller
        return None


def _settle(future: asyncio.Future[bool], value: bool) -> None:
    if not future.done():
        future.set_result(value)
