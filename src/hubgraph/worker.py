"""What runs inside a query worker process (see :mod:`hubgraph.executor`), and the messages
it takes and gives.

A worker is started by the spawn method, which imports this module afresh in the child: it
therefore imports the engine and little else (no web framework, no HTTP client, no guard), so
that each worker costs about what the engine does. A :class:`Job` is unpickled here too, so it
lives here as well.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import marshal
import os
import threading
import time
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from hubgraph import engine_tsv, errors
from hubgraph.query.engine_errors import service_error
from hubgraph.query.sealing import Sealing, seal_network
from hubgraph.store import GraphStore, OxigraphStore, Term, rdf_format, results_format
from hubgraph.terms import csv_text, records_json

if TYPE_CHECKING:
    from hubgraph.query.guard import ServiceCall

CHUNK_BYTES = 64 * 1024
TRIM_AFTER = 0.01
"""Seconds a job runs before the worker hands its freed memory back to the system after it."""
NO_NETWORK = (
    "this query tried to reach the network, and runs where there is none: SERVICE calls are "
    "allowed only to the endpoints on this server's allow-list"
)


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
    service_calls: tuple[ServiceCall, ...] = ()
    """The allow-listed SERVICE calls the guard found, with their spans in ``query``."""
    render: str = ""
    """For rows: "records" (JSON records) or "csv" / "csv-spreadsheet" renders the page where
    the query ran, into :attr:`Rows.encoded`; "" returns the terms themselves."""


@dataclass(frozen=True)
class Rows:
    variables: list[str]
    rows: list[tuple[Term | None, ...]]
    more: bool
    """True when rows beyond ``offset + limit`` exist."""
    boolean: bool | None = None
    """The answer of an ASK query (then ``rows`` is empty)."""
    encoded: bytes | None = None
    """The page as the job's ``render`` asked (then ``rows`` is empty and ``count`` says how
    many rows it holds): rendering where the query ran spares pickling every term across the
    pipe and converting it again in the serving process."""
    count: int = 0


def render_rows(rows: Rows, render: str) -> Rows:
    """``rows`` rendered as ``render`` asks (see :attr:`Job.render`)."""
    if not render or rows.boolean is not None:
        return rows
    if render == "records":
        encoded = records_json(rows.variables, rows.rows)
    elif render in {"csv", "csv-spreadsheet"}:
        text = csv_text(rows.variables, rows.rows, spreadsheet=render == "csv-spreadsheet")
        encoded = text.encode()
    else:
        raise ValueError(f"unknown rendering {render!r}")
    return replace(rows, rows=[], encoded=encoded, count=len(rows.rows))


def page_rows(result: Any, job: Job) -> Rows:
    """The page of ``result`` that ``job`` asks for (its offset and limit), rendered as it asks.
    JSON records and CSV of solutions are made from the engine's TSV (see
    :mod:`hubgraph.engine_tsv`): the same bytes as from the terms, without a term made for
    every cell."""
    if job.render and isinstance(result, ox.QuerySolutions):
        variables, lines, more = engine_tsv.solution_lines(result, job.offset, job.limit)
        if job.render == "records":
            encoded = engine_tsv.records_json(variables, lines)
        elif job.render in {"csv", "csv-spreadsheet"}:
            spreadsheet = job.render == "csv-spreadsheet"
            encoded = engine_tsv.csv_text(variables, lines, spreadsheet=spreadsheet).encode()
        else:
            raise ValueError(f"unknown rendering {job.render!r}")
        return Rows(variables, [], more, encoded=encoded, count=len(lines))
    return render_rows(collect_rows(result, job.offset, job.limit), job.render)


def encode_job(kind: str, job: Job, prefixes_sent: dict[str, str] | None) -> bytes:
    """``job`` for a worker's pipe. marshal of plain values is a tenth of the cost of pickling
    the dataclass, at both ends; the prefixes, the same dict for nearly every job, travel only
    when they are not the ones the worker was last sent (``prefixes_sent``). The SERVICE calls
    stay behind: the pool has acted on them before a job is sent."""
    prefixes = None if job.prefixes is prefixes_sent else job.prefixes
    return marshal.dumps((
        kind, job.query, job.union, job.default_graph, job.named_graphs, prefixes, job.output,
        job.base_iri, job.offset, job.limit, job.render,
    ))  # fmt: skip


def decode_job(data: bytes, prefixes: dict[str, str]) -> tuple[str, Job]:
    """:func:`encode_job`'s message; ``prefixes`` are the last ones received."""
    kind, query, union, default, named, sent, output, base, offset, limit, render = marshal.loads(
        data
    )
    job = Job(
        query=query, union=union, default_graph=default, named_graphs=named,
        prefixes=prefixes if sent is None else sent, output=output, base_iri=base,
        offset=offset, limit=limit, render=render,
    )  # fmt: skip
    return kind, job


