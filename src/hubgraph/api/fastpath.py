"""The hot paths, served without FastAPI's middleware, routing and parameter validation.

``/sparql`` and ``/queries/{name}`` are what notebooks and benchmarks hit hardest, and there
FastAPI's per-request machinery costs more than a point lookup. :class:`HubgraphApp` sends those
requests straight to the same handlers the documented routes use, behind only the request log
and CORS; everything else (and every other method) goes through FastAPI as usual.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from hubgraph.api import canned, sparql
from hubgraph.api.departures import note_departure
from hubgraph.api.responses import error_body, error_response, streaming
from hubgraph.errors import HubgraphError

log = logging.getLogger("hubgraph.http")


def log_request(scope: Scope, status: int, started: float) -> None:
    """The request log's one line for a request (``started``: its ``time.perf_counter()``)."""
    log.info(
        "%s %s %d %.1f ms",
        scope["method"],
        scope["path"],
        status,
        (time.perf_counter() - started) * 1000,
    )


Handler = Callable[[Request], Awaitable[Response]]
SUFFIXES = {".csv": "csv", ".json": "records"}
CLIENT_GONE = 499
"""The status the request log shows for a client that left before its answer (nginx's)."""


class FastPath:
    def __init__(self, queries: frozenset[str]) -> None:
        self.queries = queries

    def route(self, method: str, path: str) -> Handler | None:
        if path == "/sparql":
            return {"GET": sparql.sparql_get, "POST": sparql.sparql_post}.get(method)
        if method != "GET" or not path.startswith("/queries/"):
            return None
        name = path.removeprefix("/queries/")
        suffix = None
        for ending, fmt in SUFFIXES.items():
            if name.endswith(ending):
                name, suffix = name.removesuffix(ending), fmt
        if name not in self.queries:
            return None  # FastAPI answers unknown names with the list of known ones
        return lambda request: canned.run_canned(request, name, suffix)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = self.route(scope["method"], scope["path"])
        assert handler is not None, "HubgraphApp only sends routed requests here"
        try:
            response = await handler(Request(scope, receive))
        except Exception as exc:
            response = self.failure(scope, exc)
        await response(scope, receive, send)

    def failure(self, scope: Scope, exc: Exception) -> Response:
        """The answer to what a handler raised (call from its ``except`` block)."""
        if isinstance(exc, HubgraphError):
            return error_response(exc, {"Allow": "GET, POST"} if exc.status == 405 else None)
        if isinstance(exc, ClientDisconnect):
            note_departure(scope["method"], scope["path"])
            return Response(status_code=CLIENT_GONE)  # for the request log: it goes nowhere
        log.exception("unexpected error on %s", scope["path"])
        return JSONResponse(error_body(500, "internal-error", "an unexpected error occurred"), 500)

    async def sparql_get(self, scope: Scope, receive: Receive, send: Send) -> None:
        """GET /sparql from a same-origin client, the point lookups' path, with the request
        log's line written here: the query is read from the scope, and a result that came in
        one piece goes out as two ASGI messages. No Request, Response or middleware objects,
        which together cost a small query a good part of what its hop to a worker does."""
        started = time.perf_counter()
        status = 500
        try:
            try:
                streamed = await sparql.direct_get(scope, receive, scope["app"].state.service)
                if streamed is None:  # no query (the service description), an update …
                    response = await sparql.sparql_get(Request(scope, receive))
                elif isinstance(streamed.chunks, bytes):
                    body = streamed.chunks
                    status = 200
                    await send({
                        "type": "http.response.start", "status": 200,
                        # As Starlette's Response would write them, in its order.
                        "headers": [(b"vary", b"Accept"), (b"content-length", b"%d" % len(body)),
                                    (b"content-type", streamed.format.content_type.encode())],
                    })  # fmt: skip
                    await send({"type": "http.response.body", "body": body})
                    return
                else:
                    response = streaming(streamed)
            except Exception as exc:
                response = self.failure(scope, exc)
            status = response.status_code
            await response(scope, receive, send)
        finally:
            log_request(scope, status, started)


class HubgraphApp(FastAPI):
    """FastAPI, with the hot paths taken before its own middleware stack."""

    fast_path: FastPath | None = None
    fast_stack: ASGIApp | None = None
    """The fast path behind the request log and CORS."""
    fast_stack_same_origin: ASGIApp | None = None
    """The same without CORS, for requests that carry no Origin header (CORS has nothing
    to add to those, and costs a wrapper a request)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.fast_stack is not None
            and self.fast_path is not None
            and scope["type"] == "http"
            and self.fast_path.route(scope["method"], scope["path"]) is not None
        ):
            scope["app"] = self  # what Starlette would set: handlers find the service there
            cross_origin = any(name == b"origin" for name, _ in scope["headers"])
            if not cross_origin and scope["method"] == "GET" and scope["path"] == "/sparql":
                await self.fast_path.sparql_get(scope, receive, send)
                return
            stack = self.fast_stack if cross_origin else self.fast_stack_same_origin
            await (stack or self.fast_stack)(scope, receive, send)
            return
        await super().__call__(scope, receive, send)
