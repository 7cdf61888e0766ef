"""The query service: everything hubgraph answers, with no knowledge of HTTP.

It checks SPARQL before the engine sees it, picks result formats, binds canned-query
parameters, pages, and looks up entities. The HTTP layer and the CLI only translate.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pyoxigraph as ox
from starlette.concurrency import run_in_threadpool

from hubgraph.config import WIKIDATA_SPARQL, Settings
from hubgraph.errors import NotFound, ParameterError, PayloadTooLarge
from hubgraph.executor import Executor, Job, Rows
from hubgraph.formats import GRAPH_FORMATS, RESULT_FORMATS, Format, choose
from hubgraph.queries import CannedQuery, QueryRegistry, bind, bind_values, entity_id, parse_qid
from hubgraph.query.guard import QueryInfo, ServiceCall, check_query
from hubgraph.query.shapes import Shortcut
from hubgraph.store import GraphStore, Term
from hubgraph.terms import plain_value, records
from hubgraph.vocabulary import ID, PREFIXES, WIKIDATA_ENTITY, compact

SKOS = "http://www.w3.org/2004/02/skos/core#"
SOURCE_DETAILS = """SELECT ?source ?title ?url ?publisher ?publisherLabel ?issued
                         ?label ?titleNote ?urlNote WHERE {
  OPTIONAL { ?source dcterms:title ?title }
  OPTIONAL { ?source schema:url ?url }
  OPTIONAL { ?source rdfs:label ?label }
  OPTIONAL { ?source hg:titleNote ?titleNote }
  OPTIONAL { ?source hg:urlNote ?urlNote }
  OPTIONAL { ?source dcterms:publisher ?publisher
             OPTIONAL { ?publisher rdfs:label ?publisherLabel
                        FILTER(LANGMATCHES(LANG(?publisherLabel), 'en')
                               || LANG(?publisherLabel) = '') } }
  OPTIONAL { ?source dcterms:issued ?issued }
} ORDER BY ?source ?title ?url"""
QUOTE_SPEAKERS = """SELECT ?source ?text ?speaker ?speakerLabel WHERE {
  ?quote a hg:Quote ; hg:inSource ?source ; hg:text ?text ; hg:speaker ?speaker .
  OPTIONAL { ?speaker rdfs:label ?speakerLabel
             FILTER(LANGMATCHES(LANG(?speakerLabel), 'en') || LANG(?speakerLabel) = '') }
} ORDER BY ?source ?text ?speaker"""
NO_PREFIXES: dict[str, str] = {}
"""One object, so that the workers are sent it once (see hubgraph.worker.encode_job)."""
INLINE_CHECK_CHARS = 4096
"""Queries up to this long are checked on the event loop; longer ones in a thread, so that
scanning 100 KB never holds up the requests around it."""


@dataclass(frozen=True)
class Streamed:
    format: Format
    chunks: Iterator[bytes]


@dataclass(frozen=True)
class AsyncStreamed:
    format: Format
    chunks: bytes | AsyncIterator[bytes]
    """The whole result when it came in one piece, else its chunks as they come."""


@dataclass(frozen=True)
class Page:
    """One page of a canned query's rows."""

    query: CannedQuery
    variables: list[str]
    rows: list[tuple[Term | None, ...]]
    offset: int
    limit: int
    truncated: bool
    """True when more rows follow this page."""
    encoded: bytes | None = None
    """The rows already rendered (JSON records or CSV, as asked), when ``rows`` is empty."""
    count: int = 0
    """How many rows the page holds."""

    @classmethod
    def of(cls, query: CannedQuery, job: Job, result: Rows) -> Page:
        count = result.count if result.encoded is not None else len(result.rows)
        return cls(
            query, result.variables, result.rows, job.offset, job.limit or 0, result.more,
            result.encoded, count,
        )  # fmt: skip


