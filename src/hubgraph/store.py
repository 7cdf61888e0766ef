"""Where the graph lives, behind one narrow interface.

:class:`GraphStore` is all the rest of hubgraph knows about storage: run a query, replace source
graphs atomically, list graphs, count, dump. :class:`OxigraphStore` is the embedded store (the
only code that touches pyoxigraph's ``Store``); :mod:`hubgraph.remote` holds the remote one.
"""

from __future__ import annotations

import io
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Protocol

import pyoxigraph as ox

from hubgraph.errors import QueryFailed
from hubgraph.query.syntax_errors import readable

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
QueryResult = ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples
TRANSACTION_LIMIT = 100_000
"""Sources up to this many quads load in one transaction; larger ones load in bulk."""


class GraphStore(Protocol):
    location: str

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

    def replace_graphs(self, datasets: Sequence[ox.Store]) -> None:
        """Make each named graph of the in-memory ``datasets`` hold exactly their quads in the
        store, all at once."""
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


def generation_file(path: Path) -> Path:
    """A file beside the store whose change tells read-only readers to reopen it."""
    return path.with_name(path.name + ".generation")


def read_generation(path: Path) -> int:
    try:
        return generation_file(path).stat().st_mtime_ns
    except FileNotFoundError:
        return 0


def open_read_only(path: Path, attempts: int = 40) -> ox.Store:
    """Open ``path`` read-only. While a writer compacts, the files its manifest names can
    vanish between reading the manifest and opening them; a moment later the open succeeds."""
    for attempt in range(attempts):
        try:
            return ox.Store.read_only(str(path))
        except (OSError, RuntimeError) as exc:
            if not path.exists():
                raise QueryFailed(f"there is no store at {path}") from None
            if attempt == attempts - 1:
                raise QueryFailed(f"cannot open the store at {path}: {exc}") from None
            time.sleep(0.05)
    raise AssertionError("unreachable")


class OxigraphStore:
    """The embedded Oxigraph store: on disk at ``path``, or in memory when ``path`` is None."""

    def __init__(self, path: str | Path | None = None, *, read_only: bool = False) -> None:
        self.path = Path(path) if path is not None else None
        self.location = str(self.path) if self.path else "memory"
        self.read_only = read_only
        if self.path is None:
            self._store = ox.Store()
        elif read_only:
            self._store = open_read_only(self.path)
        else:
            self.path.mkdir(parents=True, exist_ok=True)
            try:
                self._store = ox.Store(str(self.path))
            except OSError as exc:
                raise QueryFailed(
                    f"cannot open the store at {self.path} for writing ({exc}); is another "
                    "hubgraph process loading into it? Serving processes open it read-only."
                ) from None
        self.generation = read_generation(self.path) if self.path else 0
        self._marker = str(generation_file(self.path)) if self.path else ""

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
            raise readable(str(exc.msg), sparql, prefixes) from None
        except OSError as exc:
            raise QueryFailed(f"the store failed: {exc}") from None

    def replace_graphs(self, datasets: Sequence[ox.Store]) -> None:
        graphs = [(d, g) for d in datasets for g in graph_names(d)]
        if sum(len(d) for d in datasets) <= TRANSACTION_LIMIT:
            # One SPARQL update is one transaction: readers see all of it or none of it.
            self._store.update(replacement_update(graphs))
        else:
            # Large sources: a transaction this size is several times slower than a bulk load,
            # so write in bulk behind a journal. Readers only reopen once the generation marker
            # moves, and a journal left by a crash names the graphs to reload.
            journal = self._journal()
            if journal is not None:
                journal.write_text("\n".join(g for _, g in graphs))
            for _, g in graphs:
                if self._store.contains_named_graph(ox.NamedNode(g)):
                    self._store.clear_graph(ox.NamedNode(g))
            for dataset in datasets:
                # Straight from the parsed dataset, without a detour through text.
                self._store.bulk_extend(dataset)
            if journal is not None:
                self._store.flush()
                journal.unlink()
        self.mark_changed()

    def _journal(self) -> Path | None:
        return self.path.with_name(self.path.name + ".loading") if self.path else None

    def drop_graphs(self, graphs: Sequence[str]) -> None:
        """Remove ``graphs`` (what an interrupted bulk load left half-written)."""
        for graph in graphs:
            self._store.remove_graph(ox.NamedNode(graph))
        journal = self._journal()
        if journal is not None and journal.exists():
            journal.unlink()
        self.mark_changed()

    def interrupted_load(self) -> list[str]:
        """Graphs of a bulk load that did not finish (empty when there was none)."""
        journal = self._journal()
        if journal is None or not journal.exists():
            return []
        return journal.read_text().split()

    def mark_changed(self) -> None:
        if self.path is None:
            return
        self._store.flush()
        marker = generation_file(self.path)
        marker.touch()
        now = time.time_ns()
        os.utime(marker, ns=(now, now))

    def _graph_nodes(self) -> list[ox.NamedNode]:
        return [g for g in self._store.named_graphs() if isinstance(g, ox.NamedNode)]

    def graphs(self) -> list[str]:
        return sorted(g.value for g in self._graph_nodes())

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
            self._store = open_read_only(self.path)
            self.generation = generation

    def close(self) -> None:
        if self.path is not None and not self.read_only:
            self._store.flush()
        del self._store
