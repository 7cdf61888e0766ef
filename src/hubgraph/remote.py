"""A remote SPARQL 1.1 store (Oxigraph server, Fuseki, Virtuoso, GraphDB, QLever …) behind
the same narrow interface as the embedded one.

Queries go to the query endpoint, loads to the update endpoint (one SPARQL Update request per
load, which such stores run as one transaction) or, for large sources, to the Graph Store
Protocol endpoint. Every request carries the query timeout, so a silent store cannot hang us.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import IO, Any

import httpx
import pyoxigraph as ox

from hubgraph import errors
from hubgraph.executor import CHUNK_BYTES, Job, Rows, ThreadedAsync, collect_rows
from hubgraph.formats import GRAPH_FORMATS, RESULT_FORMATS
from hubgraph.query.guard import undeclared_prefixes
from hubgraph.query.syntax_errors import from_remote
from hubgraph.store import (
    TRANSACTION_LIMIT,
    QueryResult,
    graph_names,
    rdf_format,
    replacement_update,
)

DEFAULT_TIMEOUT = 30.0


def sibling_endpoint(query_endpoint: str, name: str) -> str:
    """``…/query`` or ``…/sparql`` → ``…/{name}``: where Oxigraph and Fuseki put the others."""
    return re.sub(r"/(query|sparql)/?$", f"/{name}", query_endpoint.rstrip("/"))


def _with_prefixes(query: str, prefixes: Mapping[str, str], base_iri: str | None = None) -> str:
    """Remote stores know nothing of hubgraph's default prefixes: declare the ones the query
    uses without declaring, on its first line, so the store's error positions keep their lines.
    The base IRI goes first, so relative IRIs resolve as the guard resolved them."""
    missing = undeclared_prefixes(query, prefixes)
    head = [f"BASE <{base_iri}>"] if base_iri else []
    head += [f"PREFIX {p}: <{iri}>" for p, iri in missing.items()]
    return " ".join(head) + " " + query if head else query


class RemoteStore:
    def __init__(
        self,
        query_endpoint: str,
        *,
        update_endpoint: str | None = None,
        graph_store_endpoint: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        union_parameter: bool = True,
    ) -> None:
        self.location = query_endpoint
        self.query_endpoint = query_endpoint
        self.update_endpoint = update_endpoint or sibling_endpoint(query_endpoint, "update")
        self.graph_store_endpoint = graph_store_endpoint or sibling_endpoint(
            query_endpoint, "store"
        )
        self.timeout = timeout
        self.union_parameter = union_parameter
        self._http = httpx.Client(timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)))

    # -- queries -------------------------------------------------------------------------
    def _params(
        self, union: bool, default_graph: list[str] | None, named_graphs: list[str] | None
    ) -> list[tuple[str, str | int | float | bool | None]]:
        if default_graph is not None or named_graphs is not None:
            params: list[tuple[str, str | int | float | bool | None]] = [
                ("default-graph-uri", g) for g in default_graph or []
            ]
            return params + [("named-graph-uri", g) for g in named_graphs or []]
        # Oxigraph's server reads this to make the default graph the union of all graphs;
        # others ignore it and must be configured so (see the README).
        return [("union-default-graph", "")] if union and self.union_parameter else []

    def open_query(self, job: Job, accept: str, timeout: float) -> httpx.Response:
        """POST the query and return the streaming response, or raise the store's error."""
        request = self._http.build_request(
            "POST",
            self.query_endpoint,
            params=self._params(job.union, job.default_graph, job.named_graphs),
            # The URL-encoded form, which every SPARQL 1.1 store takes: Virtuoso 7.2 does not
            # answer a direct POST (Content-Type application/sparql-query).
            data={"query": _with_prefixes(job.query, job.prefixes, job.base_iri)},
            headers={"Accept": accept},
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        )
        try:
            response = self._http.send(request, stream=True)
        except httpx.TimeoutException:
            raise errors.QueryTimeout(
                f"the remote store did not answer within {timeout:g} s"
            ) from None
        except httpx.HTTPError as exc:
            raise errors.QueryFailed(f"cannot reach the remote store: {exc}") from None
        if response.status_code >= 400:
            body = response.read().decode("utf-8", "replace")[:500]
            response.close()
            if response.status_code == 400:
                raise from_remote(body, job.query, job.prefixes)
            raise errors.QueryFailed(f"the remote store answered {response.status_code}: {body}")
        return response

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
        job = Job(
            sparql, union, default_graph, named_graphs, dict(prefixes or {}), base_iri=base_iri
        )
        accept = "application/sparql-results+json, application/n-triples;q=0.9"
        response = self.open_query(job, accept, timeout or self.timeout)
        try:
            body = response.read()
        except httpx.TimeoutException:
            raise errors.QueryTimeout(
                "the remote store did not finish within the timeout"
            ) from None
        finally:
            response.close()
        kind = response.headers.get("content-type", "").split(";")[0].strip()
        if kind == "application/n-triples":
            # No QueryTriples can be built by hand: give the triples through an in-memory store.
            memory = ox.Store()
            memory.load(body, ox.RdfFormat.N_TRIPLES)
            return memory.query("CONSTRUCT WHERE { ?s ?p ?o }")  # type: ignore[no-any-return]
        return ox.parse_query_results(body, ox.QueryResultsFormat.JSON)  # type: ignore[no-any-return]

    # -- writes --------------------------------------------------------------------------
    def _update(self, text: str) -> None:
        try:
            response = self._http.post(
                self.update_endpoint,
                content=text.encode(),
                headers={"Content-Type": "application/sparql-update"},
            )
        except httpx.HTTPError as exc:
            raise errors.QueryFailed(f"cannot reach the remote update endpoint: {exc}") from None
        if response.status_code >= 400:
            raise errors.QueryFailed(
                f"the remote store refused the update ({response.status_code}): "
                f"{response.text[:500]}"
            )

    def replace_graphs(self, datasets: Sequence[ox.Store]) -> None:
        graphs = [(d, g) for d in datasets for g in graph_names(d)]
        if sum(len(d) for d in datasets) <= TRANSACTION_LIMIT:
            self._update(replacement_update(graphs))
            return
        for dataset, g in graphs:
            body = io.BytesIO()
            dataset.dump(body, ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(g))
            response = self._http.put(
                self.graph_store_endpoint,
                params={"graph": g},
                content=body.getvalue(),
                headers={"Content-Type": "application/n-triples"},
                timeout=None,
            )
            if response.status_code >= 400:
                raise errors.QueryFailed(
                    f"the remote store refused graph <{g}> ({response.status_code}): "
                    f"{response.text[:500]}"
                )

    # -- about the data ------------------------------------------------------------------
    def _select(self, sparql: str) -> list[tuple[Any, ...]]:
        return collect_rows(self.query(sparql, union=False), 0, None).rows

    def graphs(self) -> list[str]:
        rows = self._select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g")
        return [g.value for (g,) in rows]

    def count(self, graph: str | None = None) -> int:
        pattern = f"GRAPH <{graph}> {{ ?s ?p ?o }}" if graph else "GRAPH ?g { ?s ?p ?o }"
        rows = self._select(f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}")
        return int(rows[0][0].value)

    def dump(self, output: IO[bytes], format_name: str, graph: str | None = None) -> None:
        fmt = rdf_format(format_name)
        memory = ox.Store()
        for g in [graph] if graph else self.graphs():
            response = self._http.get(
                self.graph_store_endpoint,
                params={"graph": g},
                headers={"Accept": "application/n-triples"},
                timeout=None,
            )
            response.raise_for_status()
            memory.load(response.content, ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(g))
        memory.dump(output, fmt, from_graph=ox.NamedNode(graph) if graph else None)

    def close(self) -> None:
        self._http.close()


