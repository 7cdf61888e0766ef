"""``/sparql``: the query operation of the SPARQL 1.1 Protocol, read-only."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.types import Receive, Scope

from hubgraph.api.departures import unless_gone
from hubgraph.api.describe import service_description
from hubgraph.api.responses import in_thread, read_body, service_of, streaming
from hubgraph.errors import (
    BadRequest,
    MethodNotAllowed,
    UnsupportedMediaType,
    UpdateRefused,
)
from hubgraph.service import AsyncStreamed, QueryService

router = APIRouter()
URL_FIELDS = frozenset({"format", "default-graph-uri", "named-graph-uri", "update"})
READ_ONLY = "this endpoint is read-only: SPARQL updates are refused"
QUERY_DOC = (
    "SPARQL 1.1 Protocol query operation. Give the query as `query=` (GET or form POST) or as "
    "an `application/sparql-query` body; `default-graph-uri` and `named-graph-uri` (repeatable) "
    "set the dataset. Results are negotiated by `Accept` (SPARQL JSON, XML, CSV, TSV; Turtle, "
    "N-Triples, N-Quads, TriG, RDF/XML, JSON-LD, N3 for graphs) or chosen with `?format=`; a "
    "`format` that names nothing available for the query's form is ignored in favour of `Accept`. "
    "Without a query, GET answers the SPARQL Service Description."
)


def _pairs(text: str, where: str) -> list[tuple[str, str]]:
    """``text`` as name–value pairs; percent-escapes must decode to UTF-8 (Protocol §2.1.4)."""
    try:
        return parse_qsl(text, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        raise BadRequest(f"the {where} is not UTF-8") from None


def _url_pairs(request: Request) -> list[tuple[str, str]]:
    """The query string's pairs, read from the ASGI scope: ``request.url`` would first build
    and parse the whole URL, which costs a point lookup more than the pairs do."""
    return scope_pairs(request.scope)


def scope_pairs(scope: Scope) -> list[tuple[str, str]]:
    try:
        text = scope.get("query_string", b"").decode()
    except UnicodeDecodeError:
        raise BadRequest("the query string is not UTF-8") from None
    return _pairs(text, "query string")


def accept_of(scope: Scope) -> str | None:
    """The Accept header as Starlette's ``request.headers.get`` gives it (several joined)."""
    values = [v.decode("latin-1") for k, v in scope["headers"] if k == b"accept"]
    return ", ".join(values) if len(values) > 1 else (values[0] if values else None)


async def direct_get(scope: Scope, receive: Receive, service: QueryService) -> AsyncStreamed | None:
    """GET /sparql with a query, from the ASGI scope alone: no Request object is built. None
    when the request is not one (no query, an update): :func:`sparql_get` answers those."""
    pairs = scope_pairs(scope)
    query = _one(pairs, "query")
    if query is None or not query.strip() or any(k == "update" for k, _ in pairs):
        return None
    return await _run(service, receive, pairs, query, accept_of(scope))


def _one(pairs: list[tuple[str, str]], name: str) -> str | None:
    values = [v for k, v in pairs if k == name]
    if len(values) > 1:
        raise BadRequest(f"give one {name!r} parameter, not {len(values)}")
    return values[0] if values else None


def _graph_iris(pairs: list[tuple[str, str]], name: str) -> list[str]:
    """The ``name`` values, each checked to be an absolute IRI (a bad one is the client's
    mistake, not a failed query)."""
    iris = [v for k, v in pairs if k == name]
    for iri in iris:
        try:
            ox.NamedNode(iri)
        except ValueError as exc:
            raise BadRequest(f"{name} {iri!r} is not an absolute IRI: {exc}") from None
    return iris


async def _answer(request: Request, pairs: list[tuple[str, str]], query: str | None) -> Response:
    if any(k == "update" for k, _ in pairs):
        raise UpdateRefused(READ_ONLY)
    service = service_of(request)
    format_name = [v for k, v in pairs if k == "format"]
    if query is None:
        if request.method == "GET":
            return await in_thread(service_description, request, format_name)
        raise BadRequest(
            "missing 'query': send it as a form field or an application/sparql-query body"
        )
    if not query.strip():
        raise BadRequest("the 'query' parameter is empty")
    streamed = await _run(service, request.receive, pairs, query, request.headers.get("accept"))
    return streaming(streamed)


async def _run(
    service: QueryService,
    receive: Receive,
    pairs: list[tuple[str, str]],
    query: str,
    accept: str | None,
) -> AsyncStreamed:
    # The body is read by now: a client that leaves while the query runs (Cancel, ^C) stops it.
    return await unless_gone(
        receive,
        service.asparql(
            query,
            accept=accept,
            format_name=[v for k, v in pairs if k == "format"],
            default_graphs=_graph_iris(pairs, "default-graph-uri"),
            named_graphs=_graph_iris(pairs, "named-graph-uri"),
        ),
    )


@router.get("/sparql", summary="SPARQL query (GET)", description=QUERY_DOC, tags=["SPARQL"])
async def sparql_get(request: Request) -> Response:
    pairs = _url_pairs(request)
    return await _answer(request, pairs, _one(pairs, "query"))


@router.post("/sparql", summary="SPARQL query (POST)", description=QUERY_DOC, tags=["SPARQL"])
async def sparql_post(request: Request) -> Response:
    service = service_of(request)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    url_pairs = _url_pairs(request)
    body = await read_body(request, service.settings.max_body_bytes)
    if content_type == "application/x-www-form-urlencoded":
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise BadRequest("the form body is not UTF-8") from None
        form = _pairs(text, "form body")
        if _one(url_pairs, "query") is not None:
            raise BadRequest("give the query in the form body or the URL, not both")
        # The dataset and the format may come in the URL as well (the Oxigraph server reads
        # them there too): dropping them would silently answer over another dataset.
        pairs = form + [(k, v) for k, v in url_pairs if k in URL_FIELDS]
        return await _answer(request, pairs, _one(form, "query"))
    if content_type == "application/sparql-query":
        if _one(url_pairs, "query") is not None:
            raise BadRequest("a query in the body and another in the URL: send one")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise BadRequest("the query body is not UTF-8") from None
        return await _answer(request, url_pairs, text)
    if content_type == "application/sparql-update":
        raise UpdateRefused(READ_ONLY)
    raise UnsupportedMediaType(
        f"cannot read a {content_type or 'body without a content type'}: send "
        "application/x-www-form-urlencoded or application/sparql-query"
    )


@router.api_route(
    "/sparql", methods=["PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"], include_in_schema=False
)
async def sparql_other(request: Request) -> Response:
    raise MethodNotAllowed(f"{request.method} is not supported on /sparql; use GET or POST")
