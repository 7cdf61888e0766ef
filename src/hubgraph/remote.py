"""A remote SPARQL 1.1 store (Oxigraph server, Fuseki, Virtuoso, GraphDB, QLever …) behind
the same narrow interface as the embedded one.

Queries go to the query endpoint, loads to the update endpoint (one SPARQL Update request per
load, which such stores run as one transaction) or, for large sources, to the Graph Store
Protocol endpoint. Every request carries the query timeout, so a silent store cannot hang us.

Stores differ, and callers never see it: what differs is handled here. Virtuoso (recognised by
its ``Server`` header) answers ASK as a one-row SELECT of ``__ASK_RETVAL``, names blank nodes
``nodeID://…``, writes TSV and CSV its own way, refuses N-Quads, and adds a query's own FROM to
the protocol's ``default-graph-uri`` instead of letting the protocol override it. So from
Virtuoso hubgraph asks for SPARQL JSON or N-Triples only, repairs them, and serializes the answer
itself in the format the client asked for; and it drops the query's own dataset clauses when the
protocol names a dataset.
"""

from __future__ import annotations

import io
import json
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import IO, Any

import httpx
import pyoxigraph as ox

from hubgraph import errors
from hubgraph.executor import (
    CHUNK_BYTES,
    Job,
    Rows,
    ThreadedAsync,
    collect_rows,
    page_rows,
    serialize,
)
from hubgraph.formats import GRAPH_FORMATS, RESULT_FORMATS
from hubgraph.query.guard import iri_value, resolve_iri, tokens, undeclared_prefixes
from hubgraph.query.syntax_errors import from_remote
from hubgraph.store import (
    QueryResult,
    graph_names,
    rdf_format,
    replacement_update,
)

DEFAULT_TIMEOUT = 30.0
TRANSCODED_ACCEPT = "application/sparql-results+json, application/n-triples;q=0.9"
"""What hubgraph asks for when it serializes the answer itself."""
TRANSCODED_GRAPH_ACCEPT = "application/n-triples, application/sparql-results+json;q=0.9"
"""The same for a CONSTRUCT or DESCRIBE (Virtuoso sends SPARQL JSON rows if JSON comes first)."""
GRAPH_ENGINE_NAMES = frozenset(f.engine_name for f in GRAPH_FORMATS)

TRANSACTION_LIMIT = 100_000
"""Sources up to this many quads load in one SPARQL update; larger ones graph by graph. (An
on-disk store always loads in bulk, behind its journal: see hubgraph.store.)"""


def sibling_endpoint(query_endpoint: str, name: str) -> str:
    """``…/query`` or ``…/sparql`` → ``…/{name}``: where Oxigraph and Fuseki put the others."""
    return re.sub(r"/(query|sparql)/?$", f"/{name}", query_endpoint.rstrip("/"))


VIRTUOSO_ASK = "__ASK_RETVAL"
_INVALID_BNODE_CHARS = re.compile(r"[^A-Za-z0-9_]")


def repair_virtuoso_results(body: bytes) -> bytes:
    """Virtuoso's SPARQL JSON as the standard says it: ASK as a boolean, blank node labels that
    parse (``nodeID://b10006`` → ``b10006``)."""
    if b"bnode" not in body and VIRTUOSO_ASK.encode() not in body:
        return body  # nothing to repair: spare a large answer the round trip through Python
    results = json.loads(body)
    variables = results.get("head", {}).get("vars", [])
    bindings = results.get("results", {}).get("bindings", [])
    if variables == [VIRTUOSO_ASK]:
        value = bindings[0][VIRTUOSO_ASK]["value"] if bindings else "0"
        return json.dumps({"head": {}, "boolean": value in {"1", "true"}}).encode()
    for binding in bindings:
        for term in binding.values():
            if term.get("type") == "bnode":
                label = term["value"].removeprefix("nodeID://").removeprefix("_:")
                term["value"] = _INVALID_BNODE_CHARS.sub("_", label) or "b"
    return json.dumps(results).encode()


def without_dataset_clauses(query: str) -> str:
    """``query`` with its own FROM and FROM NAMED clauses blanked out (same length, so error
    positions stay right): for stores that would otherwise merge them with the protocol's."""
    text = list(query)
    toks = list(tokens(query))
    depth = 0
    for i, tok in enumerate(toks):
        if tok.kind == "punct" and tok.text in "{([":
            depth += 1
        elif tok.kind == "punct" and tok.text in "})]":
            depth -= 1
        elif depth == 0 and tok.kind == "word" and tok.text.upper() == "FROM":
            clause = toks[i : i + 3]
            if len(clause) > 1 and clause[1].kind == "word" and clause[1].text.upper() == "NAMED":
                clause = clause[:3]
            else:
                clause = clause[:2]
            end = clause[-1].end
            for j in range(tok.start, end):
                if text[j] not in "\r\n":
                    text[j] = " "
    return "".join(text)


