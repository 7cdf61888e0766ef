"""``/health``: whether the server is up, and how its query workers are guarded."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from hubgraph.api.responses import service_of

router = APIRouter()


@router.get("/health", summary="Server health", tags=["Service"])
async def health(request: Request) -> JSONResponse:
    """``status`` ok, and for an embedded store the query workers: how many, idle and busy,
    how many were replaced and, in ``stopped``, why (timeout, memory, cancelled: the client
    left, died, crashed), their memory cap, and whether they are sealed off the network
    (``sealed`` false means only the query guard keeps SERVICE calls to the allow-list)."""
    executor = service_of(request).executor
    status = getattr(executor, "status", None)
    body: dict[str, object] = {"status": "ok"}
    if status is not None:
        body.update(status())
    return JSONResponse(body, headers={"Cache-Control": "no-store"})