def run_job(store: GraphStore, job: Job) -> Any:
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


def _malloc_trim() -> Any:
    """glibc's ``malloc_trim``, or None elsewhere (musl, macOS)."""
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


def _exit_with_parent(parent: int) -> None:
    """A worker whose server is gone (killed, so that nobody closed the pool) must not run on:
    a runaway query would burn a core forever. The engine releases the GIL, so this thread
    looks even while a query runs. (PR_SET_PDEATHSIG would fire when the short-lived thread
    that started a replacement worker ends.)"""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def worker_main(conn: Connection, store_path: str, seal: bool) -> None:
    # Sealing comes first: nothing the worker does afterwards, least of all a query, can
    # reach a network. The store is a local directory and needs none. (It must come before
    # any thread: a threaded process cannot enter a new user namespace.)
    sealing = seal_network() if seal else Sealing(False, "not sealed: runs allow-listed SERVICE")
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    try:
        store = OxigraphStore(store_path, read_only=True)
    except Exception as exc:
        conn.send(("failed", f"cannot open the store: {exc}"))
        return
    conn.send(("ready", sealing.sealed, sealing.detail))
    prefixes: dict[str, str] = {}
    # A big query leaves the engine's freed memory in the allocator's arenas, where the worker
    # would keep it for good: at 1e6 quads two answers of the conditions query held 280 MB
    # across the two workers. Handing it back costs microseconds to milliseconds, nothing
    # beside a job that ran this long; short jobs (a point lookup) skip it.
    trim = _malloc_trim()
    while True:
        try:
            kind, job = decode_job(conn.recv_bytes(), prefixes)
        except (EOFError, KeyboardInterrupt):
            return
        prefixes = job.prefixes
        started = time.perf_counter()
        try:
            store.reopen_if_changed()
            result = run_job(store, job)
            if kind == "rows":
                conn.send(("rows", page_rows(result, job)))
            else:
                sink = _Sink(conn.send)
                serialize(result, job.output, sink)
                # The last chunk travels with the end marker: one message for a small result.
                conn.send(("end", sink.take()))
        except Exception as exc:  # the engine's own errors too: report, keep serving
            failed_service = None if sealing.sealed else service_error(str(exc))
            if sealing.sealed and "os error 101" in str(exc):  # ENETUNREACH: a SERVICE call
                conn.send(("error", "ServiceNotAllowed", NO_NETWORK, {}))
            elif failed_service is not None:  # the forwarder's words, with its 502 or 504
                conn.send(("error", type(failed_service).__name__, failed_service.message, {}))
            elif isinstance(exc, errors.HubgraphError):
                conn.send(("error", type(exc).__name__, exc.message, exc.extra()))
            else:
                conn.send(("error", "QueryFailed", f"the query failed: {exc}", {}))
        if trim is not None and time.perf_counter() - started > TRIM_AFTER:
            trim(0)