class RemoteExecutor(ThreadedAsync):
    """Runs queries on a remote store: results stream straight through from the store, and
    the query timeout is the HTTP timeout, plus an overall deadline while streaming."""

    def __init__(self, store: RemoteStore) -> None:
        self.store = store

    def stream(self, job: Job, timeout: float) -> Iterator[bytes]:
        formats = {f.engine_name: f.media_type for f in RESULT_FORMATS + GRAPH_FORMATS}
        deadline = time.monotonic() + timeout
        response = self.store.open_query(job, formats[job.output], timeout)
        chunks = response.iter_bytes()
        # Stores send the result's head at once, before they have computed anything; like the
        # embedded workers, hold back the first CHUNK_BYTES so that a query that never gets
        # that far still ends in a proper timeout error instead of a truncated 200.
        first = bytearray()
        try:
            for chunk in chunks:
                first += chunk
                if len(first) >= CHUNK_BYTES:
                    break
                if time.monotonic() > deadline:
                    raise httpx.ReadTimeout("deadline")
            else:
                response.close()
                return iter([bytes(first)] if first else [])
        except httpx.TimeoutException:
            response.close()
            raise errors.QueryTimeout(
                f"the query ran longer than {timeout:g} s and was stopped"
            ) from None
        except httpx.HTTPError as exc:
            response.close()
            raise errors.QueryFailed(f"the remote store broke off: {exc}") from None
        return self._rest(response, bytes(first), chunks, deadline)

    @staticmethod
    def _rest(
        response: httpx.Response, first: bytes, chunks: Iterator[bytes], deadline: float
    ) -> Iterator[bytes]:
        try:
            yield first
            for chunk in chunks:
                if time.monotonic() > deadline:
                    raise errors.QueryTimeout("the query ran past the timeout and was stopped")
                yield chunk
        except httpx.HTTPError as exc:
            raise errors.QueryFailed(f"the remote store broke off: {exc}") from None
        finally:
            response.close()

    def rows(self, job: Job, timeout: float) -> Rows:
        result = self.store.query(
            job.query,
            union=job.union,
            default_graph=job.default_graph,
            named_graphs=job.named_graphs,
            prefixes=job.prefixes,
            timeout=timeout,
        )
        return collect_rows(result, job.offset, job.limit)

    def close(self) -> None:
        self.store.close()
