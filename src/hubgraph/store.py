"""Where the graph lives, behind one narrow interface.

:class:`GraphStore` is all the rest of hubgraph knows about storage: run a query, replace source
graphs atomically, list graphs, count, dump. :class:`OxigraphStore` is the embedded store (the
only code that touches pyoxigraph's ``Store``); :mod:`hubgraph.remote` holds the remote one.
"""

from __future__ import annotations

import errno
import fcntl
import io
import itertools
import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

import pyoxigraph as ox

from hubgraph.errors import (
    HubgraphError,
    QueryFailed,
    StorageFailed,
    StoreReadOnly,
)

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
QueryResult = ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples
log = logging.getLogger("hubgraph")


class GraphStore(Protocol):
    location: str

    @property
    def kind(self) -> str:
        """What the store is, for the canned queries that have a text of its own (one of
        hubgraph.queries.STORE_KINDS)."""
        ...

    @property
    def kind_known(self) -> bool:
        """Whether :attr:`kind` answers without asking the store (a remote one is asked)."""
        ...

    def query(
        self,
        sparql: str,
        *,
        union: bool = True,
        default_graph: list[str] | None = None,
        named_graphs: list[str] | None = None,
        prefixes: Mapping[str, str] | None = None,
        timeout: float | None = None,
        base_iri: str | None = None,
    ) -> QueryResult:
        """Run a read-only query. ``union`` makes the default graph the union of all graphs;
        it is ignored when ``default_graph`` or ``named_graphs`` name the dataset."""
        ...

    def replace_graphs(
        self, datasets: Sequence[ox.Store], *, verify: Callable[[], None] | None = None
    ) -> None:
        """Make each named graph of the in-memory ``datasets`` hold exactly their quads in the
        store, all at once. ``verify``, when given, may refuse the load by raising: the store
        then keeps its old graphs. (The embedded store on disk calls it after writing and
        before publishing, so that checks can run while it writes; others call it first.)"""
        ...

    def graphs(self) -> list[str]: ...

    def count(self, graph: str | None = None) -> int: ...

    def dump(self, output: IO[bytes], format_name: str, graph: str | None = None) -> None: ...

    def close(self) -> None: ...


def rdf_format(engine_name: str) -> ox.RdfFormat:
    return getattr(ox.RdfFormat, engine_name)  # type: ignore[no-any-return]


def results_format(engine_name: str) -> ox.QueryResultsFormat:
    return getattr(ox.QueryResultsFormat, engine_name)  # type: ignore[no-any-return]


def dataset_arguments(
    union: bool, default_graph: list[str] | None, named_graphs: list[str] | None
) -> dict[str, object]:
    """pyoxigraph's keyword arguments for a dataset. With the union on, pyoxigraph ignores a
    query's FROM, so callers pass ``union=False`` for queries that name their own dataset."""
    if default_graph is None and named_graphs is None:
        return {"use_default_graph_as_union": union}
    return {
        "default_graph": [ox.NamedNode(g) for g in default_graph or []],
        "named_graphs": [ox.NamedNode(g) for g in named_graphs or []],
    }


def graph_names(dataset: ox.Store) -> list[str]:
    return sorted(g.value for g in dataset.named_graphs() if isinstance(g, ox.NamedNode))


def replacement_update(graphs: Sequence[tuple[ox.Store, str]]) -> str:
    """One SPARQL update that replaces each graph with its quads in its in-memory dataset.
    ``INSERT { … } WHERE {}`` rather than ``INSERT DATA``: the same quads, and some stores
    (Virtuoso: error SP031) refuse blank nodes in ``INSERT DATA``."""
    parts = []
    for dataset, graph in graphs:
        body = io.BytesIO()
        dataset.dump(body, ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(graph))
        parts.append(
            f"DROP SILENT GRAPH <{graph}> ;\n"
            f"INSERT {{ GRAPH <{graph}> {{\n{body.getvalue().decode()}}} }} WHERE {{}}"
        )
    return " ;\n".join(parts)


