"""The worker pool's own promises, with real worker processes over a real store: the run
deadline counts from when a worker takes the query and holds even when nobody reads the result;
waiting for a worker is bounded on its own; dead workers are replaced, idle or busy."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from hubgraph import errors
from hubgraph.config import Settings
from hubgraph.executor import Job, WorkerPool
from hubgraph.runtime import load_data
from hubgraph.store import OxigraphStore

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
HUGE = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }"


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("workers") / "store"
    settings = Settings(
        store=str(path), data_dir=ROOT / "data", ontology_dir=ROOT / "ontology",
        queries_dir=ROOT / "queries",
    )  # fmt: skip
    store = OxigraphStore(path)
    load_data(store, settings)
    store.close()
    return str(path)


def expect_timeout(pool: WorkerPool, seconds: float) -> None:
    with pytest.raises(errors.QueryTimeout):
        pool.rows(Job(RUNAWAY), seconds)


def wait_idle(pool: WorkerPool, seconds: float = 30) -> dict[str, object]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status = pool.status()
        if status["idle"] == pool.size:
            return status
        time.sleep(0.05)
    raise AssertionError(pool.status())


def test_queue_time_is_not_charged_to_the_query(store_path: str) -> None:
    pool = WorkerPool(store_path, 1, seal=True, queue_timeout=20)
    try:
        runaway = threading.Thread(target=expect_timeout, args=(pool, 2.0))
        runaway.start()
        time.sleep(0.5)
        # Waits ~1.5 s for the runaway's worker and a fresh one: more than a third of its own
        # 2 s — and still has all of its 2 s to run, once it has a worker.
        started = time.monotonic()
        assert pool.rows(Job("ASK {}"), 2.0).boolean is True
        assert time.monotonic() - started > 1.0
        runaway.join()
        assert pool.status()["replaced"] == 1, "only the runaway's worker was stopped"
    finally:
        pool.close()


def test_a_wait_past_the_queue_timeout_is_busy_with_retry_after(store_path: str) -> None:
    pool = WorkerPool(store_path, 1, seal=True, queue_timeout=1.0)
    try:
        runaway = threading.Thread(target=expect_timeout, args=(pool, 4.0))
        runaway.start()
        time.sleep(0.3)
        started = time.monotonic()
        with pytest.raises(errors.Busy) as busy:
            pool.rows(Job("ASK {}"), 30.0)
        assert time.monotonic() - started < 3.0
        assert busy.value.headers["Retry-After"] == "1"
        runaway.join()
    finally:
        pool.close()


def test_an_unread_stream_frees_its_worker_at_the_deadline(store_path: str) -> None:
    pool = WorkerPool(store_path, 1, seal=True, queue_timeout=5)

    async def start_and_stall() -> object:
        chunks = await pool.astream(Job(HUGE, output="JSON"), 1.5)
        assert not isinstance(chunks, bytes)
        await chunks.__anext__()  # one chunk, then nobody reads
        await asyncio.sleep(3.0)
        return chunks

    try:
        chunks = asyncio.run(start_and_stall())
        assert pool.status()["replaced"] == 1, pool.status()
        wait_idle(pool, 10)
        assert pool.rows(Job("ASK {}"), 5).boolean is True
        del chunks
    finally:
        pool.close()


def test_dead_workers_are_replaced_idle_or_busy(store_path: str) -> None:
    pool = WorkerPool(store_path, 2, seal=True, queue_timeout=10)
    try:
        for worker in list(pool._idle):
            os.kill(worker.process.pid, signal.SIGKILL)
        time.sleep(0.5)  # the monitor notices without a query to trip over them
        assert pool.status()["replaced"] == 2
        wait_idle(pool)
        result: dict[str, object] = {}

        def run() -> None:
            try:
                pool.rows(Job(RUNAWAY), 30)
            except errors.HubgraphError as exc:
                result["error"] = exc

        thread = threading.Thread(target=run)
        thread.start()
        time.sleep(0.5)
        (busy,) = list(pool._busy)
        os.kill(busy.process.pid, signal.SIGKILL)
        thread.join(10)
        assert isinstance(result["error"], errors.QueryFailed)
        wait_idle(pool)
        assert pool.status()["replaced"] == 3
        assert pool.rows(Job("ASK {}"), 5).boolean is True
    finally:
        pool.close()


def test_memory_cap_stops_the_query_not_the_pool(store_path: str) -> None:
    hungry = (
        "SELECT ?x WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i "
        "BIND(CONCAT(STR(?a), STR(?c), STR(?f), STR(?i), STR(?a)) AS ?x) } ORDER BY ?x"
    )
    pool = WorkerPool(store_path, 1, seal=True, memory_mb=100, queue_timeout=10)
    try:
        with pytest.raises(errors.QueryMemoryExceeded) as stopped:
            pool.rows(Job(hungry), 60)
        assert stopped.value.status == 507
        assert pool.rows(Job("ASK {}"), 5).boolean is True
    finally:
        pool.close()


def test_the_loop_keeps_watching_a_workers_pipe_between_jobs_and_lets_go_of_it_safely(
    store_path: str,
) -> None:
    """One standing reader per worker and loop, job after job; a thread's job on the same
    worker, a worker that dies idle and one cancelled mid-query all leave the loop with no
    registration for a closed (and perhaps reused) descriptor."""
    import uvloop

    pool = WorkerPool(store_path, 1, queue_timeout=20)
    try:

        async def jobs() -> None:
            loop = asyncio.get_running_loop()
            worker = pool._idle[0]
            for _ in range(20):
                body = await pool.astream(Job("ASK {}", output="JSON"), 10)
                assert body == b'{"head":{},"boolean":true}'
            assert worker.watched_by is loop and worker.waiter is None
            # A thread reads the same worker: the loop stops watching when its answer comes.
            rows = await loop.run_in_executor(None, pool.rows, Job("ASK {}"), 10)
            assert rows.boolean is True
            assert await pool.astream(Job("ASK {}", output="JSON"), 10)
            # The client leaves mid-query: the worker goes, its pipe closed through the loop.
            task = asyncio.ensure_future(pool.astream(Job(RUNAWAY, output="JSON"), 30))
            await asyncio.sleep(0.3)
            busy = next(iter(pool._busy))
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert busy.conn.closed and busy.watched_by is None
            wait_idle(pool)
            # A worker killed while idle: EOF on its watched pipe, and the pool goes on.
            idle = pool._idle[0]
            assert await pool.astream(Job("ASK {}", output="JSON"), 10)
            os.kill(idle.process.pid, signal.SIGKILL)
            await asyncio.sleep(0.5)
            deadline = time.monotonic() + 30
            while pool.replaced < 2 and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.1)  # the deferred close runs on this loop
            assert idle.conn.closed and idle.watched_by is None
            wait_idle(pool)
            assert await pool.astream(Job("ASK {}", output="JSON"), 10)

        uvloop.run(jobs())
        # Another loop takes over the (surviving) worker.
        asyncio.run(pool.astream(Job("ASK {}", output="JSON"), 10))
    finally:
        pool.close()


def test_a_waiting_coroutine_gets_a_worker_with_its_own_job_started(store_path: str) -> None:
    """A worker freed while coroutines wait is handed the next waiter's job where it is freed:
    from a coroutine on the same loop (a job's end) and from the thread that starts a
    replacement (after a timeout). Each waiter gets the answer to its own query, with all of its
    run time, and one that gave up while waiting never has its job run."""
    pool = WorkerPool(store_path, 1, seal=True, queue_timeout=20)

    async def jobs() -> None:
        runaway = asyncio.ensure_future(pool.astream(Job(RUNAWAY, output="JSON"), 1.0))
        await asyncio.sleep(0.2)
        waiting = [
            asyncio.ensure_future(pool.arows(Job(f"SELECT ({n} AS ?n) {{}}"), 2.0))
            for n in range(8)
        ]
        gave_up = asyncio.ensure_future(pool.arows(Job(RUNAWAY), 30.0))
        await asyncio.sleep(0.2)
        gave_up.cancel()
        with pytest.raises(errors.QueryTimeout):
            await runaway
        answers = await asyncio.gather(*waiting)
        assert [int(rows.rows[0][0].value) for rows in answers] == list(range(8))
        with pytest.raises(asyncio.CancelledError):
            await gave_up

    try:
        asyncio.run(jobs())
        status = wait_idle(pool)
        # The runaway's worker only: the cancelled waiter's RUNAWAY never reached a worker.
        assert status["replaced"] == 1, status
        assert pool.rows(Job("ASK {}"), 5.0).boolean is True
    finally:
        pool.close()
