"""The reconciliation service: the register snapshot, cached per store version, and every
operation of the Reconciliation Service API 0.2 over it. No HTTP here."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable

from hubgraph.errors import BadRequest, NotFound
from hubgraph.reconcile.batch import (
    MAX_BATCH,
    MAX_LIMIT,
    MAX_TEXT,
    parse_batch,
    parse_extend,
    parse_types,
)
from hubgraph.reconcile.extend import extend, propose
from hubgraph.reconcile.manifest import manifest
from hubgraph.reconcile.matching import reconcile_batch
from hubgraph.reconcile.preview import preview_html
from hubgraph.reconcile.register import Register, Select, find_type, read_stances
from hubgraph.reconcile.suggest import suggest_entities, suggest_properties, suggest_types
from hubgraph.service import QueryService
from hubgraph.store import OxigraphStore, read_generation

REMOTE_TTL = 30.0
"""Seconds a snapshot of a store without a version marker (remote, in memory) is kept."""
MAX_CURSOR = 10_000


def store_version(service: QueryService) -> Callable[[], Hashable]:
    """A cheap key that changes when the store's data may have: the embedded store's
    generation marker (moved by every load); otherwise the time, in REMOTE_TTL steps."""
    store = service.store
    if isinstance(store, OxigraphStore) and store.path is not None:
        path = store.path
        return lambda: ("generation", read_generation(path))
    return lambda: ("time", int(time.monotonic() // REMOTE_TTL))


def service_select(service: QueryService) -> Select:
    return lambda text: service.select(text).rows  # type: ignore[return-value]


class Reconciler:
    def __init__(self, select: Select, version: Callable[[], Hashable]) -> None:
        self._select = select
        self._version = version
        self._lock = threading.Lock()
        self._cached: tuple[Hashable, Register] | None = None

    @classmethod
    def over(cls, service: QueryService) -> Reconciler:
        return cls(service_select(service), store_version(service))

    def register(self) -> Register:
        version = self._version()
        with self._lock:  # one reader builds a snapshot; the others wait for it
            if self._cached is None or self._cached[0] != version:
                self._cached = (version, Register.read(self._select))
            return self._cached[1]

    # -- the API's operations --------------------------------------------------------------
    def manifest(self, base: str) -> dict[str, object]:
        return manifest(base, self.register())

    def reconcile(self, batch: object) -> dict[str, object]:
        queries = parse_batch(batch)  # before any query runs: bad input costs nothing
        return reconcile_batch(self.register(), queries)  # type: ignore[return-value]

    def extend(self, request: object) -> dict[str, object]:
        parsed = parse_extend(request)
        register = self.register()
        for prop in parsed.properties:
            if not prop.policy:
                continue
            policy = register.find(prop.policy)
            if policy is None or not any(t.id == "policy" for t in policy.types):
                raise BadRequest(f"no policy {prop.policy!r} in the register")
        found = {e.iri: e for e in map(register.find, parsed.ids) if e is not None}
        needs_stances = any(p.id in ("position", "observations") for p in parsed.properties)
        stances = read_stances(self._select, found.values()) if needs_stances else []
        return extend(register, parsed, stances)

    def propose(self, type_id: str | None, limit: int | None) -> dict[str, object]:
        kind = None
        if type_id:
            kind = find_type(type_id)
            if kind is None:
                raise BadRequest(f"no type {type_id!r}")
        size = _bounded(limit, "limit", 1, MAX_LIMIT, default=MAX_LIMIT)
        return propose(kind.id if kind else None, size)

    def suggest(
        self, kind: str, prefix: str, type_id: str | None = None, cursor: int | None = None
    ) -> dict[str, object]:
        _check_text(prefix, "prefix")
        start = _bounded(cursor, "cursor", 0, MAX_CURSOR, default=0)
        if kind == "entity":
            types = parse_types(type_id, "'type'") if type_id else ()
            return suggest_entities(self.register(), prefix, types, start)  # type: ignore[return-value]
        if kind == "type":
            return suggest_types(prefix, start)  # type: ignore[return-value]
        if kind == "property":
            return suggest_properties(prefix, start)  # type: ignore[return-value]
        raise NotFound(f"no suggest service {kind!r}: use entity, type or property")

    def preview(self, value: str) -> str:
        _check_text(value, "id")
        register = self.register()
        entity = register.find(value)
        if entity is None:
            raise NotFound(f"no entity {value!r} in the register")
        return preview_html(register, entity, read_stances(self._select, [entity]))


def _check_text(value: str, name: str) -> None:
    if len(value) > MAX_TEXT:
        raise BadRequest(f"{name!r} is {len(value)} characters long; at most {MAX_TEXT}")


def _bounded(value: int | None, name: str, low: int, high: int, *, default: int) -> int:
    if value is None:
        return default
    if not low <= value <= high:
        raise BadRequest(f"{name!r} must be between {low} and {high}, not {value}")
    return value


__all__ = ["MAX_BATCH", "Reconciler", "store_version"]
