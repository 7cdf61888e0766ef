"""The one error shape, and helpers shared by the routes."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from hubgraph.errors import HubgraphError, PayloadTooLarge
from hubgraph.service import AsyncStreamed, QueryService, Streamed


def error_body(status: int, code: str, message: str, **extra: object) -> dict[str, object]:
    """Every error hubgraph answers has this shape."""
    return {"status": status, "error": code, "message": message, **extra}


def error_response(exc: HubgraphError, headers: dict[str, str] | None = None) -> JSONResponse:
    # An error may carry headers of its own (Busy: Retry-After).
    headers = {**getattr(exc, "headers", {}), **(headers or {})} or None
    return JSONResponse(
        error_body(exc.status, exc.code, exc.message, **exc.extra()), exc.status, headers=headers
    )


def service_of(request: Request) -> QueryService:
    return request.app.state.service  # type: ignore[no-any-return]


def streaming(streamed: Streamed | AsyncStreamed) -> Response:
    headers = {"Vary": "Accept"}
    if isinstance(streamed.chunks, bytes):  # small results: no streaming machinery needed
        return Response(streamed.chunks, media_type=streamed.format.content_type, headers=headers)
    return StreamingResponse(
        streamed.chunks, media_type=streamed.format.content_type, headers=headers
    )


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the request body is {declared} bytes; at most {limit} are allowed")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(f"the request body is over {limit} bytes")
    return bytes(body)


async def in_thread(func, *args, **kwargs):  # type: ignore[no-untyped-def]
    return await run_in_threadpool(func, *args, **kwargs)
