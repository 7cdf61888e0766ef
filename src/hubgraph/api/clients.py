"""A fair share of the query workers for each client.

Without it, a handful of runaway queries from one address hold every worker until their
timeouts, and everyone else's queries wait or fail. :class:`ClientLimit` lets each client address
have at most ``limit`` query requests in progress; more wait for one of its own to finish (up to
the queue timeout, then 503 with Retry-After), while other clients go straight on.

The client is the TCP peer, unless a reverse proxy is trusted to name it in a header
(``HUBGRAPH_TRUSTED_PROXY_HEADER``): then the header's last value, the one the proxy added.
"""

from __future__ import annotations

import asyncio
import json
import math

from starlette.types import ASGIApp, Receive, Scope, Send

from hubgraph.api.responses import error_body

QUERY_PATHS = ("/sparql", "/queries/", "/entities/")
"""Paths whose requests run queries in the workers."""


class _Share:
    __slots__ = ("semaphore", "users")

    def __init__(self, limit: int) -> None:
        self.semaphore = asyncio.Semaphore(limit)
        self.users = 0


class ClientLimit:
    def __init__(
        self, app: ASGIApp, limit: int, wait: float, trusted_header: str | None = None
    ) -> None:
        self.app = app
        self.limit = max(1, limit)
        self.wait = wait
        self.header = trusted_header.lower().encode("latin-1") if trusted_header else None
        self._shares: dict[str, _Share] = {}

    def client_of(self, scope: Scope) -> str:
        if self.header is not None:
            for name, value in scope["headers"]:
                if name == self.header:
                    last = value.decode("latin-1").rsplit(",", 1)[-1].strip()
                    if last:
                        return last
        client = scope.get("client")
        return str(client[0]) if client else "unknown"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(QUERY_PATHS):
            await self.app(scope, receive, send)
            return
        key = self.client_of(scope)
        share = self._shares.get(key)
        if share is None:
            share = self._shares[key] = _Share(self.limit)
        share.users += 1
        try:
            if share.semaphore.locked():
                try:
                    async with asyncio.timeout(self.wait):
                        await share.semaphore.acquire()
                except TimeoutError:
                    await self._busy(send)
                    return
            else:  # the common case: a slot is free, no timer needed
                await share.semaphore.acquire()
            try:
                await self.app(scope, receive, send)
            finally:
                share.semaphore.release()
        finally:
            share.users -= 1
            if share.users == 0:
                del self._shares[key]

    async def _busy(self, send: Send) -> None:
        message = (
            f"this client already has {self.limit} quer{'y' if self.limit == 1 else 'ies'} "
            f"running, and none finished within {self.wait:g} s; try again shortly"
        )
        body = json.dumps(error_body(503, "busy", message)).encode()
        retry = str(max(1, math.ceil(min(self.wait, 5.0)))).encode()
        await send({
            "type": "http.response.start", "status": 503,
            "headers": [(b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()), (b"retry-after", retry)],
        })  # fmt: skip
        await send({"type": "http.response.body", "body": body})
