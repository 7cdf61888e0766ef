"""The per-client share, as the ASGI layer sees it: which address counts, and what waits."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from hubgraph.api.clients import ClientLimit


def scope(path: str, peer: str, headers: list[tuple[bytes, bytes]] | None = None) -> Any:
    return {"type": "http", "path": path, "client": (peer, 5000), "headers": headers or []}


class SlowApp:
    """An ASGI app that answers 200 after ``hold`` seconds, counting who is inside."""

    def __init__(self, hold: float) -> None:
        self.hold = hold
        self.inside = 0
        self.most = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.inside += 1
        self.most = max(self.most, self.inside)
        await asyncio.sleep(self.hold)
        self.inside -= 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


async def call(app: Any, s: Any) -> tuple[int, dict[str, str], bytes]:
    sent: list[Any] = []

    async def send(message: Any) -> None:
        sent.append(message)

    async def receive() -> Any:
        return {"type": "http.request", "body": b""}

    await app(s, receive, send)
    headers = {k.decode(): v.decode() for k, v in sent[0].get("headers", [])}
    return sent[0]["status"], headers, b"".join(m.get("body", b"") for m in sent[1:])


def test_the_client_is_the_peer_unless_a_proxy_header_is_trusted() -> None:
    forwarded = [(b"x-forwarded-for", b"203.0.113.9, 198.51.100.7")]
    plain = ClientLimit(SlowApp(0), 1, 1.0)
    assert plain.client_of(scope("/sparql", "10.0.0.1", forwarded)) == "10.0.0.1"
    trusting = ClientLimit(SlowApp(0), 1, 1.0, "X-Forwarded-For")
    assert trusting.client_of(scope("/sparql", "10.0.0.1", forwarded)) == "198.51.100.7"
    assert trusting.client_of(scope("/sparql", "10.0.0.1")) == "10.0.0.1"


def test_one_clients_extra_queries_wait_while_another_client_goes_on() -> None:
    inner = SlowApp(0.5)
    limited = ClientLimit(inner, 1, 0.2)

    async def run() -> list[tuple[int, dict[str, str], bytes]]:
        return await asyncio.gather(
            call(limited, scope("/sparql", "10.0.0.1")),
            call(limited, scope("/sparql", "10.0.0.1")),  # waits 0.2 s for its turn, then 503
            call(limited, scope("/sparql", "10.0.0.2")),  # another client: straight in
            call(limited, scope("/queries", "10.0.0.1")),  # runs no query: not counted
        )

    first, second, other, listing = asyncio.run(run())
    assert first[0] == other[0] == listing[0] == 200
    assert second[0] == 503 and second[1]["retry-after"] == "1"
    body = json.loads(second[2])
    assert body["status"] == 503 and body["error"] == "busy" and "1 query" in body["message"]
    assert limited._shares == {}, "a client's share is dropped when it has nothing running"
