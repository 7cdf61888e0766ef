"""Clients that leave before their answer: stop the work, say so in one line.

uvicorn cancels nothing when a client disconnects: a handler still waiting for the first chunk
of a query's result would wait for it (and hold a worker) until the query timeout, although
nobody is left to read it — the explorer's Cancel and curl's ^C both just close the socket.
(Once the response has begun, Starlette's streaming response notices the disconnect itself.)
:func:`unless_client_leaves` therefore watches the request's ASGI receive channel for
``http.disconnect`` while the work runs, and cancels the work when it comes; the executor
answers that cancellation by stopping the query's worker (see ``WorkerPool._areceive``).

A client that leaves — before its request body is complete, or before its answer — is not a
server error: :func:`note_departure` logs one line for it, never a traceback.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import TypeVar

from starlette.requests import ClientDisconnect, Request
from starlette.types import Receive

log = logging.getLogger("hubgraph.http")
T = TypeVar("T")


async def _disconnected(receive: Receive) -> None:
    """Returns when the client has gone. Only for a request whose body has been read (or has
    none): the body's messages that still come are not wanted by anyone."""
    while (await receive())["type"] != "http.disconnect":
        pass


async def unless_client_leaves(request: Request, work: Awaitable[T]) -> T:
    """The result of ``work``; if the client disconnects first, ``work`` is cancelled and
    :class:`ClientDisconnect` raised. Call once the request's body has been read."""
    return await unless_gone(request.receive, work)


async def unless_gone(receive: Receive, work: Awaitable[T]) -> T:
    """:func:`unless_client_leaves` for a caller holding the ASGI ``receive`` itself (the
    direct /sparql path, which builds no Request)."""
    task = asyncio.current_task()
    assert task is not None
    left = False

    async def watch() -> None:
        nonlocal left
        await _disconnected(receive)
        left = True
        task.cancel()  # lands in ``await work``: the executor stops the query's worker

    # One small task beside the request's own, so the hot path pays little for it.
    watcher = asyncio.ensure_future(watch())
    try:
        return await work
    except asyncio.CancelledError:
        if not left:  # cancelled from outside: not ours to swallow
            raise
        task.uncancel()
        raise ClientDisconnect() from None
    finally:
        watcher.cancel()


def note_departure(method: str, path: str) -> None:
    log.info("%s %s: the client went away before the answer was sent", method, path)