_IRIREF_UNSAFE = re.compile(r'[<>"{}|^`\\\x00-\x20]')


def absolute_iris(query: str, base_iri: str | None) -> str:
    """``query`` with every relative IRI written out against the base in force where it stands
    (``base_iri``, then each BASE in turn), for stores that resolve IRIs against no base and take
    one BASE at most (Virtuoso)."""
    base = base_iri
    out: list[str] = []
    last = 0
    toks = tokens(query, base_iri)
    for i, tok in enumerate(toks):
        if tok.kind != "iri":
            continue
        body = iri_value(tok)
        resolved = resolve_iri(body, base)
        after_base = i > 0 and toks[i - 1].kind == "word" and toks[i - 1].text.upper() == "BASE"
        if after_base and resolved is not None:
            base = resolved
        if resolved is None or resolved == body or _IRIREF_UNSAFE.search(resolved):
            continue
        out += [query[last : tok.start], f"<{resolved}>"]
        last = tok.end
    return "".join(out) + query[last:]


_PN_LOCAL_ESC = re.compile(r"\\(.)")


def expanded_escaped_names(query: str, prefixes: Mapping[str, str]) -> str:
    """``query`` with each prefixed name that uses a ``\\`` escape (``ex:a\\~b``) written as
    the full IRI, for stores that do not read those escapes (Virtuoso)."""
    known = dict(prefixes)
    out: list[str] = []
    last = 0
    toks = tokens(query)
    for i, tok in enumerate(toks):
        if tok.kind != "pname":
            continue
        prefix, _, local = tok.text.partition(":")
        declaring = i > 0 and toks[i - 1].kind == "word" and toks[i - 1].text.upper() == "PREFIX"
        if declaring and i + 1 < len(toks) and toks[i + 1].kind == "iri":
            known[prefix] = iri_value(toks[i + 1])
        elif "\\" in local and prefix in known:
            iri = known[prefix] + _PN_LOCAL_ESC.sub(r"\1", local)
            if not _IRIREF_UNSAFE.search(iri):
                out += [query[last : tok.start], f"<{iri}>"]
                last = tok.end
    return "".join(out) + query[last:]


def _with_prefixes(query: str, prefixes: Mapping[str, str], base_iri: str | None = None) -> str:
    """Remote stores know nothing of hubgraph's default prefixes: declare the ones the query
    uses without declaring, on its first line, so the store's error positions keep their lines.
    The base IRI goes first, so relative IRIs resolve as the guard resolved them."""
    missing = undeclared_prefixes(query, prefixes)
    head = [f"BASE <{base_iri}>"] if base_iri else []
    head += [f"PREFIX {p}: <{iri}>" for p, iri in missing.items()]
    return " ".join(head) + " " + query if head else query