@dataclass(frozen=True)
class RdfFile:
    """An RDF file's bytes for the embedded store on disk to bulk-load as they are, parsed by
    the engine on its own threads: a large file that the loader checks in a child process
    while it is written (1e6 quads written from parsed datasets took longer than parsing and
    writing the file). Its graphs are those the file names: ``graphs`` when a parse found
    them, or ``to_graph`` (a triple format), which are cleared before the write; otherwise
    unknown until the caller's checks have parsed it."""

    name: str
    data: bytes
    format: ox.RdfFormat
    base_iri: str
    to_graph: ox.NamedNode | None = None
    graphs: tuple[str, ...] | None = None

    def known_graphs(self) -> list[str] | None:
        if self.to_graph is not None:
            return [self.to_graph.value]
        return list(self.graphs) if self.graphs is not None else None


def generation_file(path: Path) -> Path:
    """A file beside the store whose change tells read-only readers to reopen it."""
    return path.with_name(path.name + ".generation")


def versions_dir(path: Path) -> Path:
    """Where the published versions of the store live: readers only ever open one of these."""
    return path.with_name(path.name + ".versions")


def read_generation(path: Path) -> int:
    try:
        return generation_file(path).stat().st_mtime_ns
    except FileNotFoundError:
        return 0


def published_version(path: Path) -> Path | None:
    """The version readers open: named by ``current`` in the versions folder. A store written
    before versions existed (or copied without them) has none, and is read in place."""
    folder = versions_dir(path)
    try:
        name = (folder / "current").read_text().strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    return folder / name if name else None


def open_read_only(path: Path, attempts: int = 40) -> ox.Store:
    """Open the published version of ``path`` read-only. A writer prunes old versions and, in a
    legacy store, compacts: files named a moment ago can vanish, and a moment later the open
    succeeds (on the version published meanwhile)."""
    for attempt in range(attempts):
        target = published_version(path) or path
        try:
            return ox.Store.read_only(str(target))
        except (OSError, RuntimeError) as exc:
            if not path.exists() and published_version(path) is None:
                raise QueryFailed(f"there is no store at {path}") from None
            if attempt == attempts - 1:
                raise QueryFailed(f"cannot open the store at {path}: {exc}") from None
            time.sleep(0.05)
    raise AssertionError("unreachable")


READ_ONLY_ERRNOS = {errno.EROFS, errno.EACCES, errno.EPERM}
KEPT_VERSIONS = 3
"""Published versions kept: the current one, and older ones a reader may still hold open."""


def disk_problem(exc: BaseException) -> str:
    """What a disk error means, in words (the engine reports RocksDB errors as text only)."""
    text = str(exc)
    code = getattr(exc, "errno", None)
    if code == errno.ENOSPC or "No space left" in text:
        return "the disk is full"
    if code == errno.EROFS or "Read-only file system" in text:
        return "the file system is read-only"
    if code in {errno.EACCES, errno.EPERM} or "Permission denied" in text:
        return "permission denied"
    return text


def is_read_only_error(exc: BaseException) -> bool:
    return getattr(exc, "errno", None) in READ_ONLY_ERRNOS or disk_problem(exc) in {
        "the file system is read-only",
        "permission denied",
    }


def crash_point(step: str) -> None:
    """Called between the steps of a load. The crash-injection tests replace it with one that
    kills the process at a chosen step; in normal runs it does nothing."""


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _copy_store(source: Path, target: Path) -> None:
    """A working copy of a published version. Table files never change once written, so they
    are hard-linked; the manifest and logs, which the engine appends to, are copied."""
    target.mkdir()
    for item in source.iterdir():
        if item.suffix == ".sst":
            try:
                os.link(item, target / item.name)
                continue
            except OSError:
                pass
        shutil.copy2(item, target / item.name)
    _fsync_dir(target)


def _journal_graphs(entry: dict[str, list[str]]) -> list[str]:
    """The graphs a journal names; a file whose graphs were not known when it was written
    stands for its graphs (none of which was in the store before that load)."""
    return [*entry["graphs"], *(f"the graphs of {name}" for name in entry.get("files", []))]


