"""The app factory: ``create_app(settings)`` builds an app around its own query service."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hubgraph import __version__
from hubgraph.api import (
    canned,
    describe,
    docs,
    entities,
    exports,
    health,
    releases,
    sheet_schema,
    sources,
    sparql,
    web,
)
from hubgraph.api.departures import note_departure
from hubgraph.api.fastpath import CLIENT_GONE, FastPath, HubgraphApp, log_request
from hubgraph.api.reconcile import reconcile_router
from hubgraph.api.responses import error_body, error_response
from hubgraph.config import Settings
from hubgraph.errors import HubgraphError, MethodNotAllowed
from hubgraph.reconcile import Reconciler
from hubgraph.runtime import open_service
from hubgraph.service import QueryService

log = logging.getLogger("hubgraph.http")
DESCRIPTION = """A knowledge graph of who committed to what, on which conditions, according to
whom — stances, conditions and quotes from political news, linked to Wikidata.

* `/sparql` — a read-only SPARQL 1.1 Protocol endpoint.
* `/queries` — canned queries, one operation each below, JSON records or CSV.
* `/entities/{id}` and `/entities/wikidata/{QID}` — one entity and the evidence behind it.
* `/ontology`, `/void` — the vocabulary and a VoID description of the data.
* `/reconcile` — a W3C Reconciliation Service (0.2) over the register, for OpenRefine.
"""


class RequestLog:
    """Logs each request with its status and time. Plain ASGI: Starlette's BaseHTTPMiddleware
    costs more per request than a point lookup takes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            log_request(scope, status, started)


def create_app(settings: Settings, service: QueryService | None = None) -> FastAPI:
    """An app over ``service`` (by default one opened from ``settings`` with worker
    processes). The app owns the service it opened and closes it on shutdown."""
    owned = service is None
    service = service or open_service(settings, serving=True)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        if owned:
            app.state.service.close()

    app = HubgraphApp(
        title="hubgraph",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        # Served by hubgraph.api.docs from local assets, not FastAPI's CDN-backed pages.
        docs_url=None,
        redoc_url=None,
    )
    app.state.service = service
    app.state.settings = settings
    cors: dict[str, Any] = {
        "allow_origins": list(settings.cors_origins),
        "allow_methods": ["GET", "POST"],
        "allow_headers": ["*"],
        "expose_headers": ["Link", "X-Hubgraph-Truncated"],
    }
    # Innermost first: the request log sees every request, CORS headers go on every answer.
    app.add_middleware(CORSMiddleware, **cors)
    app.add_middleware(RequestLog)
    app.fast_path = FastPath(frozenset(service.registry.queries))
    app.fast_stack = RequestLog(CORSMiddleware(app.fast_path, **cors))
    app.fast_stack_same_origin = RequestLog(app.fast_path)

    @app.exception_handler(HubgraphError)
    async def on_hubgraph_error(request: Request, exc: HubgraphError) -> JSONResponse:
        headers = {"Allow": "GET, POST"} if isinstance(exc, MethodNotAllowed) else None
        return error_response(exc, headers)

    @app.exception_handler(RequestValidationError)
    async def on_invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        first = None
        for err in exc.errors():
            name = str(err.get("loc", ["", "?"])[-1])
            first = first or name
            problems.append(f"parameter {name!r}: {err.get('msg', 'invalid')}")
        body = error_body(400, "bad-parameter", "; ".join(problems), parameter=first)
        return JSONResponse(body, 400)

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not-found", 405: "method-not-allowed"}
        message = str(exc.detail) if exc.status_code != 404 else f"no such path {request.url.path}"
        return JSONResponse(
            error_body(exc.status_code, codes.get(exc.status_code, "error"), message),
            exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(ClientDisconnect)
    async def on_client_gone(request: Request, exc: ClientDisconnect) -> Response:
        # Not a server error, and not worth a traceback; the response goes nowhere.
        note_departure(request.method, request.url.path)
        return Response(status_code=CLIENT_GONE)

    @app.exception_handler(Exception)
    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s", request.url.path)
        return JSONResponse(error_body(500, "internal-error", "an unexpected error occurred"), 500)

    app.include_router(sparql.router)
    app.include_router(canned.canned_router(service))
    app.include_router(entities.router)
    app.include_router(describe.router)
    app.include_router(exports.router)
    app.state.reconciler = Reconciler.over(service)
    app.include_router(reconcile_router(app.state.reconciler))
    app.include_router(health.router)
    app.include_router(releases.router)
    app.include_router(sheet_schema.router)
    if settings.write_token:
        app.include_router(sources.router)
    app.include_router(docs.router)
    app.include_router(web.router)
    return app