class QueryService:
    def __init__(
        self, settings: Settings, store: GraphStore, executor: Executor, registry: QueryRegistry
    ) -> None:
        self.settings = settings
        self.store = store
        self.executor = executor
        self.registry = registry
        self._concepts = lru_cache(maxsize=64)(self._concept_choices)
        # Tools and dashboards send the same queries again and again: scan each text once.
        self._scan = lru_cache(maxsize=1024)(self._scan_uncached)
        # Point lookups vary in their IRI only and would miss that cache every time (and push
        # the repeated queries out of it): their shape has one verdict, computed once.
        self._shapes = Shortcut(self._scan_uncached)
        self.base_iri = settings.query_base_iri or f"http://{settings.host}:{settings.port}/sparql"
        """What relative IRIs resolve against, in the guard and in the engine alike."""

    # -- SPARQL --------------------------------------------------------------------------
    def check(self, text: str) -> QueryInfo:
        if len(text) > self.settings.max_query_length:
            raise PayloadTooLarge(
                f"the query is {len(text)} characters long; at most "
                f"{self.settings.max_query_length} are allowed"
            )
        # Text the guard can read but not classify goes to a worker like any query: the engine
        # parses user text only there, and reports its syntax error from there.
        return self._shapes.verdict(text) or self._scan(text)

    def _scan_uncached(self, text: str) -> QueryInfo:
        return check_query(
            text,
            max_depth=self.settings.max_nesting_depth,
            service_allowlist=self.settings.service_allowlist,
            prefixes=PREFIXES,
            base_iri=self.base_iri,
        )

    def job(
        self,
        text: str,
        info: QueryInfo,
        *,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
        output: str = "",
    ) -> Job:
        names_dataset = bool(default_graphs or named_graphs)
        return Job(
            query=text,
            # A query's own FROM, or the protocol's graph URIs, define the dataset; otherwise
            # the default graph is the union of every source and the ontology.
            union=not (names_dataset or info.names_dataset),
            default_graph=list(default_graphs) if names_dataset else None,
            named_graphs=list(named_graphs) if names_dataset else None,
            # The engine reads a prefix map of 15 entries for every query that gets one (some
            # 10 µs, a tenth of a point lookup): a text without prefixed names goes without.
            prefixes=PREFIXES if info.prefixed_names else NO_PREFIXES,
            output=output,
            # The guard's allow-listed SERVICE calls: such a query runs where the forwarder is.
            service_calls=tuple(getattr(info, "service_calls", ())),
            base_iri=self.base_iri,
        )

    def choose_format(
        self, info: QueryInfo, accept: str | None, name: str | Sequence[str] | None
    ) -> Format:
        return choose(name, accept, GRAPH_FORMATS if info.returns_graph else RESULT_FORMATS)

    def prepare_sparql(
        self,
        text: str,
        *,
        accept: str | None = None,
        format_name: str | Sequence[str] | None = None,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
    ) -> tuple[Format, Job]:
        """Check a query and choose its output format, before anything runs."""
        info = self.check(text)
        fmt = self.choose_format(info, accept, format_name)
        job = self.job(
            text, info, default_graphs=default_graphs, named_graphs=named_graphs,
            output=fmt.engine_name,
        )  # fmt: skip
        return fmt, job

    def sparql(self, text: str, **options: Any) -> Streamed:
        fmt, job = self.prepare_sparql(text, **options)
        return Streamed(fmt, self.executor.stream(job, self.settings.query_timeout))

    async def asparql(self, text: str, **options: Any) -> AsyncStreamed:
        if len(text) > INLINE_CHECK_CHARS:
            fmt, job = await run_in_threadpool(self.prepare_sparql, text, **options)
        else:
            fmt, job = self.prepare_sparql(text, **options)
        return AsyncStreamed(fmt, await self.executor.astream(job, self.settings.query_timeout))

    def select(self, text: str) -> Rows:
        """Every row of a query (for the service's own small queries and the CLI)."""
        return self.executor.rows(self.job(text, self.check(text)), self.settings.query_timeout)

    # -- canned queries ------------------------------------------------------------------
    def prepare_canned(
        self,
        name: str,
        params: Mapping[str, Sequence[str]],
        *,
        limit: int | None = None,
        offset: int = 0,
        render: str = "",
    ) -> tuple[CannedQuery, Job]:
        """Check and bind a canned query's parameters (entity parameters are looked up in
        the graph, so this may run queries of its own). ``render`` asks for the page rendered
        where it runs (see :attr:`Job.render`) instead of as terms."""
        query = self.registry.get(name)
        size = self.settings.page_size if limit is None else limit
        if not 1 <= size <= self.settings.max_page_size:
            raise ParameterError(
                f"limit must be between 1 and {self.settings.max_page_size}, not {size}", "limit"
            )
        if offset < 0:
            raise ParameterError(f"offset must be 0 or more, not {offset}", "offset")
        # Some stores get a text of their own (queries/virtuoso/): same rows, another plan.
        runs = query.for_store(self.store.kind)
        bound = bind(runs, params, self.resolve_entity, self._concepts)
        text, calls = self._federated(bound.text)
        job = Job(
            query=text, prefixes=PREFIXES, offset=offset, limit=size, base_iri=self.base_iri,
            service_calls=calls, render=render,
        )  # fmt: skip
        return query, job

    def _federated(self, text: str) -> tuple[str, tuple[ServiceCall, ...]]:
        """A canned query's text and its SERVICE calls. They take the path users' do — the
        guard's allow-list, then the forwarder — and those naming Wikidata go to the configured
        Wikidata endpoint."""
        if "SERVICE" not in text.upper():  # no call to find: spare the scan
            return text, ()
        # First find the calls naming Wikidata (wherever they are to go), then check the text
        # as it will be sent against the allow-list proper.
        found = check_query(
            text, max_depth=self.settings.max_nesting_depth,
            service_allowlist=(*self.settings.service_allowlist, WIKIDATA_SPARQL),
            prefixes=PREFIXES, base_iri=self.base_iri,
        )  # fmt: skip
        if WIKIDATA_SPARQL in found.services:
            from hubgraph.query.forwarder import retarget_services  # with its HTTP client: rare

            targets = {WIKIDATA_SPARQL: self.settings.wikidata_endpoint}
            text = retarget_services(text, found.service_calls, targets)
        return text, self.check(text).service_calls

    def canned(
        self,
        name: str,
        params: Mapping[str, Sequence[str]],
        *,
        limit: int | None = None,
        offset: int = 0,
    ) -> Page:
        query, job = self.prepare_canned(name, params, limit=limit, offset=offset)
        result = self.executor.rows(job, self.settings.query_timeout)
        return Page.of(query, job, result)

    async def acanned(
        self,
        name: str,
        params: Mapping[str, Sequence[str]],
        *,
        limit: int | None = None,
        offset: int = 0,
        render: str = "",
    ) -> Page:
        query = self.registry.get(name)
        needs_lookups = any(
            p.type in {"entity", "concept"} and params.get(p.name) for p in query.parameters
        )
        # Binding runs lookups of its own, and a remote store may be asked what it is: keep
        # them off the event loop.
        if needs_lookups or not self.store.kind_known:
            query, job = await run_in_threadpool(
                self.prepare_canned, name, params, limit=limit, offset=offset, render=render
            )
        else:
            query, job = self.prepare_canned(
                name, params, limit=limit, offset=offset, render=render
            )
        result = await self.executor.arows(job, self.settings.query_timeout)
        return Page.of(query, job, result)

    def resolve_entity(self, value: str) -> ox.NamedNode | None:
        """The hubgraph entity a QID, short id or IRI names, if the graph knows it."""
        qid = parse_qid(value)
        if qid is not None:
            rows = self._select_terms(
                "SELECT ?e WHERE { ?e owl:sameAs ?qid FILTER(isIRI(?e)) } ORDER BY ?e LIMIT 1",
                {"qid": ox.NamedNode(WIKIDATA_ENTITY + qid)},
            )
            return rows[0][0] if rows else None  # type: ignore[return-value]
        iri = entity_id(value)
        if iri is None:
            return None
        try:
            node = ox.NamedNode(iri)
        except ValueError:  # not a valid IRI, so not the name of anything in the graph
            return None
        known = self._select_terms("SELECT ?e WHERE { ?e ?p ?o } LIMIT 1", {"e": node})
        return node if known else None

    def _concept_choices(self, scheme: str) -> Mapping[str, str]:
        rows = self._select_terms(
            "SELECT ?c ?label WHERE { ?c skos:inScheme ?scheme "
            "OPTIONAL { ?c skos:prefLabel ?label } }",
            {"scheme": ox.NamedNode(scheme)},
        )
        choices: dict[str, str] = {}
        for concept, label in rows:
            iri = concept.value  # type: ignore[union-attr]
            choices[iri] = iri
            choices[re.split(r"[/#]", iri)[-1].lower()] = iri
            if label is not None:
                choices[label.value.lower()] = iri
        return choices

    def concepts(self, scheme: str) -> list[tuple[str, str, str]]:
        """(short name, IRI, label) of each concept of ``scheme``, for forms and docs."""
        rows = self._select_terms(
            "SELECT ?c ?label WHERE { ?c skos:inScheme ?scheme "
            "OPTIONAL { ?c skos:prefLabel ?label FILTER(LANGMATCHES(LANG(?label), 'en')) } } "
            "ORDER BY ?c",
            {"scheme": ox.NamedNode(scheme)},
        )
        return [
            (
                re.split(r"[/#]", c.value)[-1],  # type: ignore[union-attr]
                c.value,  # type: ignore[union-attr]
                label.value if label is not None else "",
            )
            for c, label in rows
        ]

    def _select_terms(
        self, text: str, substitutions: Mapping[str, ox.NamedNode | ox.Literal]
    ) -> list[tuple[ox.NamedNode | ox.Literal | None, ...]]:
        bound = bind_values(text, {k: [v] for k, v in substitutions.items()})
        job = Job(query=bound, prefixes=PREFIXES, base_iri=self.base_iri)
        return self.executor.rows(job, self.settings.query_timeout).rows  # type: ignore[return-value]

    # -- entities ------------------------------------------------------------------------
    def entity(self, value: str) -> dict[str, object]:
        """One entity as plain data: its IRI, QID, labels, types, every statement about it and
        pointing at it, and — for actors — the ``actor`` canned query's facts with their quotes."""
        node = self.resolve_entity(value)
        if node is None:
            raise NotFound(f"no entity {value!r} in the graph")
        facts = self._select_terms(
            "SELECT ?direction ?p ?o ?oLabel WHERE { "
            "{ ?e ?p ?o BIND('out' AS ?direction) } UNION { ?o ?p ?e BIND('in' AS ?direction) } "
            "OPTIONAL { ?o rdfs:label|skos:prefLabel ?oLabel "
            "FILTER(LANGMATCHES(LANG(?oLabel), 'en') || LANG(?oLabel) = '') } } "
            "ORDER BY ?direction ?p ?o",
            {"e": node},
        )
        properties: dict[str, list[dict[str, object]]] = {}
        referenced_by: dict[str, list[dict[str, object]]] = {}
        seen: set[tuple[str, str, str]] = set()
        for direction, p, o, label in facts:
            key = (str(direction), str(p), str(o))
            if key in seen:
                continue
            seen.add(key)
            target = properties if plain_value(direction) == "out" else referenced_by
            entry: dict[str, object] = {"value": plain_value(o)}
            if isinstance(o, ox.Literal) and o.language:
                entry["lang"] = o.language
            if label is not None:
                entry["label"] = plain_value(label)
            target.setdefault(compact(p.value), []).append(entry)  # type: ignore[union-attr]
        same_as = [str(v["value"]) for v in properties.get("owl:sameAs", [])]
        qids = [q for q in (parse_qid(s) for s in same_as) if q]
        labels = [v["value"] for v in properties.get("rdfs:label", [])]
        out: dict[str, object] = {
            "iri": node.value,
            "id": node.value.removeprefix(ID) if node.value.startswith(ID) else None,
            "label": labels[0] if labels else node.value.rsplit("/", 1)[-1],
            "qid": qids[0] if qids else None,
            "wikidata": f"https://www.wikidata.org/wiki/{qids[0]}" if qids else None,
            "types": [v["value"] for v in properties.get("rdf:type", [])],
            "properties": properties,
            "referencedBy": referenced_by,
        }
        if "actor" in self.registry.queries:
            page = self.canned("actor", {"actor": [node.value]}, limit=self.settings.max_page_size)
            out["facts"] = records(page.variables, page.rows)
            cited = {str(f["source"]) for f in out["facts"] if f.get("source")}  # type: ignore[attr-defined]
            out["sources"] = self.describe_sources(sorted(cited))
        return out

    def describe_sources(self, iris: Sequence[str]) -> dict[str, dict[str, object]]:
        """What a reader needs to weigh each source: its title, the original article
        (``schema:url``, where the graph has it), publisher, date, and who said each of its
        quotes (``quotes``: text → speaker and speakerLabel). A source without a title or URL
        (the copy at hand shows none) says why (``titleNote``, ``urlNote``), and every source
        has its ``label`` (publisher and date) to be named by."""
        nodes = [ox.NamedNode(iri) for iri in iris[: self.settings.max_page_size]]
        if not nodes:
            return {}
        details = self._select_values(SOURCE_DETAILS, {"source": nodes})
        out: dict[str, dict[str, object]] = {}
        for source, title, url, publisher, publisher_label, issued, *notes in details:
            entry = out.setdefault(str(plain_value(source)), {"quotes": {}})
            label, title_note, url_note = notes
            for key, term in (("title", title), ("url", url), ("publisher", publisher),
                              ("publisherLabel", publisher_label), ("issued", issued),
                              ("label", label), ("titleNote", title_note),
                              ("urlNote", url_note)):  # fmt: skip
                if term is not None and key not in entry:
                    entry[key] = plain_value(term)
        for source, text, speaker, speaker_label in self._select_values(
            QUOTE_SPEAKERS, {"source": nodes}
        ):
            quotes = out.setdefault(str(plain_value(source)), {"quotes": {}})["quotes"]
            quotes.setdefault(  # type: ignore[attr-defined]
                plain_value(text),
                {"speaker": plain_value(speaker), "speakerLabel": plain_value(speaker_label)},
            )
        return out

    def _select_values(
        self, text: str, values: Mapping[str, Sequence[ox.NamedNode | ox.Literal]]
    ) -> list[tuple[ox.NamedNode | ox.Literal | None, ...]]:
        job = Job(query=bind_values(text, values), prefixes=PREFIXES, base_iri=self.base_iri)
        return self.executor.rows(job, self.settings.query_timeout).rows  # type: ignore[return-value]

    def close(self) -> None:
        self.executor.close()