class OxigraphStore:
    """The embedded Oxigraph store: on disk at ``path``, or in memory when ``path`` is None.

    On disk, the directory at ``path`` is the writer's working copy; readers open the version
    the writer last published (``<path>.versions/current``), a cheap hard-linked checkpoint.
    A load writes the working copy behind a journal and publishes a new version only once
    every graph is written, so a crash at any moment leaves readers on the old version, and
    the next writer resets its working copy to the published version (see :meth:`_recover`).
    """

    kind = "oxigraph"
    kind_known = True

    def __init__(self, path: str | Path | None = None, *, read_only: bool = False) -> None:
        self.path = Path(path) if path is not None else None
        self.location = str(self.path) if self.path else "memory"
        self.read_only = read_only
        self.recovered: list[str] = []
        """Graphs of a load that a crash interrupted, reset to their published version."""
        self._lock: IO[str] | None = None
        # Read before opening: a version published in between then makes the next query reopen.
        self.generation = read_generation(self.path) if self.path else 0
        self._marker = str(generation_file(self.path)) if self.path else ""
        if self.path is None:
            self._store = ox.Store()
        elif read_only:
            self._store = open_read_only(self.path)
        else:
            self._lock = self._acquire_lock()
            try:
                self._recover()
                self._store = self._open_working_copy()
            except BaseException:
                self._release_lock()
                raise

    # -- the writer's lock, journal and versions --------------------------------------------
    def _sibling(self, suffix: str) -> Path:
        assert self.path is not None
        return self.path.with_name(self.path.name + suffix)

    def _refuse(self, exc: BaseException) -> HubgraphError:
        if is_read_only_error(exc):
            return StoreReadOnly(
                f"the store at {self.path} is read-only ({disk_problem(exc)}); it can be "
                "served and queried, but not loaded into"
            )
        return StorageFailed(f"cannot write the store at {self.path}: {disk_problem(exc)}")

    def _acquire_lock(self) -> IO[str]:
        assert self.path is not None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            lock = open(self._sibling(".lock"), "a")  # noqa: SIM115 - held while the store is open
        except OSError as exc:
            raise self._refuse(exc) from None
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            raise QueryFailed(
                f"cannot open the store at {self.path} for writing: another hubgraph process "
                "is loading into it. Serving processes open it read-only."
            ) from None
        return lock

    def _release_lock(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def _open_working_copy(self) -> ox.Store:
        assert self.path is not None
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            return ox.Store(str(self.path))
        except OSError as exc:
            if is_read_only_error(exc) or disk_problem(exc) == "the disk is full":
                raise self._refuse(exc) from None
            raise QueryFailed(
                f"cannot open the store at {self.path} for writing ({exc}); is another "
                "hubgraph process loading into it? Serving processes open it read-only."
            ) from None

    def _journal(self) -> Path | None:
        return self._sibling(".loading") if self.path else None

    def _recover(self) -> None:
        """Undo what a crashed load left: reset the working copy to the published version.
        Only the graphs that load was writing differ between the two; readers never saw them,
        since they read the published version."""
        assert self.path is not None
        journal = self._sibling(".loading")
        try:
            shutil.rmtree(self._sibling(".discard"), ignore_errors=True)
            for leftover in versions_dir(self.path).glob("tmp-*"):
                shutil.rmtree(leftover, ignore_errors=True)
            if not journal.exists():
                shutil.rmtree(self._sibling(".restore"), ignore_errors=True)
                return
            try:
                graphs = _journal_graphs(json.loads(journal.read_text()))
            except (ValueError, KeyError, TypeError):
                # A journal of a version before published versions: its graphs may be partial,
                # but there is nothing older to go back to, and deleting them would lose more.
                log.warning(
                    "an old-style load journal names graphs that may be incomplete; they are "
                    "kept as they are: %s", journal.read_text().split()[:5],
                )  # fmt: skip
                journal.unlink()
                return
            published = published_version(self.path)
            if published is not None:
                self._restore_from(published)
            self.recovered = graphs
            journal.unlink()
            crash_point("recovered")
        except OSError as exc:
            raise self._refuse(exc) from None

    def _restore_from(self, published: Path) -> None:
        """Make the working copy (closed) a copy of ``published``, in steps that a crash can
        interrupt anywhere: the journal stays until the last one, and recovery redoes them."""
        assert self.path is not None
        restore, discard = self._sibling(".restore"), self._sibling(".discard")
        shutil.rmtree(restore, ignore_errors=True)
        _copy_store(published, restore)
        crash_point("restore-copied")
        if self.path.exists():
            os.rename(self.path, discard)
        crash_point("restore-moved-aside")
        os.rename(restore, self.path)
        _fsync_dir(self.path.parent)
        shutil.rmtree(discard, ignore_errors=True)

    def _publish(self) -> None:
        """Make the working copy as it is now the version readers open, in one rename."""
        assert self.path is not None
        folder = versions_dir(self.path)
        folder.mkdir(exist_ok=True)
        numbers = [int(p.name) for p in folder.iterdir() if p.name.isdigit()]
        name = f"{max(numbers, default=0) + 1:08d}"
        tmp = folder / f"tmp-{name}"
        shutil.rmtree(tmp, ignore_errors=True)
        self._store.flush()
        self._store.backup(str(tmp))
        crash_point("version-written")
        os.rename(tmp, folder / name)
        _fsync_dir(folder)
        crash_point("version-named")
        _write_atomically(folder / "current", name + "\n")
        crash_point("published")
        self._touch_marker()
        for old in sorted(n for n in numbers if f"{n:08d}" != name)[: -(KEPT_VERSIONS - 1)]:
            shutil.rmtree(folder / f"{old:08d}", ignore_errors=True)

    def _touch_marker(self) -> None:
        assert self.path is not None
        marker = generation_file(self.path)
        marker.touch()
        now = time.time_ns()
        os.utime(marker, ns=(now, now))

    # -- loads -------------------------------------------------------------------------------
    def replace_graphs(
        self,
        datasets: Sequence[ox.Store],
        *,
        verify: Callable[[], None] | None = None,
        files: Sequence[RdfFile] = (),
    ) -> None:
        """:meth:`GraphStore.replace_graphs`; on disk, ``files`` are bulk-loaded as they are
        beside the ``datasets``. A file whose graphs are not known before the write cannot
        have them cleared: the working copy may then hold no graph but those the load
        replaces, which a new store, or one holding only those, does; ``verify`` then says
        whether the file's graphs may stand."""
        if self.read_only:
            raise StoreReadOnly(f"the store at {self.location} is open read-only")
        graphs = [(d, g) for d in datasets for g in graph_names(d)]
        if self.path is None:
            if files:
                raise ValueError("an in-memory store takes datasets only")
            if verify is not None:
                verify()  # readers share the in-memory store: nothing is written before
            self._write(datasets, graphs)
            return
        cleared = [g for _, g in graphs] + [g for f in files for g in f.known_graphs() or []]
        unknown = [f.name for f in files if f.known_graphs() is None]
        if unknown and not set(self.graphs()) <= set(cleared):
            raise ValueError("files whose graphs are not known may only go into a store "
                             "that holds no other graph than those this load replaces")  # fmt: skip
        journal = self._sibling(".loading")
        try:
            if published_version(self.path) is None:
                self._publish()  # what the journal's recovery goes back to
            entry = {"graphs": cleared, "files": unknown}
            _write_atomically(journal, json.dumps(entry))
        except OSError as exc:
            raise self._refuse(exc) from None
        crash_point("journal-written")
        try:
            self._write(datasets, graphs, cleared, files)
            self._store.flush()
            crash_point("written")
            if verify is not None:
                # Readers only see published versions, and a refusal rolls the working copy
                # back: the load's checks may finish while it is written, not before.
                verify()
                crash_point("verified")
            self._publish()
        except BaseException as exc:
            self._roll_back()
            if isinstance(exc, OSError):
                raise self._refuse(exc) from None
            raise
        journal.unlink()
        crash_point("journal-removed")

    def _write(
        self,
        datasets: Sequence[ox.Store],
        graphs: list[tuple[ox.Store, str]],
        cleared: Sequence[str] = (),
        files: Sequence[RdfFile] = (),
    ) -> None:
        if self.path is None:
            # In memory there is no journal to undo a half-done write, and readers share the
            # store: one SPARQL update is one transaction, so they see the old graphs or the new.
            self._store.update(replacement_update(graphs))
            return
        # On disk, readers only open published versions, and a crash is undone from the
        # journal: the working copy need not be written in one transaction, and a bulk load
        # is the fastest write at every size measured (bench/loads.py: a transaction of 100k
        # quads took 9 times as long).
        for g in cleared:
            if self._store.contains_named_graph(ox.NamedNode(g)):
                self._store.clear_graph(ox.NamedNode(g))
        crash_point("cleared")
        # Straight from the parsed datasets, without a detour through text, and in one bulk
        # load for every source at once.
        self._store.bulk_extend(itertools.chain.from_iterable(datasets))
        for f in files:
            self._store.bulk_load(
                input=f.data, format=f.format, base_iri=f.base_iri, to_graph=f.to_graph
            )
        crash_point("extended")

    def _roll_back(self) -> None:
        """A load that failed part-way (a disk error, an interrupt): back to the published
        version now, rather than at the next start. If even that fails (the disk is still
        full), the journal stays for the next writer, and this store object only reads."""
        assert self.path is not None
        del self._store
        try:
            self._recover()
            self._store = self._open_working_copy()
        except Exception as exc:
            log.warning(
                "could not undo the failed load into %s yet (%s); the next hubgraph load or "
                "serve will", self.path, disk_problem(exc),
            )  # fmt: skip
            self._store = open_read_only(self.path)
            self.read_only = True

    def interrupted_load(self) -> list[str]:
        """Graphs of a load that is in progress or was interrupted (empty when none)."""
        journal = self._journal()
        if journal is None or not journal.exists():
            return []
        text = journal.read_text()
        try:
            return _journal_graphs(json.loads(text))
        except (ValueError, KeyError, TypeError):
            return text.split()

    # -- reading -----------------------------------------------------------------------------
    def query(
        self,
        sparql: str,
        *,
        union: bool = True,
        default_graph: list[str] | None = None,
        named_graphs: list[str] | None = None,
        prefixes: Mapping[str, str] | None = None,
        timeout: float | None = None,
        base_iri: str | None = None,
    ) -> QueryResult:
        # The embedded engine cannot stop a running query: callers that need a timeout run it in
        # a worker process (see hubgraph.executor), so ``timeout`` is accepted and not used here.
        try:
            return self._store.query(  # type: ignore[no-any-return]
                sparql,
                prefixes=dict(prefixes or {}),
                base_iri=base_iri,
                **dataset_arguments(union, default_graph, named_graphs),  # type: ignore[arg-type]
            )
        except SyntaxError as exc:
            # Imported here: it pulls in the guard, which a query worker needs for nothing else.
            from hubgraph.query.syntax_errors import readable

            raise readable(str(exc.msg), sparql, prefixes) from None
        except OSError as exc:
            raise QueryFailed(f"the store failed: {exc}") from None

    def _graph_nodes(self) -> list[ox.NamedNode]:
        return [g for g in self._store.named_graphs() if isinstance(g, ox.NamedNode)]

    def graphs(self) -> list[str]:
        return sorted(g.value for g in self._graph_nodes())

    def is_empty(self) -> bool:
        # Not count() == 0: counting scans every quad, and the pages that scan reads stay in
        # the serving process (some 33 MB at 1e6 quads) long after the store is closed.
        return next(iter(self._store), None) is None

    def count(self, graph: str | None = None) -> int:
        if graph is None:
            return len(self._store)
        return sum(1 for _ in self._store.quads_for_pattern(None, None, None, ox.NamedNode(graph)))

    def quads(self) -> list[ox.Quad]:
        return list(self._store)

    def dump(self, output: IO[bytes], format_name: str, graph: str | None = None) -> None:
        fmt = rdf_format(format_name)
        if graph is None and not fmt.supports_datasets:
            raise QueryFailed(f"{fmt.name} holds one graph; name a graph to export")
        from_graph = ox.NamedNode(graph) if graph else None
        self._store.dump(output, fmt, from_graph=from_graph)

    def reopen_if_changed(self) -> None:
        """For a read-only store: reopen when a writer has marked the store changed, since a
        read-only open sees the data as it was when it was opened."""
        if self.path is None or not self.read_only:
            return
        try:  # once per query: a plain stat of a path made once, not a pathlib walk
            generation = os.stat(self._marker).st_mtime_ns
        except FileNotFoundError:
            generation = 0
        if generation != self.generation:
            # The marker moves after the version is published: what opens now is at least it.
            self.generation = generation
            self._store = open_read_only(self.path)

    def close(self) -> None:
        if self.path is not None and not self.read_only:
            self._store.flush()
        del self._store
        self._release_lock()
