"""All configuration in one place: one frozen settings object, read from ``HUBGRAPH_*``
environment variables only when :meth:`Settings.from_env` is called (never at import time)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from hubgraph.errors import ConfigError

WIKIDATA_SPARQL = "https://query.wikidata.org/sparql"


def _project_root() -> Path:
    # An editable install (the README's set-up) keeps data/, ontology/ and queries/ two levels
    # above this package; an installed wheel has none, and then the working directory is used.
    root = Path(__file__).resolve().parents[2]
    return root if (root / "ontology").is_dir() else Path.cwd()


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Settings:
    """Every knob hubgraph has. Field ``x`` is read from ``HUBGRAPH_X``."""

    store: str = "var/store"
    """Where the graph lives: a directory (embedded Oxigraph, created if missing), ``memory``,
    or an ``http(s)://`` SPARQL 1.1 query endpoint of a remote store."""
    update_endpoint: str | None = None
    """SPARQL 1.1 Update endpoint of a remote store (default: the query endpoint's ``/update``)."""
    graph_store_endpoint: str | None = None
    """Graph Store Protocol endpoint of a remote store (default: the query endpoint's /store)."""
    data_dir: Path = field(default_factory=lambda: _project_root() / "data")
    ontology_dir: Path = field(default_factory=lambda: _project_root() / "ontology")
    queries_dir: Path = field(default_factory=lambda: _project_root() / "queries")
    sources_dir: Path = field(default_factory=lambda: _project_root().parent / "shared" / "sources")
    """The sources' plain texts (kept outside the repository), for the verbatim checks of
    quotes; a sheet whose text is not there is loaded without the check, and says so."""
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = field(default_factory=default_workers)
    """Query worker processes. Each opens the store read-only and can be killed on a timeout."""
    query_timeout: float = 30.0
    """Seconds a query may run before it is stopped and answered with 504."""
    max_query_length: int = 100_000
    """Characters in one query; longer ones get 413."""
    max_body_bytes: int = 1_000_000
    """Bytes in one request body; larger ones get 413."""
    max_nesting_depth: int = 100
    """How deep a query may nest: brackets, operators, paths and the patterns joined in one group
    all count (see hubgraph.query.guard). Deeper queries overflow the SPARQL engine's stack."""
    query_base_iri: str = ""
    """The IRI relative IRIs in queries resolve against; empty: ``http://{host}:{port}/sparql``.
    Set it to the endpoint's public URL when it is served behind a proxy."""
    page_size: int = 1000
    """Rows a canned query returns when no ``limit`` is given."""
    max_page_size: int = 10_000
    """The most rows one canned-query page may hold."""
    service_allowlist: tuple[str, ...] = (WIKIDATA_SPARQL,)
    """Endpoints a query may call with ``SERVICE``; others are refused before any connection."""
    cors_origins: tuple[str, ...] = ("*",)
    write_token: str | None = None
    """Bearer token for ``POST /graphs``; without one there is no write endpoint."""
    public_base_url: str | None = None
    """The address the service is reached at (``https://example.org/hubgraph/``). When set,
    links in responses and the service description are built from it, never from the
    request's ``Host`` header, which a client (or a misconfigured proxy) can forge."""
    load_on_start: bool = False
    """Reload ``data/`` when the server starts even if the store already holds graphs."""
    query_memory_mb: int = 1024
    """Resident memory one query worker may reach (MiB); past it the query is stopped (507).
    0: no cap."""
    queue_timeout: float = 10.0
    """Seconds a query may wait for a free worker; then 503 with Retry-After. Run time counts
    only from when a worker takes the query."""
    client_queries: int = 0
    """Queries one client address may have running at once (more wait their turn, up to the
    queue timeout). 0: one fewer than the workers (at least 1), so no one client holds them all."""
    trusted_proxy_header: str | None = None
    """A header naming the client address (e.g. ``X-Forwarded-For``), set by a reverse proxy
    in front of hubgraph; its last value is used. Off by default: the peer address counts."""
    seal_workers: bool = True
    """Run queries that name no allow-listed SERVICE in workers cut off from the network."""
    service_workers: int = 1
    """Worker processes for queries with allow-listed SERVICE calls (they are not sealed)."""
    service_timeout: float = 10.0
    """Seconds the SERVICE forwarder waits for an allow-listed endpoint's whole answer."""
    service_max_bytes: int = 10_000_000
    """The largest answer the SERVICE forwarder passes on from an endpoint."""
    contact_url: str = "https://w3id.org/hubgraph"
    """Where the operators of this server can be reached; sent in SERVICE calls' User-Agent."""
    header_timeout: float = 10.0
    """Seconds a client has to send a request's line and headers once it has started."""
    body_timeout: float = 30.0
    """Seconds a client has to send a request's body once its headers are in."""
    max_headers: int = 100
    """Header fields in one request; more get 431."""
    max_header_bytes: int = 32_768
    """Bytes of header fields in one request; more get 431."""
    max_request_line: int = 65_536
    """Bytes in a request's target (path and query string); longer get 414: POST long queries."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(f"HUBGRAPH_{f.name.upper()}")
            if raw is not None:
                values[f.name] = _convert(f.name, str(f.type), raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    @property
    def client_query_limit(self) -> int:
        return self.client_queries if self.client_queries > 0 else max(1, self.workers - 1)

    @property
    def is_remote(self) -> bool:
        return self.store.startswith(("http://", "https://"))

    @property
    def is_memory(self) -> bool:
        return self.store == "memory"


def _convert(name: str, type_name: str, raw: str) -> Any:
    try:
        if type_name.startswith("tuple"):
            return tuple(item.strip() for item in raw.split(",") if item.strip())
        if type_name == "int":
            return int(raw)
        if type_name == "float":
            return float(raw)
        if type_name == "bool":
            if raw.lower() not in {"1", "0", "true", "false", "yes", "no"}:
                raise ValueError(raw)
            return raw.lower() in {"1", "true", "yes"}
        if type_name == "Path":
            return Path(raw)
        return raw or None if "None" in type_name else raw
    except ValueError:
        raise ConfigError(f"HUBGRAPH_{name.upper()}={raw!r} is not a valid {type_name}") from None