WRITE_TIMEOUT = httpx.Timeout(300.0, connect=10.0)
"""A load is not a query: Virtuoso takes tens of seconds over a few thousand quads of a busy
machine, far past the query timeout. Still bounded, so a silent store cannot hang a load."""


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
        self._graph_store_configured = graph_store_endpoint is not None
        self.timeout = timeout
        self.union_parameter = union_parameter
        self._http = httpx.Client(timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)))
        self._virtuoso: bool | None = None

    @property
    def is_virtuoso(self) -> bool:
        """Whether the store is Virtuoso, from its ``Server`` header (asked once)."""
        if self._virtuoso is None:
            try:
                response = self._http.get(self.query_endpoint, params={"query": "ASK {}"})
                server = response.headers.get("server", "")
            except httpx.HTTPError:
                return False  # unknown for now: ask again next time
            self._virtuoso = server.lower().startswith("virtuoso")
        return self._virtuoso

    @property
    def kind(self) -> str:
        """``virtuoso`` or ``remote`` (asked as :attr:`is_virtuoso` asks: while the store does
        not answer it is ``remote``, and asked again next time)."""
        return "virtuoso" if self.is_virtuoso else "remote"

    @property
    def kind_known(self) -> bool:
        """Whether :attr:`kind` answers without asking the store."""
        return self._virtuoso is not None

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

    def _as_sent(self, job: Job) -> tuple[str, str | None]:
        """The query text to send, and the base IRI to declare before it."""
        query = job.query
        if not self.is_virtuoso:
            return query, job.base_iri
        # Virtuoso resolves no relative IRI (not even with BASE), takes one BASE at most and
        # reads no escape in a prefixed name: send every IRI absolute and those names in full.
        query = expanded_escaped_names(absolute_iris(query, job.base_iri), job.prefixes)
        if job.default_graph is not None or job.named_graphs is not None:
            query = without_dataset_clauses(query)  # the protocol's dataset overrides FROM
        return query, None

    def open_query(self, job: Job, accept: str, timeout: float) -> httpx.Response:
        """POST the query and return the streaming response, or raise the store's error."""
        query, base_iri = self._as_sent(job)
        request = self._http.build_request(
            "POST",
            self.query_endpoint,
            params=self._params(job.union, job.default_graph, job.named_graphs),
            # The URL-encoded form, which every SPARQL 1.1 store takes: Virtuoso 7.2 does not
            # answer a direct POST (Content-Type application/sparql-query).
            data={"query": _with_prefixes(query, job.prefixes, base_iri)},
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
        return self.fetch(job, TRANSCODED_ACCEPT, timeout or self.timeout)

    def fetch(self, job: Job, accept: str, timeout: float) -> QueryResult:
        """Run ``job``, asking for SPARQL JSON or N-Triples as ``accept`` prefers, and read the
        whole answer as pyoxigraph results."""
        response = self.open_query(job, accept, timeout)
        try:
            body = response.read()
        except httpx.TimeoutException:
            raise errors.QueryTimeout(
                "the remote store did not finish within the timeout"
            ) from None
        finally:
            response.close()
        return self.parse_answer(body, response.headers.get("content-type", ""))

    def parse_answer(self, body: bytes, content_type: str) -> QueryResult:
        """The store's answer, asked for as SPARQL JSON or N-Triples, as pyoxigraph results."""
        kind = content_type.split(";")[0].strip()
        if kind == "application/n-triples":
            # No QueryTriples can be built by hand: give the triples through an in-memory store.
            memory = ox.Store()
            memory.load(body, ox.RdfFormat.N_TRIPLES)
            return memory.query("CONSTRUCT WHERE { ?s ?p ?o }")  # type: ignore[no-any-return]
        if self.is_virtuoso:
            body = repair_virtuoso_results(body)
        return ox.parse_query_results(body, ox.QueryResultsFormat.JSON)  # type: ignore[no-any-return]

    # -- writes --------------------------------------------------------------------------
    def _update(self, text: str) -> None:
        try:
            response = self._http.post(
                self.update_endpoint,
                content=text.encode(),
                headers={"Content-Type": "application/sparql-update"},
                timeout=WRITE_TIMEOUT,
            )
        except httpx.HTTPError as exc:
            raise errors.QueryFailed(f"cannot reach the remote update endpoint: {exc}") from None
        if response.status_code >= 400:
            raise errors.QueryFailed(
                f"the remote store refused the update ({response.status_code}): "
                f"{response.text[:500]}"
            )

    def replace_graphs(
        self, datasets: Sequence[ox.Store], *, verify: Callable[[], None] | None = None
    ) -> None:
        if verify is not None:
            verify()  # a remote store's graphs cannot be rolled back: checked before writing
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
                timeout=WRITE_TIMEOUT,
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

    @property
    def graph_store_reader(self) -> str:
        """Where graphs are read from: the configured Graph Store endpoint, else where the store
        keeps it (Virtuoso: ``/sparql-graph-crud``, which reads without a login)."""
        if not self._graph_store_configured and self.is_virtuoso:
            return sibling_endpoint(self.query_endpoint, "sparql-graph-crud")
        return self.graph_store_endpoint

    def dump(self, output: IO[bytes], format_name: str, graph: str | None = None) -> None:
        fmt = rdf_format(format_name)
        memory = ox.Store()
        for g in [graph] if graph else self.graphs():
            response = self._http.get(
                self.graph_store_reader,
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
        if self.store.is_virtuoso:
            return iter([self._transcoded(job, timeout)])
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

    def _transcoded(self, job: Job, timeout: float) -> bytes:
        """The whole answer, fetched in a form hubgraph can repair and serialized by hubgraph
        (for stores whose own serializations are not the standard ones)."""
        graph = job.output in GRAPH_ENGINE_NAMES
        result = self.store.fetch(
            job, TRANSCODED_GRAPH_ACCEPT if graph else TRANSCODED_ACCEPT, timeout
        )
        output = io.BytesIO()
        try:
            serialize(result, job.output, output)
        except ValueError as exc:
            raise errors.QueryFailed(f"the query failed: {exc}") from None
        return output.getvalue()

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
        return page_rows(result, job)

    def close(self) -> None:
        self.store.close()
