"""Putting the pieces together: a store, a way to run queries on it, and the canned queries."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from hubgraph.config import Settings
from hubgraph.errors import StorageFailed, StoreReadOnly
from hubgraph.graph.register import register_path
from hubgraph.loader import SHEET_SUFFIXES, LoadReport, load_sources
from hubgraph.store import GraphStore, OxigraphStore

if TYPE_CHECKING:
    from hubgraph.executor import Executor
    from hubgraph.service import QueryService

log = logging.getLogger("hubgraph")


def load_data(store: GraphStore, settings: Settings, paths: list[Path] | None = None) -> LoadReport:
    """Load ``paths`` (default: all of ``data/``: the register, the editorial file, the
    sheets and any TriG) with the ontology, in one go. Names in sheets are resolved against
    ``data/register.yaml``."""
    register = register_path(settings.data_dir)
    if paths is not None and register.exists() and any(p.suffix in SHEET_SUFFIXES for p in paths):
        # Sheets name register entities: the register they were resolved against goes with them.
        paths = [*paths, register] if register not in paths else paths
    return load_sources(
        store,
        paths if paths is not None else [settings.data_dir],
        shapes=settings.ontology_dir / "shapes.ttl",
        ontology_dir=settings.ontology_dir,
        register=register,
        sources_dir=settings.sources_dir,
        data_dir=settings.data_dir,
    )


def open_store(settings: Settings, *, read_only: bool = False) -> GraphStore:
    """The configured store: in memory, on disk, or a remote SPARQL store."""
    if settings.is_memory:
        return OxigraphStore(None)
    if settings.is_remote:
        # Imported here: it pulls in an HTTP client that an embedded store's server never uses.
        from hubgraph.remote import RemoteStore

        return RemoteStore(
            settings.store,
            update_endpoint=settings.update_endpoint,
            graph_store_endpoint=settings.graph_store_endpoint,
            timeout=settings.query_timeout,
        )
    return OxigraphStore(settings.store, read_only=read_only)


def prepare_store(settings: Settings) -> None:
    """Before serving an on-disk store: load ``data/`` into it when it is new and empty (or
    when asked to), then close it so that the query workers can open it read-only. Opening it
    for writing recovers from a load that a crash interrupted. A store the process may not
    write (read-only media or directory) is served as it is."""
    try:
        store = OxigraphStore(settings.store)
    except (StoreReadOnly, StorageFailed) as exc:
        if settings.load_on_start:
            raise type(exc)(f"{exc.message}; cannot reload data/ into it") from None
        reader = OxigraphStore(settings.store, read_only=True)  # raises when there is none
        try:
            if reader.is_empty():
                raise type(exc)(f"{exc.message}, and it is empty: nothing to serve") from None
        finally:
            reader.close()
        log.warning("%s: opening it read-only; loads are refused", exc.message)
        return
    try:
        if store.recovered:
            log.warning(
                "a load into %s did not finish; its %d graph(s) are back at their previous "
                "version: %s", settings.store, len(store.recovered), ", ".join(store.recovered[:5]),
            )  # fmt: skip
        if settings.load_on_start or store.is_empty():
            report = load_data(store, settings)
            log.info("loaded %d quads into %s", report.quad_count, settings.store)
    finally:
        store.close()


def open_service(settings: Settings, *, serving: bool = False) -> QueryService:
    """A query service over the configured store. ``serving`` runs queries in worker
    processes (timeouts, crash isolation); otherwise they run inline, as the CLI does."""
    # Imported here: `hubgraph load`, which a coder runs once a sheet, needs none of them
    # (the query guard, the executor and its web framework were a third of its start-up).
    from hubgraph.executor import InlineExecutor, QueryPools
    from hubgraph.queries import QueryRegistry
    from hubgraph.service import QueryService

    registry = QueryRegistry(settings.queries_dir)
    executor: Executor
    store: GraphStore
    if settings.is_memory:
        store = OxigraphStore(None)
        load_data(store, settings)
        executor = InlineExecutor(store, settings)
    elif settings.is_remote:
        from hubgraph.remote import RemoteExecutor, RemoteStore

        remote = open_store(settings)
        assert isinstance(remote, RemoteStore)
        if settings.load_on_start or not remote.graphs():
            load_data(remote, settings)
        store, executor = remote, RemoteExecutor(remote)
    elif not serving:
        prepare_store(settings)
        store = OxigraphStore(settings.store, read_only=True)
        executor = InlineExecutor(store, settings)
    else:
        prepare_store(settings)
        store = OxigraphStore(settings.store, read_only=True)
        executor = QueryPools.from_settings(settings)
    return QueryService(settings, store, executor, registry)
